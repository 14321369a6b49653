"""Support SLA time counted in business hours, like the "business hours" schedules of
Zendesk or Freshdesk: opening hours per weekday in the desk's time zone, closed on the
public holidays of a country (and region) and on the company's own days off.

Everything here is pure: aware datetimes in, UTC datetimes out, no clock and no I/O
(the public holidays come from the `holidays` package's built-in tables).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "DAY_NAMES",
    "DEFAULT_OPENING",
    "MAX_CLOSED_RUN_DAYS",
    "MAX_WALK_DAYS",
    "BusinessHours",
    "Opening",
    "Span",
    "parse_opening",
]

Span = tuple[time, time]
"""One opening span of a day, local wall-clock times `(start, end)`. An end of
`time(0)` means midnight at the end of the day, so `(time(0), time(0))` is open all day."""

Opening = tuple[Span | None, ...]
"""Opening hours for the seven weekdays, Monday first; `None` is a closed day."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The day names that `parse_opening` reads, in `date.weekday()` order."""

DEFAULT_OPENING: Opening = ((time(9), time(17)),) * 5 + (None, None)
"""Monday to Friday 09:00-17:00; closed at weekends."""

MAX_CLOSED_RUN_DAYS = 366
"""A walk that meets this many closed days in a row gives up: the schedule never opens."""

MAX_WALK_DAYS = 4000
"""The furthest (about eleven years) that `add` and `next_opening` walk."""

_MIDNIGHT = time(0)


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one year; cached because building the table is costly and
    every SLA computation asks for the same few years."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _aware_utc(moment: datetime, name: str) -> datetime:
    """`moment` in UTC; refuses naive datetimes, whose meaning would be a guess."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _duration(hours: float | Decimal | timedelta) -> timedelta:
    """`hours` as a timedelta; refuses negative and non-finite amounts."""
    if isinstance(hours, timedelta):
        delta = hours
    elif isinstance(hours, bool):
        raise TypeError("hours must be a number or a timedelta, not a bool")
    elif isinstance(hours, Decimal):
        if not hours.is_finite():
            raise ValueError(f"hours must be finite, got {hours}")
        # Exact to the microsecond: float(Decimal) would round before scaling.
        microseconds = (hours * 3_600_000_000).to_integral_value()
        delta = timedelta(microseconds=int(microseconds))
    elif isinstance(hours, int | float):
        if not math.isfinite(hours):
            raise ValueError(f"hours must be finite, got {hours}")
        delta = timedelta(hours=hours)
    else:
        raise TypeError(f"hours must be a number or a timedelta, not {type(hours).__name__}")
    if delta < timedelta(0):
        raise ValueError(f"hours must not be negative, got {hours}")
    return delta


def _check_span(index: int, span: object) -> Span | None:
    """One validated entry of `opening`."""
    day = DAY_NAMES[index]
    if span is None:
        return None
    if not isinstance(span, tuple | list) or len(span) != 2:
        raise ValueError(f"opening for {day} must be None or a (start, end) pair, got {span!r}")
    start, end = span
    if not isinstance(start, time) or not isinstance(end, time):
        raise ValueError(f"opening for {day} must be a pair of datetime.time, got {span!r}")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError(f"opening for {day} must use local wall-clock times without tzinfo")
    if end != _MIDNIGHT and not start < end:
        raise ValueError(
            f"opening for {day} must start before it ends, got "
            f"{start.isoformat('minutes')}-{end.isoformat('minutes')}"
        )
    return (start, end)


@dataclass(frozen=True)
class BusinessHours:
    """When the support desk works: opening hours per weekday, in a time zone, closed on
    the public holidays of a country (and region), and on extra closed days.

    `opening` holds seven entries, Monday first: a `(start, end)` pair of local
    wall-clock times, or `None` for a closed day. The spans are read in `timezone` each
    day, so 09:00-17:00 is eight business hours on a daylight-saving change day too.
    `country` and `subdivision` are ISO codes as the `holidays` package knows them
    (e.g. "DE" and "BE" for Berlin); `country=None` observes no public holidays.
    """

    timezone: str = "Europe/Berlin"
    opening: Opening = DEFAULT_OPENING
    country: str | None = "DE"
    subdivision: str | None = "BE"
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        """Validate the configuration, so that a bad one fails at start-up, not on the
        first ticket; lists and sets are normalised to tuples and frozensets."""
        if not isinstance(self.timezone, str) or not self.timezone:
            raise ValueError(f"timezone must be an IANA time zone name, got {self.timezone!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}") from error

        entries = tuple(self.opening)
        if len(entries) != 7:
            raise ValueError(
                f"opening must have 7 entries, Monday first, got {len(entries)} entries"
            )
        opening = tuple(_check_span(index, span) for index, span in enumerate(entries))
        if all(span is None for span in opening):
            raise ValueError("opening has no open day at all; the desk would never open")
        object.__setattr__(self, "opening", opening)

        closed = frozenset(self.closed_days)
        for day in closed:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"closed_days must hold dates, got {day!r}")
        object.__setattr__(self, "closed_days", closed)

        if self.country is None:
            if self.subdivision is not None:
                raise ValueError(
                    f"subdivision {self.subdivision!r} given without a country; "
                    "set country too (e.g. country='DE', subdivision='BE')"
                )
            return
        try:
            holidays.country_holidays(self.country)
        except NotImplementedError as error:
            raise ValueError(
                f"unknown country {self.country!r} for public holidays "
                "(an ISO 3166-1 alpha-2 code such as 'DE')"
            ) from error
        if self.subdivision is not None:
            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError as error:
                raise ValueError(
                    f"unknown subdivision {self.subdivision!r} of country {self.country!r} "
                    "(an ISO 3166-2 code such as 'BE' for Berlin)"
                ) from error

    @property
    def zone(self) -> ZoneInfo:
        """The desk's time zone (zoneinfo caches the instances, so this is cheap)."""
        return ZoneInfo(self.timezone)

    def is_closed_day(self, day: date) -> bool:
        """Whether `day` is a public holiday or a company day off (whatever its hours)."""
        if day in self.closed_days:
            return True
        if self.country is None:
            return False
        return day in _public_holidays(self.country, self.subdivision, day.year)

    def span_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The desk's open span on local calendar day `day`, in UTC, or None if closed.

        Wall-clock times that a daylight-saving change skips or repeats resolve as
        zoneinfo does with fold=0 (the offset before the change)."""
        hours = self.opening[day.weekday()]
        if hours is None or self.is_closed_day(day):
            return None
        start_time, end_time = hours
        zone = self.zone
        start = datetime.combine(day, start_time, tzinfo=zone).astimezone(UTC)
        end_day = day + timedelta(days=1) if end_time == _MIDNIGHT else day
        end = datetime.combine(end_day, end_time, tzinfo=zone).astimezone(UTC)
        # fold=0 reads a skipped time with the old offset, so a span from inside the gap to
        # its end (02:30-03:00 on a spring-forward day) resolves backwards: none of it exists.
        if end <= start:
            return None
        return start, end

    def _local_day(self, moment_utc: datetime) -> date:
        """The desk's calendar day at a UTC moment."""
        return moment_utc.astimezone(self.zone).date()

    def _spans_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The open spans in UTC, day by day from local day `day` onwards; bounded, so
        that a schedule that never opens (or opens too rarely) raises instead of looping."""
        closed_run = 0
        for offset in range(MAX_WALK_DAYS):
            span = self.span_on(day + timedelta(days=offset))
            if span is None:
                closed_run += 1
                if closed_run >= MAX_CLOSED_RUN_DAYS:
                    raise ValueError(
                        f"the desk is closed for {MAX_CLOSED_RUN_DAYS} days in a row from "
                        f"{day + timedelta(days=offset - closed_run + 1)}; "
                        "the schedule has no open hours"
                    )
                continue
            closed_run = 0
            yield span
        raise ValueError(f"more than {MAX_WALK_DAYS} days ahead of {day}; amount too large")

    def is_open(self, moment: datetime) -> bool:
        """Whether the desk is open at `moment` (an aware datetime); a span includes its
        start and excludes its end."""
        moment_utc = _aware_utc(moment, "moment")
        span = self.span_on(self._local_day(moment_utc))
        return span is not None and span[0] <= moment_utc < span[1]

    def next_opening(self, moment: datetime) -> datetime:
        """The first moment at or after `moment` at which the desk is open, in UTC:
        `moment` itself while the desk is open, else the start of the next open span."""
        moment_utc = _aware_utc(moment, "moment")
        for start, end in self._spans_from(self._local_day(moment_utc)):
            if end > moment_utc:
                return max(start, moment_utc)
        raise AssertionError("unreachable: _spans_from raises when it runs out")

    def add(self, start: datetime, hours: float | Decimal | timedelta) -> datetime:
        """The moment `hours` business hours after `start` (aware datetimes in, UTC out).
        Starting outside hours counts from the next opening.

        The count may end exactly at a closing time (Friday 16:00 + 1h is Friday 17:00),
        and zero hours gives `next_opening(start)`."""
        remaining = _duration(hours)
        start_utc = _aware_utc(start, "start")
        for span_start, span_end in self._spans_from(self._local_day(start_utc)):
            if span_end <= start_utc:
                continue
            begin = max(span_start, start_utc)
            available = span_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _spans_from raises when it runs out")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from start to end (zero when end <= start)."""
        start_utc = _aware_utc(start, "start")
        end_utc = _aware_utc(end, "end")
        if end_utc <= start_utc:
            return timedelta(0)
        first = self._local_day(start_utc)
        last = self._local_day(end_utc)
        elapsed = timedelta(0)
        for offset in range((last - first).days + 1):
            span = self.span_on(first + timedelta(days=offset))
            if span is None:
                continue
            overlap = min(span[1], end_utc) - max(span[0], start_utc)
            if overlap > timedelta(0):
                elapsed += overlap
        return elapsed


_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_CLAUSE = re.compile(r"(?P<days>[a-z,\-\s]+?)\s+(?P<start>[^\s-]+)\s*-\s*(?P<end>[^\s-]+)")
_DAY_INDEX = {name: index for index, name in enumerate(DAY_NAMES)}


def _parse_time(text: str, clause: str, *, is_end: bool) -> time:
    """A wall-clock time "HH:MM"; "24:00" is accepted as an end (midnight after the day)."""
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"bad time {text!r} in {clause!r}: expected HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if is_end and (hour, minute) == (24, 0):
        return _MIDNIGHT
    if hour > 23 or minute > 59:
        raise ValueError(f"bad time {text!r} in {clause!r}: out of range")
    return time(hour, minute)


def _parse_days(text: str, clause: str) -> Iterable[int]:
    """Weekday indexes from "mon-fri", "mon,wed" or a mix such as "mon,wed-fri"."""
    for item in text.split(","):
        item = item.strip()
        first, dash, last = item.partition("-")
        names = (first.strip(), last.strip()) if dash else (first.strip(),)
        for name in names:
            if name not in _DAY_INDEX:
                raise ValueError(
                    f"unknown day {name!r} in {clause!r}: expected one of {', '.join(DAY_NAMES)}"
                )
        low, high = _DAY_INDEX[names[0]], _DAY_INDEX[names[-1]]
        if high < low:
            raise ValueError(
                f"day range {item!r} in {clause!r} runs backwards: ranges go Monday to Sunday"
            )
        yield from range(low, high + 1)


def parse_opening(text: str) -> Opening:
    """Read opening hours from a compact form such as "mon-fri 09:00-17:00; sat 10:00-14:00".

    Clauses are separated by ";". Each names its days (mon..sun; ranges "mon-fri", comma
    lists "mon,wed", or both) and one span "HH:MM-HH:MM"; "24:00" may end a span. Days
    not named are closed; naming a day twice is an error. Case and spaces do not matter.
    Raises ValueError with a message that names the faulty part."""
    if not isinstance(text, str):
        raise TypeError(f"opening hours must be text, not {type(text).__name__}")
    opening: list[Span | None] = [None] * 7
    named: set[int] = set()
    for raw in text.lower().split(";"):
        clause = raw.strip()
        if not clause:
            continue
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(
                f"bad opening hours clause {clause!r}: expected days and a span, "
                "e.g. 'mon-fri 09:00-17:00'"
            )
        days_text, start_text, end_text = match["days"], match["start"], match["end"]
        span_text = f"{start_text}-{end_text}"
        start = _parse_time(start_text, clause, is_end=False)
        end = _parse_time(end_text, clause, is_end=True)
        if end != _MIDNIGHT and not start < end:
            raise ValueError(f"span {span_text!r} in {clause!r} must start before it ends")
        for index in _parse_days(re.sub(r"\s", "", days_text), clause):
            if index in named:
                raise ValueError(f"{DAY_NAMES[index]} is given twice in {text!r}")
            named.add(index)
            opening[index] = (start, end)
    if not named:
        raise ValueError(f"opening hours {text!r} name no open day")
    return tuple(opening)
