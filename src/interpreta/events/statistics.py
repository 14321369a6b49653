"""Anonymised event statistics (promise P17), kept after participation data is gone.

Per event: listeners per channel language, minutes listened, and the shares of
device types. No identifier is stored, and every cell that counts fewer than
:data:`MIN_CELL` people is suppressed, so no figure can be linked back to anyone.
The retention engine summarises each event just before its participation data
is deleted, inside the statistics activity: people who restricted processing or
objected to analytics (P31, P32) are left out by the processing engine
(:mod:`interpreta.privacy.processing`), not by this module.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from interpreta.datamap.activities import STATISTICS
from interpreta.datamap.declarations import not_personal
from interpreta.datamap.retention_rules import PARTICIPATION
from interpreta.db.base import Base, UTCDateTime
from interpreta.events.models import Channel, ConnectionSession, Event, Participant, ParticipantRole
from interpreta.privacy.processing import processing

MIN_CELL = 5
"""Cells counting fewer people than this are suppressed."""


class EventStatistic(Base):
    """One anonymised figure about one event."""

    __tablename__ = "event_statistics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        Integer, index=True, info=not_personal("the event the figure describes")
    )
    metric: Mapped[str] = mapped_column(
        String(32), info=not_personal("listeners, minutes_listened or device_share")
    )
    dimension: Mapped[str] = mapped_column(
        String(32), info=not_personal("a language code, 'floor', or a device type")
    )
    value: Mapped[float | None] = mapped_column(
        Float, info=not_personal("the aggregate; NULL when suppressed (fewer than 5 people)")
    )
    computed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the figure was computed")
    )


def complement(counts: dict[str, int]) -> set[str]:
    """The cells to suppress in a group whose figures add up to a known whole (device
    shares add up to 1): the small cells, and then the next smallest until the
    suppressed cells together count at least :data:`MIN_CELL` people. Otherwise the
    whole minus the shown cells would give a small cell away (complementary
    suppression)."""
    hidden = {cell for cell, count in counts.items() if count < MIN_CELL}
    shown = sorted((count, cell) for cell, count in counts.items() if cell not in hidden)
    while hidden and sum(counts[c] for c in hidden) < MIN_CELL and shown:
        hidden.add(shown.pop(0)[1])
    return hidden


def summarise(db: Session, event_id: int, now: datetime) -> list[EventStatistic]:
    """Compute and store the anonymised figures of one event (once)."""
    with processing(STATISTICS, session=db):
        return _summarise(db, event_id, now)


def _summarise(db: Session, event_id: int, now: datetime) -> list[EventStatistic]:
    if db.scalar(select(EventStatistic.id).where(EventStatistic.event_id == event_id).limit(1)):
        return []
    event = db.get(Event, event_id)
    if event is None:
        return []
    ended = event.ended_at or event.ends_at
    languages = {
        str(c.id): c.language_code or "floor"
        for c in db.scalars(
            select(Channel).join(Channel.topic).where(Channel.topic.has(event_id=event_id))
        )
    }
    rows = db.execute(
        select(
            ConnectionSession.participant_id,
            ConnectionSession.stream_id,
            ConnectionSession.device_type,
            ConnectionSession.joined_at,
            ConnectionSession.left_at,
        )
        .join(Participant, Participant.id == ConnectionSession.participant_id)
        .where(Participant.event_id == event_id, Participant.role == ParticipantRole.LISTENER)
    ).all()
    people: dict[str, set[int]] = defaultdict(set)
    minutes: defaultdict[str, float] = defaultdict(float)
    devices: dict[str, set[int]] = defaultdict(set)
    for participant_id, stream_id, device, joined, left in rows:
        language = languages.get(stream_id or "")
        if language is not None:
            people[language].add(participant_id)
            minutes[language] += max(0.0, ((left or ended) - joined).total_seconds() / 60)
        devices[device or "unknown"].add(participant_id)
    everyone = {p for ids in devices.values() for p in ids}
    figures: list[EventStatistic] = []

    def add(metric: str, dimension: str, count: int, value: float, shown: bool = True) -> None:
        figures.append(
            EventStatistic(
                event_id=event_id,
                metric=metric,
                dimension=dimension,
                value=value if shown and count >= MIN_CELL else None,
                computed_at=now,
            )
        )

    for language, ids in sorted(people.items()):
        add("listeners", language, len(ids), float(len(ids)))
        add("minutes_listened", language, len(ids), round(minutes[language], 1))
    hidden = complement({device: len(ids) for device, ids in devices.items()})
    for device, ids in sorted(devices.items()):
        share = round(len(ids) / max(len(everyone), 1), 3)
        add("device_share", device, len(ids), share, shown=device not in hidden)
    if not figures:
        add("listeners", "all", 0, 0.0)
    db.add_all(figures)
    return figures


def summarise_due_events(sessions: sessionmaker[Session], now: datetime) -> int:
    """Summarise every event whose participation data is due for deletion; how many."""
    cutoff = PARTICIPATION.period.before(now)
    with sessions() as db:
        summarised = select(EventStatistic.event_id).distinct()
        due = list(
            db.scalars(
                select(Event.id).where(
                    func.coalesce(Event.ended_at, Event.ends_at) <= cutoff,
                    Event.id.not_in(summarised),
                )
            )
        )
    for event_id in due:
        with sessions.begin() as db:
            summarise(db, event_id, now)
    return len(due)


def statistics(db: Session, event_id: int) -> list[dict[str, Any]]:
    """The stored figures of an event, for reports."""
    rows = db.scalars(
        select(EventStatistic)
        .where(EventStatistic.event_id == event_id)
        .order_by(EventStatistic.metric, EventStatistic.dimension)
    )
    return [{"metric": r.metric, "dimension": r.dimension, "value": r.value} for r in rows]
