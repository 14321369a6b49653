"""Business-hours arithmetic for support SLAs: opening hours, holidays, DST, parsing."""

from __future__ import annotations

import time as wall
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interpreta.support.business_hours import (
    DEFAULT_OPENING,
    BusinessHours,
    parse_opening,
)

BERLIN = ZoneInfo("Europe/Berlin")
DESK = BusinessHours()
EVERY_DAY = ((time(9), time(17)),) * 7
ROUND_THE_CLOCK = ((time(0), time(0)),) * 7


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Berlin wall-clock moment."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def utc(moment: datetime) -> datetime:
    """The same moment in UTC, as the API returns it."""
    return moment.astimezone(UTC)


# --- add -------------------------------------------------------------------------------


def test_add_within_a_day_returns_utc() -> None:
    due = DESK.add(berlin(2026, 6, 1, 10), 3)
    assert due == utc(berlin(2026, 6, 1, 13))
    assert due.tzinfo is UTC


def test_add_across_the_night() -> None:
    assert DESK.add(berlin(2026, 6, 1, 16), 2) == utc(berlin(2026, 6, 2, 10))


def test_add_across_the_weekend() -> None:
    # Friday 16:00 + 2h: one hour on Friday, one on Monday.
    assert DESK.add(berlin(2026, 6, 5, 16), 2) == utc(berlin(2026, 6, 8, 10))


def test_add_may_end_exactly_at_closing() -> None:
    assert DESK.add(berlin(2026, 6, 5, 16), 1) == utc(berlin(2026, 6, 5, 17))


def test_add_starting_before_opening() -> None:
    assert DESK.add(berlin(2026, 6, 1, 7), 1) == utc(berlin(2026, 6, 1, 10))


def test_add_starting_after_closing() -> None:
    assert DESK.add(berlin(2026, 6, 1, 18, 30), 1) == utc(berlin(2026, 6, 2, 10))


def test_add_starting_at_closing_counts_from_the_next_opening() -> None:
    assert DESK.add(berlin(2026, 6, 5, 17), 1) == utc(berlin(2026, 6, 8, 10))


def test_add_starting_on_a_sunday() -> None:
    assert DESK.add(berlin(2026, 6, 7, 12), 1) == utc(berlin(2026, 6, 8, 10))


def test_add_accepts_any_time_zone_and_fractions() -> None:
    # 10:00 in New York on a June Monday is 16:00 in Berlin.
    start = datetime(2026, 6, 1, 10, tzinfo=ZoneInfo("America/New_York"))
    assert DESK.add(start, 1.5) == utc(berlin(2026, 6, 2, 9, 30))
    assert DESK.add(start, Decimal("0.25")) == utc(berlin(2026, 6, 1, 16, 15))
    assert DESK.add(start, timedelta(minutes=90)) == utc(berlin(2026, 6, 2, 9, 30))


def test_add_many_hours_walks_by_day() -> None:
    # 200 hours are 25 working days of 8 hours: 1 June to 3 July 2026, no holidays between.
    started = wall.perf_counter()
    assert DESK.add(berlin(2026, 6, 1, 9), 200) == utc(berlin(2026, 7, 3, 17))
    assert wall.perf_counter() - started < 1


def test_zero_hours_inside_hours_is_the_start() -> None:
    start = berlin(2026, 6, 1, 11, 7)
    assert DESK.add(start, 0) == utc(start)


def test_zero_hours_outside_hours_is_the_next_opening() -> None:
    assert DESK.add(berlin(2026, 6, 7, 12), 0) == utc(berlin(2026, 6, 8, 9))
    assert DESK.add(berlin(2026, 6, 7, 12), timedelta(0)) == utc(berlin(2026, 6, 8, 9))


# --- holidays and closed days ------------------------------------------------------------


def test_easter_good_friday_and_easter_monday_are_closed() -> None:
    # Thursday 2 April 2026 16:00 + 2h: Good Friday (3rd) and Easter Monday (6th) are closed.
    assert DESK.add(berlin(2026, 4, 2, 16), 2) == utc(berlin(2026, 4, 7, 10))
    assert not DESK.is_open(berlin(2026, 4, 3, 12))
    assert not DESK.is_open(berlin(2026, 4, 6, 12))
    assert DESK.is_open(berlin(2026, 4, 7, 12))


def test_christmas_is_closed() -> None:
    # Thursday 24 Dec 2026 is a working day; 25th (Fri) and 26th are holidays.
    assert DESK.add(berlin(2026, 12, 24, 16), 2) == utc(berlin(2026, 12, 28, 10))


def test_german_unity_day_is_closed() -> None:
    # 3 October 2025 is a Friday.
    assert DESK.add(berlin(2025, 10, 2, 16), 2) == utc(berlin(2025, 10, 6, 10))


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin() -> None:
    bavaria = BusinessHours(subdivision="BY")
    start = berlin(2026, 1, 5, 16)
    assert DESK.add(start, 2) == utc(berlin(2026, 1, 6, 10))
    assert bavaria.add(start, 2) == utc(berlin(2026, 1, 7, 10))
    assert DESK.is_open(berlin(2026, 1, 6, 12))
    assert not bavaria.is_open(berlin(2026, 1, 6, 12))


def test_womens_day_is_a_holiday_in_berlin_only() -> None:
    # 8 March 2027 is a Monday.
    assert not DESK.is_closed_day(date(2026, 3, 9))
    assert DESK.is_closed_day(date(2027, 3, 8))
    assert not BusinessHours(subdivision="BY").is_closed_day(date(2027, 3, 8))
    assert not BusinessHours(subdivision=None).is_closed_day(date(2027, 3, 8))


def test_no_country_means_no_public_holidays() -> None:
    desk = BusinessHours(country=None, subdivision=None)
    assert desk.is_open(berlin(2026, 12, 25, 12))
    assert desk.add(berlin(2026, 12, 24, 16), 2) == utc(berlin(2026, 12, 25, 10))


def test_closed_days() -> None:
    desk = BusinessHours(closed_days=frozenset({date(2026, 6, 2), date(2026, 6, 3)}))
    assert desk.add(berlin(2026, 6, 1, 16), 2) == utc(berlin(2026, 6, 4, 10))
    assert not desk.is_open(berlin(2026, 6, 2, 12))
    assert desk.between(berlin(2026, 6, 1, 9), berlin(2026, 6, 5, 9)) == timedelta(hours=16)


# --- daylight saving ---------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)])
def test_an_opening_day_on_a_dst_change_is_eight_hours(day: date) -> None:
    desk = BusinessHours(opening=EVERY_DAY)
    midnight = datetime.combine(day, time(0), tzinfo=BERLIN)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)
    assert desk.between(midnight, next_midnight) == timedelta(hours=8)
    assert desk.add(midnight, 8) == utc(datetime.combine(day, time(17), tzinfo=BERLIN))
    assert desk.add(midnight, 1) == utc(datetime.combine(day, time(10), tzinfo=BERLIN))


def test_spring_forward_keeps_local_opening_times() -> None:
    desk = BusinessHours(opening=EVERY_DAY)
    # Saturday 16:00 CET + 2h = Sunday 10:00 CEST, which is 08:00 UTC.
    assert desk.add(berlin(2026, 3, 28, 16), 2) == datetime(2026, 3, 29, 8, tzinfo=UTC)
    # Friday to Monday on the weekday desk: Monday 10:00 is CEST already.
    assert DESK.add(berlin(2026, 3, 27, 16), 2) == datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_fall_back_keeps_local_opening_times() -> None:
    assert DESK.add(berlin(2026, 10, 23, 16), 2) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_round_the_clock_counts_real_hours_on_dst_days() -> None:
    desk = BusinessHours(opening=ROUND_THE_CLOCK, country=None, subdivision=None)
    spring = desk.between(berlin(2026, 3, 29), berlin(2026, 3, 30))
    autumn = desk.between(berlin(2026, 10, 25), berlin(2026, 10, 26))
    assert spring == timedelta(hours=23)
    assert autumn == timedelta(hours=25)
    # Three real hours after midnight CET is 04:00 CEST: the clocks skipped 02:00-03:00.
    assert desk.add(berlin(2026, 3, 29), 3) == utc(berlin(2026, 3, 29, 4))


def test_a_span_that_the_clocks_skip_is_empty() -> None:
    # 02:30 does not exist on 29 March; it resolves (fold=0) to 01:30 UTC, after 03:00.
    opening = (None,) * 6 + ((time(2, 30), time(3)),)
    desk = BusinessHours(opening=opening, country=None, subdivision=None)
    assert desk.span_on(date(2026, 3, 29)) is None
    assert desk.span_on(date(2026, 4, 5)) == (
        utc(berlin(2026, 4, 5, 2, 30)),
        utc(berlin(2026, 4, 5, 3)),
    )


# --- is_open, next_opening, between ---------------------------------------------------------


def test_is_open_includes_the_start_and_excludes_the_end() -> None:
    assert DESK.is_open(berlin(2026, 6, 1, 9))
    assert DESK.is_open(berlin(2026, 6, 1, 16, 59))
    assert not DESK.is_open(berlin(2026, 6, 1, 17))
    assert not DESK.is_open(berlin(2026, 6, 1, 8, 59))
    assert not DESK.is_open(berlin(2026, 6, 6, 12))


def test_next_opening() -> None:
    assert DESK.next_opening(berlin(2026, 6, 1, 10)) == utc(berlin(2026, 6, 1, 10))
    assert DESK.next_opening(berlin(2026, 6, 1, 8)) == utc(berlin(2026, 6, 1, 9))
    assert DESK.next_opening(berlin(2026, 6, 5, 17)) == utc(berlin(2026, 6, 8, 9))
    assert DESK.next_opening(berlin(2026, 4, 2, 18)) == utc(berlin(2026, 4, 7, 9))


def test_between() -> None:
    assert DESK.between(berlin(2026, 6, 5, 16), berlin(2026, 6, 8, 10)) == timedelta(hours=2)
    assert DESK.between(berlin(2026, 6, 6, 10), berlin(2026, 6, 7, 10)) == timedelta(0)
    assert DESK.between(berlin(2026, 6, 1, 7), berlin(2026, 6, 1, 20)) == timedelta(hours=8)
    # A week of June: five days of eight hours.
    assert DESK.between(berlin(2026, 6, 1), berlin(2026, 6, 8)) == timedelta(hours=40)


def test_between_is_zero_when_end_is_not_after_start() -> None:
    moment = berlin(2026, 6, 1, 12)
    assert DESK.between(moment, moment) == timedelta(0)
    assert DESK.between(moment, berlin(2026, 6, 1, 10)) == timedelta(0)


MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)


# No deadline: the first example of a year builds its holiday table, which may be slow.
@settings(deadline=None)
@given(start=MOMENTS, hours=st.floats(min_value=0, max_value=100))
def test_between_inverts_add(start: datetime, hours: float) -> None:
    due = DESK.add(start, hours)
    assert due >= start
    assert DESK.between(start, due) == timedelta(hours=hours)


@settings(deadline=None)
@given(
    start=MOMENTS,
    minutes=st.integers(min_value=0, max_value=100 * 60),
    opening=st.sampled_from([DEFAULT_OPENING, EVERY_DAY, ROUND_THE_CLOCK]),
)
def test_between_inverts_add_for_other_schedules(
    start: datetime, minutes: int, opening: tuple[tuple[time, time] | None, ...]
) -> None:
    desk = BusinessHours(opening=opening)
    assert desk.between(start, desk.add(start, timedelta(minutes=minutes))) == timedelta(
        minutes=minutes
    )


@settings(deadline=None)
@given(moments=st.lists(MOMENTS, min_size=3, max_size=3))
def test_between_is_additive(moments: list[datetime]) -> None:
    first, middle, last = sorted(moments)
    assert DESK.between(first, middle) + DESK.between(middle, last) == DESK.between(first, last)


# --- bad input and configuration ---------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 6, 1, 10)
    aware = berlin(2026, 6, 1, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        DESK.add(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        DESK.between(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        DESK.between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        DESK.is_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        DESK.next_opening(naive)


@pytest.mark.parametrize(
    "hours", [-1, -0.5, Decimal("-1"), timedelta(minutes=-1), float("nan"), float("inf")]
)
def test_negative_or_non_finite_hours_are_refused(hours: float | Decimal | timedelta) -> None:
    with pytest.raises(ValueError, match="hours"):
        DESK.add(berlin(2026, 6, 1, 10), hours)


def test_too_many_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="too large"):
        DESK.add(berlin(2026, 6, 1, 10), 1_000_000)


def test_a_desk_closed_for_a_year_raises_instead_of_looping() -> None:
    year = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(400))
    desk = BusinessHours(closed_days=year)
    with pytest.raises(ValueError, match="no open hours"):
        desk.add(berlin(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="no open hours"):
        desk.next_opening(berlin(2026, 1, 1))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timezone": "Europe/Atlantis"}, "unknown time zone"),
        ({"timezone": ""}, "time zone"),
        ({"opening": DEFAULT_OPENING[:6]}, "7 entries"),
        ({"opening": (*DEFAULT_OPENING, None)}, "7 entries"),
        ({"opening": ((time(17), time(9)), *DEFAULT_OPENING[1:])}, "start before it ends"),
        ({"opening": ((time(9), time(9)), *DEFAULT_OPENING[1:])}, "start before it ends"),
        ({"opening": (("09:00", "17:00"), *DEFAULT_OPENING[1:])}, "datetime.time"),
        ({"opening": ((time(9),), *DEFAULT_OPENING[1:])}, "pair"),
        ({"opening": (None,) * 7}, "no open day"),
        ({"country": "XX", "subdivision": None}, "unknown country 'XX'"),
        ({"subdivision": "XX"}, "unknown subdivision 'XX'"),
        ({"country": None}, "without a country"),
        ({"closed_days": frozenset({datetime(2026, 1, 2, tzinfo=UTC)})}, "dates"),
    ],
)
def test_invalid_configurations_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessHours(**settings)  # type: ignore[arg-type]


def test_configuration_is_normalised_and_hashable() -> None:
    desk = BusinessHours(
        opening=list(DEFAULT_OPENING),  # type: ignore[arg-type]
        closed_days={date(2026, 6, 2)},  # type: ignore[arg-type]
    )
    assert desk == BusinessHours(closed_days=frozenset({date(2026, 6, 2)}))
    assert hash(desk) == hash(BusinessHours(closed_days=frozenset({date(2026, 6, 2)})))
    assert {desk: "plan"}[desk] == "plan"


# --- parse_opening -----------------------------------------------------------------------


def test_parse_opening_ranges_and_single_days() -> None:
    assert parse_opening("mon-fri 09:00-17:00; sat 10:00-14:00") == (
        *DEFAULT_OPENING[:5],
        (time(10), time(14)),
        None,
    )


def test_parse_opening_default_equals_the_default() -> None:
    assert parse_opening("mon-fri 09:00-17:00") == DEFAULT_OPENING


def test_parse_opening_comma_lists_spaces_and_case() -> None:
    assert parse_opening("  MON, wed - thu  8:30 - 12:00 ;; sun 07:00-23:59 ;") == (
        (time(8, 30), time(12)),
        None,
        (time(8, 30), time(12)),
        (time(8, 30), time(12)),
        None,
        None,
        (time(7), time(23, 59)),
    )


def test_parse_opening_24_00_ends_the_day() -> None:
    opening = parse_opening("mon-sun 00:00-24:00")
    assert opening == ROUND_THE_CLOCK
    desk = BusinessHours(opening=opening, country=None, subdivision=None)
    assert desk.between(berlin(2026, 6, 1), berlin(2026, 6, 3)) == timedelta(hours=48)
    assert desk.is_open(berlin(2026, 6, 1, 23, 59))


def test_parsed_opening_drives_a_desk() -> None:
    desk = BusinessHours(opening=parse_opening("mon-fri 09:00-17:00; sat 10:00-14:00"))
    assert desk.add(berlin(2026, 6, 5, 16), 2) == utc(berlin(2026, 6, 6, 11))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no open day"),
        ("  ;  ", "no open day"),
        ("mon-fri", "expected days and a span"),
        ("09:00-17:00", "expected days and a span"),
        ("mon-fri 09:00", "expected days and a span"),
        ("funday 09:00-17:00", "unknown day 'funday'"),
        ("monday 09:00-17:00", "unknown day 'monday'"),
        ("mon,,wed 09:00-17:00", "unknown day ''"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon-fri 9.00-17.00", "bad time '9.00'"),
        ("mon-fri 09:00-25:00", "out of range"),
        ("mon-fri 09:60-17:00", "out of range"),
        ("mon-fri 24:00-24:00", "out of range"),
        ("mon-fri 17:00-09:00", "start before it ends"),
        ("mon-fri 09:00-09:00", "start before it ends"),
        ("mon-fri 09:00-17:00; fri 10:00-12:00", "fri is given twice"),
    ],
)
def test_parse_opening_refuses_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_opening(text)
