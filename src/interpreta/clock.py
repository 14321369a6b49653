"""Time as an explicit dependency, so that tests can travel through it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current moment."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current moment, from the system."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        """The moment the clock was set to."""
        return self.moment

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.moment += delta


def wall_seconds() -> float:
    """Real seconds since the epoch, for live timers that browsers show against their own
    clocks (a handover's countdown, the time on air). They run in real time alongside
    the media, even where the platform's clock is frozen; nothing stored reads them."""
    return time.time()
