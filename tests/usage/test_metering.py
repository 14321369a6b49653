"""Metering: an ended event's totals are taken once, from its connections and on-air
stints, before P09 deletes them; they name no one and outlive them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from interpreta.clock import FrozenClock
from interpreta.events.models import ConnectionSession, Event, EventStatus
from interpreta.platform import Platform
from interpreta.usage import metering
from interpreta.usage.models import Measure, UsageRecord
from tests.usage.conftest import hold_event


def _totals(platform: Platform, event_id: int) -> dict[Measure, Decimal]:
    with platform.sessions() as db:
        rows = db.execute(
            select(UsageRecord.measure, UsageRecord.quantity).where(
                UsageRecord.event_id == event_id
            )
        ).all()
    return {Measure(m): Decimal(q) for m, q in rows}


def test_an_ended_event_is_metered_once(
    platform: Platform, clock: FrozenClock, organisation_id: int
) -> None:
    held = hold_event(platform, organisation_id, clock.now())
    assert metering.meter_due_events(platform.sessions, clock.now()) == 0  # not over yet
    clock.advance(timedelta(hours=2) + metering.GRACE - timedelta(minutes=1))
    assert metering.meter_due_events(platform.sessions, clock.now()) == 0  # may run over
    clock.advance(timedelta(minutes=1))
    assert metering.meter_due_events(platform.sessions, clock.now()) == 1
    assert _totals(platform, held.event_id) == {
        # 90 + 90 minutes, and the last listener until the end (60 minutes)
        Measure.LISTENER_HOURS: Decimal("4.000"),
        Measure.INTERPRETER_HOURS: Decimal("2.000"),  # 45 + 75 minutes
        Measure.LANGUAGES: Decimal(2),
        Measure.RECORDING_GB: Decimal("1.500"),
    }
    assert metering.meter_due_events(platform.sessions, clock.now()) == 0
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(UsageRecord)) == 4


def test_the_totals_outlive_the_participation_data(
    platform: Platform, clock: FrozenClock, organisation_id: int
) -> None:
    held = hold_event(platform, organisation_id, clock.now())
    clock.advance(timedelta(days=8))  # past P09's week: the retention run meters first
    platform.retention_engine().run(clock.now())
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ConnectionSession)) == 0
    assert _totals(platform, held.event_id)[Measure.LISTENER_HOURS] == Decimal("4.000")


def test_a_month_adds_its_events_and_takes_the_most_languages(
    platform: Platform, clock: FrozenClock, organisation_id: int
) -> None:
    first = hold_event(platform, organisation_id, clock.now())
    second = hold_event(
        platform,
        organisation_id,
        clock.now() + timedelta(days=1),
        listened=((0, 60),),
        on_air=(),
        languages=("de", "fr", "it"),
        recorded=0,
    )
    clock.advance(timedelta(days=2))
    metering.meter_due_events(platform.sessions, clock.now())
    month = metering.month_of(first.ended)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    with platform.sessions() as db:
        found = metering.monthly(db, organisation_id, month)
        elsewhere = metering.monthly(db, organisation_id + 1, month)
        next_month = metering.monthly(db, organisation_id, following)
    assert [e.event_id for e in found.events] == [first.event_id, second.event_id]
    assert found.totals[Measure.LISTENER_HOURS] == Decimal("5.000")
    assert found.totals[Measure.LANGUAGES] == Decimal(3)
    assert found.totals[Measure.RECORDING_GB] == Decimal("1.500")
    assert elsewhere.events == [] and next_month.events == []


def test_usage_records_name_no_one() -> None:
    """What a record keeps: the customer, the event, the month, the total; no participant,
    time of day or address."""
    columns = {c.name for c in UsageRecord.__table__.columns}
    assert columns == {
        "id",
        "organisation_id",
        "event_id",
        "event_title",
        "month",
        "measure",
        "quantity",
        "computed_at",
    }


def _end(platform: Platform, event_id: int, at: datetime) -> None:
    with platform.transaction() as db:
        event = db.get(Event, event_id)
        assert event is not None
        event.status, event.ended_at = EventStatus.ENDED, at


def test_an_event_ended_by_its_organiser_is_metered_at_once_in_its_month(
    platform: Platform, clock: FrozenClock, organisation_id: int
) -> None:
    """The month is the one the event ended in (UTC), to the minute."""
    start = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    november = hold_event(platform, organisation_id, start, listened=((0, None),), on_air=())
    december = hold_event(platform, organisation_id, start, listened=((0, None),), on_air=())
    _end(platform, november.event_id, start + timedelta(minutes=90))  # 23:30
    _end(platform, december.event_id, start + timedelta(minutes=150))  # 00:30
    clock.advance(start + timedelta(minutes=151) - clock.now())
    assert metering.meter_due_events(platform.sessions, clock.now()) == 2  # no grace
    with platform.sessions() as db:
        in_november = metering.monthly(db, organisation_id, date(2026, 11, 1))
        in_december = metering.monthly(db, organisation_id, date(2026, 12, 1))
    assert [e.event_id for e in in_november.events] == [november.event_id]
    assert [e.event_id for e in in_december.events] == [december.event_id]
    # the open connection counts until the event was ended
    assert in_november.totals[Measure.LISTENER_HOURS] == Decimal("1.500")
    assert in_december.totals[Measure.LISTENER_HOURS] == Decimal("2.500")
