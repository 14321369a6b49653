"""Metering: the totals an ended event used, taken once, before its participation data
goes (P09 deletes it a week after the event), and a customer's usage per month against
its plan.

An event is metered once its organiser has ended it, or :data:`GRACE` after its
scheduled end if nobody did (an event that runs over is not cut short). It counts from
its end: the moment it was ended, or else its scheduled end, which is the month it is
billed in. A connection or a stint still open at that end counts until the end; one
that closed later (an event that ran over) counts until it closed. The
retention engine meters every due event before it deletes anything, and so does
invoicing a month, so no event's connections go unmetered; metering an event twice
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from interpreta.booths.models import OnAirStint
from interpreta.datamap.activities import USAGE_METERING
from interpreta.events.models import (
    Channel,
    ConnectionSession,
    Event,
    EventLanguage,
    Participant,
    ParticipantRole,
    Topic,
)
from interpreta.privacy.processing import runs_in
from interpreta.recordings.models import Recording
from interpreta.usage.models import Measure, UsageRecord

__all__ = [
    "GRACE",
    "EventUsage",
    "MonthlyUsage",
    "due",
    "meter_customer",
    "meter_due_events",
    "meter_event",
    "monthly",
]

GRACE = timedelta(hours=6)
"""How long after its scheduled end an event nobody ended is metered."""
HOUR = Decimal(3600)
GIGABYTE = Decimal(10**9)
PLACES = Decimal("0.001")


def _hours(spans: Iterable[tuple[datetime, datetime | None]], end: datetime) -> Decimal:
    seconds = sum(max(0.0, ((stop or end) - start).total_seconds()) for start, stop in spans)
    return (Decimal(str(seconds)) / HOUR).quantize(PLACES)


def month_of(moment: datetime) -> date:
    """The first day of `moment`'s month (UTC)."""
    return date(moment.year, moment.month, 1)


def _ended(event: Event) -> datetime:
    return event.ended_at or event.ends_at


@runs_in(USAGE_METERING)
def meter_event(db: Session, event: Event, now: datetime) -> list[UsageRecord]:
    """Take the totals of ended `event` (nothing when it was metered already)."""
    if db.scalar(select(UsageRecord.id).where(UsageRecord.event_id == event.id).limit(1)):
        return []
    end = _ended(event)
    listening = db.execute(
        select(ConnectionSession.joined_at, ConnectionSession.left_at)
        .join(Participant, Participant.id == ConnectionSession.participant_id)
        .where(Participant.event_id == event.id, Participant.role == ParticipantRole.LISTENER)
    ).all()
    on_air = db.execute(
        select(OnAirStint.started_at, OnAirStint.ended_at)
        .join(Channel, Channel.id == OnAirStint.channel_id)
        .join(Topic, Topic.id == Channel.topic_id)
        .where(Topic.event_id == event.id)
    ).all()
    languages = db.scalar(
        select(func.count(EventLanguage.id)).where(EventLanguage.event_id == event.id)
    )
    stored = db.scalar(select(func.sum(Recording.size)).where(Recording.event_id == event.id))
    totals = {
        Measure.LISTENER_HOURS: _hours(listening, end),
        Measure.INTERPRETER_HOURS: _hours(on_air, end),
        Measure.LANGUAGES: Decimal(languages or 0),
        Measure.RECORDING_GB: (Decimal(stored or 0) / GIGABYTE).quantize(PLACES),
    }
    records = [
        UsageRecord(
            organisation_id=event.organisation_id,
            event_id=event.id,
            event_title=event.title[:200],
            month=month_of(end),
            measure=measure,
            quantity=quantity,
            computed_at=now,
        )
        for measure, quantity in totals.items()
    ]
    db.add_all(records)
    db.flush()
    return records


def due(now: datetime) -> ColumnElement[bool]:
    """Whether an event is due for metering at `now`: ended by its organiser, or past its
    scheduled end by :data:`GRACE`, and not metered yet."""
    return and_(
        or_(
            Event.ended_at <= now,
            and_(Event.ended_at.is_(None), Event.ends_at <= now - GRACE),
        ),
        Event.id.not_in(select(UsageRecord.event_id).distinct()),
    )


def meter_due_events(sessions: sessionmaker[Session], now: datetime) -> int:
    """Meter every event due (see :func:`due`), each in its own transaction (a run cut
    short goes on where it stopped); how many."""
    with sessions() as db:
        events = list(db.scalars(select(Event.id).where(due(now))))
    for event_id in events:
        with sessions.begin() as db:
            event = db.get(Event, event_id)
            if event is not None:
                meter_event(db, event, now)
    return len(events)


def meter_customer(db: Session, organisation_id: int, now: datetime) -> int:
    """Meter `organisation_id`'s due events in `db`'s transaction (before its month is
    invoiced); how many."""
    events = list(
        db.scalars(select(Event).where(Event.organisation_id == organisation_id, due(now)))
    )
    for event in events:
        meter_event(db, event, now)
    return len(events)


@dataclass
class EventUsage:
    """What one event used."""

    event_id: int
    title: str
    used: dict[Measure, Decimal] = field(default_factory=dict)


@dataclass
class MonthlyUsage:
    """A customer's usage in one month: per event, and in total."""

    month: date
    events: list[EventUsage]
    totals: dict[Measure, Decimal]
    """Sums, but for languages: the most any one event offered."""


def monthly(db: Session, organisation_id: int, month: date) -> MonthlyUsage:
    """Usage of `organisation_id`'s events that ended in `month` (its first day). Usage
    records name no one: no activity is needed to read them."""
    rows = db.execute(
        select(
            UsageRecord.event_id,
            UsageRecord.event_title,
            UsageRecord.measure,
            UsageRecord.quantity,
        )
        .where(UsageRecord.organisation_id == organisation_id, UsageRecord.month == month)
        .order_by(UsageRecord.event_id)
    ).all()
    events: dict[int, EventUsage] = {}
    totals: defaultdict[Measure, Decimal] = defaultdict(Decimal)
    for event_id, title, measure, quantity in rows:
        usage = events.setdefault(event_id, EventUsage(event_id, title))
        kind, amount = Measure(measure), Decimal(quantity)
        usage.used[kind] = amount
        if kind is Measure.LANGUAGES:  # a plan limits each event's languages
            totals[kind] = max(totals[kind], amount)
        else:
            totals[kind] += amount
    return MonthlyUsage(month, list(events.values()), {m: totals[m] for m in Measure})
