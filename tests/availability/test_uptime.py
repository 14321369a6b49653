"""Uptime from minutes: probes up, missing or failed minutes down, maintenance left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from interpreta.availability.uptime import compute

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def minutes(start: int, end: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m, seconds=17) for m in range(start, end)]


def test_missing_and_failed_minutes_are_down_and_maintenance_is_left_out() -> None:
    ok = minutes(0, 60) + minutes(90, 120) + minutes(150, 180)
    window = (T0 + timedelta(minutes=130), T0 + timedelta(minutes=160))
    uptime = compute(
        T0 - timedelta(days=1),
        T0 + timedelta(minutes=180),
        first_probe=T0,
        ok_minutes=ok,
        maintenance=[window],
    )
    assert (uptime.counted, uptime.up, uptime.excluded) == (150, 110, 30)
    assert uptime.ratio is not None and round(uptime.ratio, 4) == 0.7333
    assert uptime.meets_target is False
    assert [(o.start - T0, o.minutes) for o in uptime.outages] == [
        (timedelta(minutes=60), 30),
        (timedelta(minutes=120), 10),  # the outage ends where maintenance begins
    ]


def test_nothing_is_counted_before_the_first_probe() -> None:
    uptime = compute(T0, T0 + timedelta(hours=1), first_probe=None, ok_minutes=[], maintenance=[])
    assert uptime.ratio is None and uptime.meets_target is None and uptime.outages == []


@given(st.sets(st.integers(0, 119)), st.integers(0, 119), st.integers(0, 60))
def test_the_minutes_add_up(up: set[int], gap_start: int, gap_length: int) -> None:
    window = (T0 + timedelta(minutes=gap_start), T0 + timedelta(minutes=gap_start + gap_length))
    uptime = compute(
        T0,
        T0 + timedelta(minutes=120),
        first_probe=T0,
        ok_minutes=[T0 + timedelta(minutes=m) for m in up],
        maintenance=[window],
    )
    assert uptime.counted + uptime.excluded == 120
    assert uptime.counted - uptime.up == sum(o.minutes for o in uptime.outages)
    assert 0 <= uptime.up <= len(up)
