"""Each interpreter's time on air: stints recorded as the booths' microphones change
hands, and the report the organiser exports for invoicing."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from interpreta.booths.models import OnAirStint
from interpreta.booths.spreadsheet import written_cell
from interpreta.datamap.activities import LIVE_EVENT, ON_AIR_TIME
from interpreta.events.models import Channel, Participant, Topic
from interpreta.privacy.processing import runs_in

__all__ = ["OnAirLine", "as_csv", "record_changes", "report"]


@runs_in(LIVE_EVENT)
def record_changes(
    db: Session, event_id: int, on_air: Mapping[int, str | None], at: datetime
) -> None:
    """Note that on each channel of `on_air` the interpreter with that participant key
    went on air at `at` (None: nobody): the stint running there ends, a new one starts."""
    for channel_id, key in on_air.items():
        db.execute(
            update(OnAirStint)
            .where(OnAirStint.channel_id == channel_id, OnAirStint.ended_at.is_(None))
            .values(ended_at=at)
        )
        if key is None:
            continue
        participant = db.scalar(
            select(Participant.id).where(
                Participant.event_id == event_id, Participant.anonymous_id == key
            )
        )
        if participant is not None:
            db.add(OnAirStint(channel_id=channel_id, participant_id=participant, started_at=at))


@dataclass(frozen=True)
class OnAirLine:
    """One interpreter's time on air on one channel of an event."""

    interpreter: str
    language: str
    seconds: float
    stints: int
    longest: float
    "The longest stint, in seconds (ISO 24019 asks for turns of about 30 minutes)."
    first: datetime
    last: datetime
    "When their last stint ended (or now, while on air)."


@runs_in(ON_AIR_TIME)
def report(db: Session, event_id: int, now: datetime) -> list[OnAirLine]:
    """Every interpreter's time on air per channel, by interpreter then language; a stint
    still running counts until `now`."""
    rows = db.execute(
        select(
            OnAirStint.started_at,
            OnAirStint.ended_at,
            Channel.language_code,
            Participant.first_name,
            Participant.last_name,
            Participant.anonymous_id,
        )
        .join(Channel, OnAirStint.channel_id == Channel.id)
        .join(Topic, Channel.topic_id == Topic.id)
        .join(Participant, OnAirStint.participant_id == Participant.id)
        .where(Topic.event_id == event_id)
        .order_by(OnAirStint.started_at)
    ).all()
    totals: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    for started, ended, language, first_name, last_name, key in rows:
        name = " ".join(n for n in (first_name, last_name) if n) or key
        totals.setdefault((name, language or ""), []).append((started, ended or now))
    lines = []
    for (name, language), stints in sorted(totals.items()):
        lengths = [(end - start).total_seconds() for start, end in stints]
        lines.append(
            OnAirLine(
                interpreter=name,
                language=language,
                seconds=sum(lengths),
                stints=len(stints),
                longest=max(lengths),
                first=min(start for start, _ in stints),
                last=max(end for _, end in stints),
            )
        )
    return lines


def as_csv(lines: list[OnAirLine]) -> str:
    """The report as CSV (minutes with one decimal, times in ISO 8601, UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["interpreter", "language", "minutes_on_air", "stints", "longest_minutes", "first", "last"]
    )
    for line in lines:
        writer.writerow(
            [
                written_cell(line.interpreter),
                line.language,
                f"{line.seconds / 60:.1f}",
                line.stints,
                f"{line.longest / 60:.1f}",
                line.first.isoformat(),
                line.last.isoformat(),
            ]
        )
    return out.getvalue()
