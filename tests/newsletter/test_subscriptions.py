"""Double opt-in with the consent recorded as given, and unsubscribing (P06)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from interpreta.errors import Problem
from interpreta.i18n import locales
from interpreta.newsletter import consent, subscriptions
from interpreta.newsletter.models import NewsletterRequest, NewsletterSubscriber
from interpreta.platform import Platform
from tests.conftest import START, RecordingMailer
from tests.newsletter.conftest import ORIGIN, Subscribing


def _count(platform: Platform, model: type) -> int:
    with platform.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_p06_nobody_is_subscribed_until_the_mailed_link_is_followed(
    platform: Platform, subscribe: Subscribing, outbox: RecordingMailer
) -> None:
    with locales.speaking("de"):
        token = subscribe.ask(" Ann@Example.org ")
    assert _count(platform, NewsletterSubscriber) == 0
    (mail,) = outbox.sent
    assert mail.to == "ann@example.org" and "/newsletter/confirm?token=" in mail.body
    with locales.speaking("de"):
        assert consent.text(consent.CURRENT) in mail.body  # the words agreed to, in German

    platform.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    with platform.transaction() as db:
        subscriptions.confirm(
            db, token, origin=replace(ORIGIN, address="198.51.100.9"), now=platform.clock.now()
        )
    with platform.sessions() as db:
        subscriber = db.scalars(select(NewsletterSubscriber)).one()
        assert db.scalar(select(func.count()).select_from(NewsletterRequest)) == 0
    assert subscriber.email == "ann@example.org"
    assert subscriber.consent_version == consent.CURRENT
    with locales.speaking("de"):
        assert subscriber.consent_text == consent.text(consent.CURRENT)
    assert subscriber.consent_text != consent.TEXTS[consent.CURRENT]  # German, not English
    assert subscriber.language == "de"
    assert (subscriber.requested_from, subscriber.confirmed_from) == (
        "203.0.113.7",
        "198.51.100.9",
    )
    assert (subscriber.browser, subscriber.device_type) == ("Firefox 133", "desktop")
    assert subscriber.requested_at == START
    assert subscriber.confirmed_at == START + timedelta(hours=2)


def test_a_link_works_once_for_a_week_and_only_the_latest_one(
    platform: Platform, subscribe: Subscribing, outbox: RecordingMailer
) -> None:
    first = subscribe.ask("ben@example.org")
    second = subscribe.ask("ben@example.org")
    with pytest.raises(Problem) as replaced, platform.transaction() as db:
        subscriptions.confirm(db, first, origin=ORIGIN, now=platform.clock.now())
    assert replaced.value.status == 410
    platform.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]
    with pytest.raises(Problem) as expired, platform.transaction() as db:
        subscriptions.confirm(db, second, origin=ORIGIN, now=platform.clock.now())
    assert expired.value.status == 410
    assert _count(platform, NewsletterSubscriber) == 0


def test_asking_again_when_subscribed_mails_nothing(
    platform: Platform, subscribe: Subscribing, outbox: RecordingMailer
) -> None:
    subscribe("cleo@example.org")
    before = len(outbox.sent)
    with platform.transaction() as db:
        subscriptions.ask(
            db,
            outbox,
            platform.settings,
            email="CLEO@example.org",
            consent_version=consent.CURRENT,
            origin=ORIGIN,
            now=platform.clock.now(),
        )
    assert len(outbox.sent) == before
    assert _count(platform, NewsletterRequest) == 0


def test_a_consent_version_not_shown_now_is_refused(
    platform: Platform, outbox: RecordingMailer
) -> None:
    with pytest.raises(Problem) as refused, platform.transaction() as db:
        subscriptions.ask(
            db,
            outbox,
            platform.settings,
            email="dan@example.org",
            consent_version="2019-01",
            origin=ORIGIN,
            now=platform.clock.now(),
        )
    assert refused.value.status == 409
    assert outbox.sent == [] and _count(platform, NewsletterRequest) == 0


def test_p06_p12_unsubscribing_deletes_the_subscription_and_a_forged_link_does_nothing(
    platform: Platform, subscribe: Subscribing
) -> None:
    key = platform.secrets.session_key
    kept, gone = subscribe("eve@example.org"), subscribe("fay@example.org")
    with platform.sessions() as db:
        token = subscriptions.unsubscribe_token(key, db.get_one(NewsletterSubscriber, gone))
    forged = [f"{kept}.{token.split('.')[1]}", f"{gone}.AAAA", "x.y", "", f"{gone}"]
    for bad in forged:
        with platform.transaction() as db:
            assert not subscriptions.unsubscribe(db, key, bad)
    assert _count(platform, NewsletterSubscriber) == 2
    with platform.transaction() as db:
        assert subscriptions.unsubscribe(db, key, token)
    with platform.transaction() as db:
        assert not subscriptions.unsubscribe(db, key, token)  # twice is not an error
    with platform.sessions() as db:
        assert db.scalars(select(NewsletterSubscriber.id)).all() == [kept]
