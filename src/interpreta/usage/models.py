"""Usage records: one total per event and measure, naming no one.

A record is written once, when the event has ended, from the event's connections and
on-air stints (personal data, deleted a week after the event, P09). It keeps the
event's number and title so a customer's monthly usage still reads after the event
itself is deleted; it holds no participant, no time of day and no address.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap.declarations import not_personal
from interpreta.db.base import Base, UTCDateTime, enum_type


class Measure(StrEnum):
    """What a usage record counts."""

    LISTENER_HOURS = "listener_hours"
    """Hours listened, all listeners together."""
    INTERPRETER_HOURS = "interpreter_hours"
    """Hours interpreters' microphones were live, all booths together."""
    LANGUAGES = "languages"
    """Interpretation languages the event offered."""
    RECORDING_GB = "recording_gb"
    """Gigabytes of recordings the event left (10⁹ bytes)."""


class UsageRecord(Base):
    """What one event used of one measure."""

    __tablename__ = "usage_records"
    __table_args__ = (UniqueConstraint("event_id", "measure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the customer whose event it was"),
    )
    event_id: Mapped[int] = mapped_column(
        Integer, info=not_personal("the event's number (the event may be deleted since)")
    )
    event_title: Mapped[str] = mapped_column(
        String(200),
        info=not_personal("public event title chosen by the organiser", free_text=True),
    )
    month: Mapped[date] = mapped_column(
        Date, index=True, info=not_personal("first day of the month the event ended in")
    )
    measure: Mapped[Measure] = mapped_column(
        enum_type(Measure, 24), info=not_personal("what is counted")
    )
    quantity: Mapped[Decimal] = mapped_column(
        Numeric(14, 3), info=not_personal("the total, all people together")
    )
    computed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the total was computed")
    )
