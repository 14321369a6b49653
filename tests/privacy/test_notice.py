"""The generated privacy notice (P26, P35, P36): its layers, its facts, its publication."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import textstat

from interpreta.clock import FrozenClock
from interpreta.config import Contact, Settings
from interpreta.datamap.activities import ACTIVITIES, Audience
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.processors import Processor
from interpreta.datamap.retention_rules import RULES
from interpreta.datamap.vocabulary import LegalBasis
from interpreta.platform import Platform
from interpreta.privacy import notice, notice_sections
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph
from interpreta.privacy.models import NoticeVersion
from interpreta.schema import all_metadata

MAX_SUMMARY_WORDS = 300
MIN_READING_EASE = 50.0
SECTIONS = "## What we do with personal data, activity by activity"
DETAILS = f"## {notice_sections.DETAILS}"


def _plain(blocks: list[AnyBlock]) -> str:
    """The text a listener hears: one sentence per heading, paragraph or bullet."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading | Paragraph):
            lines.append(block.text)
        elif isinstance(block, Bullets):
            lines += block.items
    return "\n".join(line if line.endswith((".", "!", "?", ":")) else f"{line}." for line in lines)


def _details(markdown: str) -> str:
    assert DETAILS in markdown, "the notice has no details appendix"
    return markdown[markdown.index(DETAILS) :]


def _sections(markdown: str) -> str:
    return markdown[markdown.index(SECTIONS) : markdown.index(DETAILS)]


@pytest.mark.parametrize("audience", list(Audience))
def test_each_audience_gets_a_short_readable_summary_first(
    settings: Settings, audience: Audience
) -> None:
    blocks = notice_sections.summary(all_metadata(), settings, audience)
    text = _plain(blocks)
    words = textstat.lexicon_count(text)
    ease = textstat.flesch_reading_ease(text)
    assert words <= MAX_SUMMARY_WORDS, f"{audience} summary has {words} words:\n{text}"
    assert ease >= MIN_READING_EASE, f"{audience} summary reads at Flesch {ease}:\n{text}"
    markdown = notice.render(all_metadata(), settings).markdown
    heading = blocks[0]
    assert isinstance(heading, Heading)
    assert markdown.index(f"### {heading.text}") < markdown.index(SECTIONS)
    for needle in ("What we keep", "How long", "/privacy/me", settings.dpo.email):
        assert needle in text, (audience, needle)
    assert f"within {settings.dsr_due_days} days" in text


def test_summaries_say_what_why_how_long_and_who_else_from_the_activities(
    settings: Settings,
) -> None:
    participant = _plain(notice_sections.summary(all_metadata(), settings, Audience.PARTICIPANT))
    live = [a for a in ACTIVITIES if Audience.PARTICIPANT in a.audiences and not a.stores_only]
    for activity in live:
        if activity.basis is not LegalBasis.LEGAL_OBLIGATION:
            assert activity.title.lower() in participant
    assert "deleted 7 days after the event ends" in participant
    assert "the event's organiser" in participant
    for processor in settings.processors:
        assert processor.name in participant
    customer = _plain(notice_sections.summary(all_metadata(), settings, Audience.CUSTOMER))
    assert "deleted 90 days after the sign-in session ends" in customer
    visitor = _plain(notice_sections.summary(all_metadata(), settings, Audience.VISITOR))
    assert "deleted 7 days after the event ends" not in visitor


def test_every_activity_has_its_section_in_order(settings: Settings) -> None:
    sections = _sections(notice.render(all_metadata(), settings).markdown)
    positions = []
    for activity in ACTIVITIES:
        heading = f"### {activity.title}\n\n{activity.what}"
        assert heading in sections, f"no section for {activity.key}"
        positions.append(sections.index(heading))
        chunk = sections[positions[-1] :].split("\n### ")[0]
        for purpose in activity.purposes:
            assert purpose.label in chunk, (activity.key, purpose)
        assert activity.basis.label in chunk and activity.goes_to in chunk
        for recipient in activity.shared_with:
            assert recipient in chunk
    assert positions == sorted(positions)


def test_p26_details_name_every_category_retention_rule_and_processor(
    settings: Settings,
) -> None:
    settings.processors = [
        Processor(name="Alpha Hosting", function="servers", categories=["technical"], country="FI"),
        Processor(
            name="Beta Mail",
            function="email delivery",
            categories=["identifiers"],
            country="US",
            safeguard="standard contractual clauses",
        ),
    ]
    rendered = notice.render(all_metadata(), settings)
    details = _details(rendered.markdown)
    html = rendered.html.replace("&#x27;", "'")
    declared = [d for _field, d in personal_fields(all_metadata())]
    assert declared
    for declaration in declared:
        assert declaration.category.label in details
        assert declaration.category.label in html
        assert declaration.retention.describe() in details
        assert declaration.description in details
        for purpose in declaration.purposes:
            assert purpose.label in details
    for name in ("Alpha Hosting", "Beta Mail", "standard contractual clauses"):
        assert name in details
    assert "deleted 7 days after the event ends" in details


def test_the_notice_claims_no_retention_rule_that_no_column_uses(settings: Settings) -> None:
    markdown = notice.render(all_metadata(), settings).markdown
    used = {d.retention.key for _field, d in personal_fields(all_metadata())}
    for rule in RULES.values():
        if rule.key not in used:
            assert rule.describe() not in markdown, rule.key


def test_no_hand_written_periods_in_the_notice_code() -> None:
    sources = Path(notice.__file__).parent
    for name in ("notice.py", "notice_sections.py", "summary.py"):
        text = (sources / name).read_text(encoding="utf-8")
        found = re.findall(r"\b\d+\s+(?:days?|weeks?|months?|years?)\b", text)
        assert not found, f"{name} writes a period by hand: {found}"


def test_the_answer_deadline_and_content_bounds_come_from_settings(settings: Settings) -> None:
    settings.dsr_due_days = 17
    settings.content_retention_min_days = 2
    settings.content_retention_max_days = 90
    markdown = notice.render(all_metadata(), settings).markdown
    assert "within 17 days" in markdown and "within 25 days" not in markdown
    assert "between 2 and 90 days" in markdown
    settings.dsr_due_days = 25
    assert notice.render(all_metadata(), settings).markdown != markdown


def test_the_erasure_exception_comes_from_the_declarations(settings: Settings) -> None:
    rights = " ".join(notice.rights(all_metadata(), settings))
    legal = {
        d.retention.describe()
        for _field, d in personal_fields(all_metadata())
        if d.basis is LegalBasis.LEGAL_OBLIGATION
    }
    assert legal, "the data map has no legal-obligation column any more: adapt this test"
    for words in legal:
        assert words in rights
    assert "legal hold" in rights


def test_p18_p26_outside_the_eea_the_safeguard_is_named_in_every_layer(
    settings: Settings,
) -> None:
    settings.processors = [
        Processor(
            name="Beta Mail",
            function="email delivery",
            categories=["identifiers"],
            country="US",
            safeguard="standard contractual clauses",
        ),
    ]
    markdown = notice.render(all_metadata(), settings).markdown
    summary = _plain(notice_sections.summary(all_metadata(), settings, Audience.CUSTOMER))
    assert "Beta Mail" in summary and "standard contractual clauses" in summary
    assert "Beta Mail: US, outside the EU/EEA, protected by standard contractual" in (
        _sections(markdown)
    )


def test_p35_notice_names_dpo_and_supervisory_authority_from_configuration(
    settings: Settings,
) -> None:
    settings.dpo = Contact(name="Erika Muster", email="dpo@customer.example")
    settings.supervisory_authority = Contact(
        name="Autoriteit Persoonsgegevens", url="https://ap.nl"
    )
    markdown = notice.render(all_metadata(), settings).markdown
    assert "Erika Muster" in markdown and "dpo@customer.example" in markdown
    assert "Autoriteit Persoonsgegevens" in markdown and "https://ap.nl" in markdown


def test_p36_a_change_of_content_makes_a_new_dated_version_old_ones_stay(
    platform: Platform, settings: Settings, clock: FrozenClock
) -> None:
    with platform.transaction() as db:
        first = notice.latest_version(db)
        assert first is not None and first.number == 1
        assert notice.publish(db, all_metadata(), settings, clock.now()).number == 1
    clock.advance(timedelta(days=3))
    settings.dpo = Contact(name="New DPO", email="new-dpo@example.org")
    with platform.transaction() as db:
        second = notice.publish(db, all_metadata(), settings, clock.now())
    assert second.number == 2
    assert second.published_at == clock.now()
    with platform.sessions() as db:
        versions = db.query(NoticeVersion).order_by(NoticeVersion.number).all()
    assert [v.number for v in versions] == [1, 2]
    assert "new-dpo@example.org" not in versions[0].markdown
    assert "new-dpo@example.org" in versions[1].markdown
    assert notice.version_line(second).startswith("Version 2, in force since")
