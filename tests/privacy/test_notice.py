"""The generated privacy notice (P26, P35, P36) and its publication."""

from __future__ import annotations

from datetime import timedelta

from interpreta.clock import FrozenClock
from interpreta.config import Contact, Settings
from interpreta.datamap.processors import Processor
from interpreta.platform import Platform
from interpreta.privacy import notice
from interpreta.privacy.models import NoticeVersion
from interpreta.privacy.summary import category_uses
from interpreta.schema import all_metadata


def test_p26_notice_names_every_declared_category_with_its_retention_in_words(
    settings: Settings,
) -> None:
    rendered = notice.render(all_metadata(), settings)
    uses = category_uses(all_metadata())
    assert uses
    for use in uses:
        assert use.category.label in rendered.markdown
        assert use.category.label in rendered.html.replace("&#x27;", "'")
        for words in use.retention:
            assert words in rendered.markdown
        for purpose in use.purposes:
            assert purpose.label in rendered.markdown
    assert "deleted 7 days after the event ends" in rendered.markdown


def test_p18_p26_notice_names_every_processor(settings: Settings) -> None:
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
    markdown = notice.render(all_metadata(), settings).markdown
    for name in ("Alpha Hosting", "Beta Mail", "standard contractual clauses"):
        assert name in markdown


def test_p35_notice_names_dpo_and_supervisory_authority_from_configuration(
    settings: Settings,
) -> None:
    settings.dpo = Contact(name="Erika Muster", email="dpo@customer.example")
    settings.supervisory_authority = Contact(
        name="Autoriteit Persoonsgegevens", url="https://ap.nl"
    )
    markdown = notice.render(all_metadata(), settings).markdown
    assert "Erika Muster" in markdown and "dpo@customer.example" in markdown
    assert "Autoriteit Persoonsgegevens" in markdown


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
