"""The newsletter's records: in the subscriber's access export, gone with their erasure
(P27, P30), and kept no longer than three years nor than the consent (P12)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from interpreta.clock import FrozenClock
from interpreta.newsletter import consent, dispatch
from interpreta.newsletter.models import (
    NewsletterDelivery,
    NewsletterIssue,
    NewsletterRequest,
    NewsletterSubscriber,
)
from interpreta.platform import Platform
from tests.conftest import RecordingMailer
from tests.newsletter.conftest import Subscribing
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person


def _counts(platform: Platform) -> tuple[int, ...]:
    models = (NewsletterRequest, NewsletterSubscriber, NewsletterDelivery)
    with platform.sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) or 0 for m in models)


def _queue(platform: Platform) -> None:
    with platform.transaction() as db:
        dispatch.queue(db, subject="News", body="Text", now=platform.clock.now())


def test_a_subscription_is_exported_to_its_subscriber_and_erased_with_them(
    platform: Platform, subscribe: Subscribing, outbox: RecordingMailer
) -> None:
    subscribe("gil@example.org")
    subscribe("hal@example.org")
    subscribe.ask("pending@example.org")
    _queue(platform)
    assert _counts(platform) == (1, 2, 2)

    values, _archive = exported(platform, Person(0, None, "gil@example.org"))
    assert "gil@example.org" in values and consent.TEXTS[consent.CURRENT] in values
    assert "203.0.113.7" in values and "hal@example.org" not in values
    pending, _archive = exported(platform, Person(1, None, "pending@example.org"))
    assert "pending@example.org" in pending and consent.CURRENT in pending

    erased(platform, Person(0, None, "gil@example.org"))
    erased(platform, Person(1, None, "pending@example.org"))
    assert _counts(platform) == (0, 1, 1)
    with platform.sessions() as db:
        assert db.scalars(select(NewsletterSubscriber.email)).all() == ["hal@example.org"]
        assert db.scalar(select(func.count()).select_from(NewsletterIssue)) == 1


def test_p12_subscriptions_end_after_three_years_and_requests_after_a_week(
    platform: Platform, subscribe: Subscribing, clock: FrozenClock, outbox: RecordingMailer
) -> None:
    subscribe("ivy@example.org")
    clock.advance(timedelta(days=30))
    subscribe("jon@example.org")
    subscribe.ask("kim@example.org")
    _queue(platform)
    engine = platform.retention_engine()

    clock.advance(timedelta(days=6))
    engine.run(clock.now())
    assert _counts(platform) == (1, 2, 2)
    clock.advance(timedelta(days=1))
    engine.run(clock.now())
    assert _counts(platform) == (0, 2, 2)  # the unconfirmed request is gone after a week

    clock.advance(timedelta(days=3 * 365 - 37 - 1))  # ivy: a day short of three years
    engine.run(clock.now())
    assert _counts(platform) == (0, 2, 2)
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    with platform.sessions() as db:
        assert db.scalars(select(NewsletterSubscriber.email)).all() == ["jon@example.org"]
    assert _counts(platform) == (0, 1, 1)
