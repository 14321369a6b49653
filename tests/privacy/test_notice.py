"""The generated privacy notice (P26, P35, P36): its layers, its facts, its publication."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import textstat
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from interpreta.clock import FrozenClock
from interpreta.config import Contact, Settings
from interpreta.datamap.activities import ACTIVITIES, Audience
from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.processors import Processor
from interpreta.datamap.retention_rules import RULES
from interpreta.datamap.vocabulary import LegalBasis
from interpreta.i18n import catalogues, locales
from interpreta.platform import Platform
from interpreta.privacy import notice, notice_sections
from interpreta.privacy.document import AnyBlock, Bullets, Heading, Paragraph
from interpreta.privacy.models import NoticeTranslation, NoticeVersion
from interpreta.schema import all_metadata

MAX_SUMMARY_WORDS = 320
"""A screen or so: the customer's layer, which covers their account, billing, invoices
and support (issue 16), is the longest at about 310 words."""
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


# --- the notice in every language ---------------------------------------------------------

TRANSLATED = [code for code in locales.SUPPORTED if code != locales.DEFAULT]
GERMAN = {
    "Privacy notice": "Datenschutzhinweise",
    "Your rights": "Ihre Rechte (Testübersetzung)",
    "Version %(number)s, in force since %(date)s.": "Version %(number)s, gültig seit %(date)s.",
}
"""A German catalogue of a few messages, unlike the real one: what a test publishes with
it is a new German text, whatever the real catalogue says."""


def _speak_german(monkeypatch: pytest.MonkeyPatch, messages: Mapping[str, str]) -> None:
    """Make `messages` the whole German catalogue (everything else shows in English)."""
    catalog = Catalog(locale="de")
    for message, translation in messages.items():
        catalog.add(message, translation)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    german = Translations(fp=buffer)
    real: Callable[[str], NullTranslations] = catalogues.translations
    monkeypatch.setattr(
        catalogues, "translations", lambda code: german if code == "de" else real(code)
    )


def test_every_version_is_published_in_every_language(
    platform: Platform, settings: Settings
) -> None:
    with platform.sessions() as db:
        version = notice.latest_version(db)
        assert version is not None
        languages = db.scalars(
            select(NoticeTranslation.language).where(NoticeTranslation.version_id == version.id)
        ).all()
        assert sorted(languages) == sorted(TRANSLATED)
        for code in locales.SUPPORTED:
            text = notice.text_of(db, version, code)
            assert text.language == code
            assert text.markdown == notice.render(all_metadata(), settings, code).markdown
        assert notice.text_of(db, version, "en").markdown == version.markdown


def test_the_notice_renders_in_the_language_asked_for(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _speak_german(monkeypatch, GERMAN)
    german = notice.render(all_metadata(), settings, "de")
    assert german.language == "de"
    assert german.markdown.startswith("# Datenschutzhinweise\n")
    assert "## Ihre Rechte (Testübersetzung)" in german.markdown
    assert "## Your rights" in notice.render(all_metadata(), settings).markdown
    assert locales.current() == locales.DEFAULT  # rendering leaves the language as it was


def test_a_changed_translation_publishes_a_new_version(
    platform: Platform, settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with platform.transaction() as db:
        first = notice.publish(db, all_metadata(), settings, clock.now())
    _speak_german(monkeypatch, GERMAN)
    clock.advance(timedelta(days=1))
    with platform.transaction() as db:
        second = notice.publish(db, all_metadata(), settings, clock.now())
        assert notice.publish(db, all_metadata(), settings, clock.now()).number == second.number
    assert second.number == first.number + 1
    assert second.content_hash != first.content_hash
    assert second.markdown == first.markdown  # the English did not change
    english = notice.RenderedNotice("# Privacy notice\n", "<h1>Privacy notice</h1>\n")
    hashes = {
        notice.content_hash({"en": english, "de": notice.RenderedNotice(f"# {title}\n", "")})
        for title in ("Datenschutzhinweise", "Datenschutzerklärung")
    }
    assert len(hashes) == 2


def test_the_german_page_shows_the_notice_and_its_version_line_in_german(
    app_client: TestClient,
    platform: Platform,
    settings: Settings,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _speak_german(monkeypatch, GERMAN)
    with platform.transaction() as db:
        version = notice.publish(db, all_metadata(), settings, clock.now())
    html = app_client.get("/privacy", params={"lang": "de"}).text
    assert '<div lang="de"><h1>Datenschutzhinweise</h1>' in html
    assert "<h2>Ihre Rechte (Testübersetzung)</h2>" in html
    assert f"Version {version.number}, gültig seit 24. November 2026." in html
    assert "<h2>Your rights</h2>" not in html
    english = app_client.get("/privacy", params={"lang": "en"}).text
    assert "<h2>Your rights</h2>" in english
    assert f"Version {version.number}, in force since 24 November 2026." in english
    french = app_client.get("/privacy", params={"lang": "fr"}).text
    assert "24 novembre 2026" in french


def test_an_old_version_shows_as_it_was_in_each_language(
    app_client: TestClient,
    platform: Platform,
    settings: Settings,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with platform.sessions() as db:
        first = notice.latest_version(db)
        assert first is not None
        as_it_was = notice.text_of(db, first, "de").html
    _speak_german(monkeypatch, GERMAN)
    clock.advance(timedelta(days=40))
    with platform.transaction() as db:
        assert notice.publish(db, all_metadata(), settings, clock.now()).number == 2
    old = app_client.get(f"/privacy/versions/{first.number}", params={"lang": "de"}).text
    assert f'<div lang="de">{as_it_was}</div>' in old
    assert "Ihre Rechte (Testübersetzung)" not in old
    assert "Version 1, gültig seit 24. November 2026." in old
    newer = app_client.get("/privacy/versions/2", params={"lang": "de"}).text
    assert "Ihre Rechte (Testübersetzung)" in newer
    # a version published before the translations existed shows in English
    with platform.transaction() as db:
        db.execute(delete(NoticeTranslation).where(NoticeTranslation.version_id == first.id))
    before = app_client.get(f"/privacy/versions/{first.number}", params={"lang": "de"}).text
    assert f'<div lang="en">{first.html}</div>' in before
    assert "Version 1, gültig seit 24. November 2026." in before


def test_the_cli_writes_the_notice_in_a_chosen_language(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _speak_german(monkeypatch, GERMAN)
    written = cli("privacy", "notice", "--out", str(tmp_path), "--language", "de")
    assert written.exit_code == 0, written.output
    markdown = (tmp_path / "privacy-notice.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Datenschutzhinweise\n")
    assert re.search(r"_Version 1, gültig seit \d+\. \w+ \d{4}\._\n$", markdown)
    html = (tmp_path / "privacy-notice.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in html and "<title>Datenschutzhinweise</title>" in html
    english = cli("privacy", "notice", "--out", str(tmp_path))
    assert english.exit_code == 0, english.output
    markdown = (tmp_path / "privacy-notice.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Privacy notice\n") and "in force since" in markdown
    refused = cli("privacy", "notice", "--out", str(tmp_path), "--language", "xx")
    assert refused.exit_code == 2 and "no notice in 'xx'" in refused.output
