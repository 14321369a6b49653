"""Time comes from the injectable clock: nothing outside ``clock.py`` reads the wall clock.

A test that froze the platform's clock but let some code read the system's time
passed for months and then failed by itself on a calendar date. This test reads
the source of the package, its tests and benchmarks, and refuses any call that
reads the current date or time from the system.
"""

from __future__ import annotations

import ast
from pathlib import Path

from interpreta.clock import FrozenClock, SystemClock

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "bench", "scripts")

WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
}
"""Calls that read today's date or the current time from the system."""

ALLOWED = {
    Path("src/interpreta/clock.py"): "the system clock itself",
    Path("tests/certificates.py"): "certificates are checked on the real clock",
}


def _wall_clock_calls(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Attribute):
            owner = function.value
            is_attribute = isinstance(owner, ast.Attribute)
            owner_name = owner.attr if is_attribute else getattr(owner, "id", "")
            if (owner_name, function.attr) in WALL_CLOCK:
                found.append(f"{name}:{node.lineno} {owner_name}.{function.attr}()")
    return found


def test_no_wall_clock_outside_clock_module() -> None:
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT)
            if name not in ALLOWED:
                found.extend(_wall_clock_calls(path.read_text(encoding="utf-8"), str(name)))
    assert not found, "read the platform's clock instead:\n" + "\n".join(found)


def test_the_scan_finds_a_wall_clock_read() -> None:
    sample = (
        "import datetime, time\n"
        "from datetime import date\n"
        "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\nd = time.monotonic()\n"
    )
    assert _wall_clock_calls(sample, "sample.py") == [
        "sample.py:3 datetime.now()",
        "sample.py:4 date.today()",
        "sample.py:5 time.time()",
    ]


def test_frozen_clock_stands_still_until_moved() -> None:
    from datetime import UTC, datetime, timedelta

    moment = datetime(2030, 1, 1, tzinfo=UTC)
    clock = FrozenClock(moment)
    assert clock.now() == moment
    clock.advance(timedelta(days=1))
    assert clock.now() == moment + timedelta(days=1)
    assert SystemClock().now().tzinfo is not None
