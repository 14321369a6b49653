"""``interpreta support``: the overdue tickets and their escalation from the command line
(the mail to the support lead lands in the outbox folder)."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner, Result

from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.support.conftest import OpenTicket


def _support(settings: Settings, clock: FrozenClock, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["support", *args, "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": settings.resolved_database_url},
        obj=CommandContext(clock=clock),
    )


def test_overdue_tickets_are_listed_and_escalated(
    platform: Platform, settings: Settings, desk_clock: FrozenClock, open_ticket: OpenTicket
) -> None:
    assert "no ticket is past its SLA" in _support(settings, desk_clock, "overdue").output
    open_ticket()
    desk_clock.advance(timedelta(days=4))  # Friday 10:00: a day past the first answer
    listed = _support(settings, desk_clock, "overdue")
    assert listed.exit_code == 0, listed.output
    assert "first_response" in listed.output and "8.0" in listed.output
    escalated = _support(settings, desk_clock, "escalate")
    assert escalated.exit_code == 0 and "1 ticket(s) escalated" in escalated.output
    (mail,) = (settings.data_dir / "outbox").glob("*.eml")
    assert b"support-lead@interpreta.example" in mail.read_bytes()
    again = _support(settings, desk_clock, "escalate")
    assert "0 ticket(s) escalated" in again.output
