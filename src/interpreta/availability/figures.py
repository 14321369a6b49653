"""The public status figures (P23), computed at most once a minute.

/status and ``GET /api/status`` show the uptime of the last day, week and month, each
read from every probe minute of its period: too much work for every request to a
public page. :class:`FiguresCache` keeps the figures of one minute of the platform's
clock (so a clock moved by a test, or by time, gets fresh ones), and forgets them
whenever a session of this process commits a probe result or a maintenance window,
so what was just recorded shows at once. Writes by other processes (``interpreta
status maintenance add``, other nodes) show within the minute.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from interpreta.availability import records
from interpreta.availability.models import MaintenanceWindow, ProbeResult
from interpreta.availability.records import LastProbe
from interpreta.availability.uptime import Uptime, minute_of

PERIODS: Mapping[str, int] = {"day": 1, "week": 7, "month": 30}
"""The periods the status reports, in days."""

WATCHED = (ProbeResult, MaintenanceWindow)
"""The rows the figures are computed from: committing one forgets them."""

_CHANGED = "status_figures_changed"
"""The session's ``info`` key noting a flushed change to a watched row."""


@dataclass(frozen=True)
class Announced:
    """A maintenance window as the status shows it."""

    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class StatusFigures:
    """What the status shows at one minute: the last probe, the uptime of each of
    :data:`PERIODS` against `target`, and the ongoing and announced maintenance."""

    target: float
    last: LastProbe | None
    periods: Mapping[str, Uptime]
    maintenance: tuple[Announced, ...]


def status_figures(db: Session, now: datetime, target: float) -> StatusFigures:
    """The figures at `now`, read from the database."""
    periods = {name: records.uptime(db, now, days, target) for name, days in PERIODS.items()}
    windows = records.windows(db, now, now + records.ANNOUNCED_AHEAD)
    return StatusFigures(
        target=target,
        last=records.last_probe(db),
        periods=periods,
        maintenance=tuple(Announced(w.starts_at, w.ends_at, w.reason) for w in windows),
    )


class FiguresCache:
    """The status figures of the current minute, for the sessions of one platform."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._entry: tuple[tuple[datetime, float], StatusFigures] | None = None
        self._generation = 0
        sa_event.listen(sessions, "after_flush", self._note_changes)
        sa_event.listen(sessions, "after_commit", self._clear_if_changed)

    def get(self, now: datetime, target: float) -> StatusFigures:
        """The figures at `now` against `target`: those computed earlier in `now`'s
        minute, unless a probe result or maintenance window was committed since."""
        key = (minute_of(now), target)
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        generation = self._generation
        with self._sessions() as db:
            figures = status_figures(db, now, target)
        with self._lock:
            if self._generation == generation:  # nothing was committed while reading
                self._entry = (key, figures)
        return figures

    def clear(self) -> None:
        """Forget the figures (and any being computed from what was read before)."""
        with self._lock:
            self._generation += 1
            self._entry = None

    def _note_changes(self, session: Session, _context: object) -> None:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, WATCHED) for obj in changed):
            session.info[_CHANGED] = True

    def _clear_if_changed(self, session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            self.clear()
