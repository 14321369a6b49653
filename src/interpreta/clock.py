"""Time as an explicit dependency, so that tests can travel through it."""

from __future__ import annotations

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
