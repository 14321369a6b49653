"""Uptime: the share of minutes with a successful synthetic join (P23).

A minute is *up* when at least one probe that arrived in it succeeded; a minute
with only failed probes, or with no probe at all, is *down* (a node that cannot
even take the result of a probe is down). Minutes inside an announced maintenance
window are left out. Counting starts at the first probe ever recorded, so a
deployment is not blamed for the time before it was watched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)

TARGET = 0.95
"""The availability target (the SLA of P23)."""


def minute_of(moment: datetime) -> datetime:
    """The start of the minute `moment` falls in."""
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Outage:
    """Consecutive down minutes."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        """How long, in minutes."""
        return int((self.end - self.start) / MINUTE)


@dataclass(frozen=True)
class Uptime:
    """Availability over one period."""

    start: datetime
    end: datetime
    counted: int
    """Minutes counted: watched, and outside announced maintenance."""
    up: int
    excluded: int
    """Minutes of announced maintenance."""
    outages: list[Outage] = field(default_factory=list)
    target: float = TARGET

    @property
    def ratio(self) -> float | None:
        """Up minutes over counted minutes; None when nothing was counted yet."""
        return self.up / self.counted if self.counted else None

    @property
    def meets_target(self) -> bool | None:
        """Whether the ratio reaches the target; None when nothing was counted yet."""
        ratio = self.ratio
        return None if ratio is None else ratio >= self.target


def compute(
    start: datetime,
    end: datetime,
    *,
    first_probe: datetime | None,
    ok_minutes: Iterable[datetime],
    maintenance: Iterable[tuple[datetime, datetime]],
    target: float = TARGET,
) -> Uptime:
    """Uptime over the whole minutes of [`start`, `end`): `ok_minutes` are the minutes
    with a successful probe, `maintenance` the announced windows."""
    start, end = minute_of(start), minute_of(end)
    if first_probe is not None:
        start = max(start, minute_of(first_probe))
    good = {minute_of(m) for m in ok_minutes}
    windows = [(minute_of(a), b) for a, b in maintenance]
    counted = up = excluded = 0
    outages: list[Outage] = []
    down_since: datetime | None = None
    minute = start
    while first_probe is not None and minute < end:
        if any(a <= minute < b for a, b in windows):
            excluded += 1
            if down_since is not None:  # an outage ends where maintenance begins
                outages.append(Outage(down_since, minute))
                down_since = None
        elif minute in good:
            counted, up = counted + 1, up + 1
            if down_since is not None:
                outages.append(Outage(down_since, minute))
                down_since = None
        else:
            counted += 1
            down_since = down_since or minute
        minute += MINUTE
    if down_since is not None:
        outages.append(Outage(down_since, end))
    return Uptime(start, end, counted, up, excluded, outages, target)
