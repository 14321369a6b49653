"""``interpreta status``: uptime, maintenance and the prober from the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from interpreta.availability import records
from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform


def _runner(settings: Settings, clock: FrozenClock) -> Any:
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url, "COLUMNS": "200"}
    data = ["--data-dir", str(settings.data_dir)]

    def run(*args: str, data_dir: bool = True) -> Any:
        return CliRunner().invoke(
            app, [*args, *(data if data_dir else [])], env=env, obj=CommandContext(clock=clock)
        )

    return run


def test_cli_status_reports_the_uptime_and_fails_below_target(
    platform: Platform, settings: Settings, clock: FrozenClock
) -> None:
    run = _runner(settings, clock)
    shown = run("status")
    assert (
        shown.exit_code == 0 and "not measured" in shown.output and "no probe yet" in shown.output
    )
    for minute in range(10):
        with platform.transaction() as db:
            ok = minute != 4
            records.record_probe(
                db,
                prober="p",
                ok=ok,
                failed_at=None if ok else "audio",
                milliseconds=300,
                now=clock.now(),
            )
        clock.advance(timedelta(minutes=1))
    shown = run("status")
    assert shown.exit_code == 1, shown.output  # 90 % < 95 %
    assert "90.00%" in shown.output and "last probe: up" in shown.output


def test_cli_status_maintenance_is_announced_and_bad_input_refused_in_one_line(
    platform: Platform, settings: Settings, clock: FrozenClock
) -> None:
    run = _runner(settings, clock)
    soon = clock.now() + timedelta(days=2)
    for starts, ends, says in (
        ("tomorrow", soon.isoformat(), "--starts is not a date and time"),
        ("2026-12-24T06:00", soon.isoformat(), "--starts needs a time zone"),
        (soon.isoformat(), (soon - timedelta(hours=1)).isoformat(), "ends after it starts"),
        ((clock.now() - timedelta(hours=1)).isoformat(), soon.isoformat(), "before it starts"),
    ):
        wrong = run(
            "status", "maintenance", "add", "--starts", starts, "--ends", ends, "--reason", "x"
        )
        assert wrong.exit_code == 2 and says in wrong.output, wrong.output
        assert "Traceback" not in wrong.output
    ends = (soon + timedelta(hours=2)).isoformat()
    added = run(
        "status",
        "maintenance",
        "add",
        "--starts",
        soon.isoformat(),
        "--ends",
        ends,
        "--reason",
        "Upgrade",
    )
    assert added.exit_code == 0 and "maintenance 1 announced" in added.output, added.output
    listed = run("status", "maintenance", "list")
    assert "Upgrade" in listed.output


def test_cli_status_probe_once_fails_at_the_page_when_nothing_answers(
    settings: Settings, clock: FrozenClock
) -> None:
    run = _runner(settings, clock)
    probed = run(
        "status",
        "probe",
        "--url",
        "http://127.0.0.1:9",
        "--code",
        "ABC",
        "--speaker-key",
        "k",
        "--once",
        data_dir=False,
    )
    assert probed.exit_code == 1 and "failed at page" in probed.output, probed.output
