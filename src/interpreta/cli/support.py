"""``interpreta support overdue``: the tickets past their SLA targets;
``interpreta support escalate``: escalate them now (the server does it every
``INTERPRETA_SUPPORT_INTERVAL_MINUTES``)."""

from __future__ import annotations

from datetime import timedelta

import typer

from interpreta.cli.common import (
    DataDirOption,
    console,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.support import sla

app = typer.Typer(
    help="The support desk's SLA: overdue tickets, escalation.",
    callback=runs_in_activity(SUPPORT_DESK),
)


def _hours(late: timedelta) -> str:
    return f"{late / timedelta(hours=1):.1f}"


@app.command("overdue")
def overdue(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """List the tickets past a target, the most overdue first (in business hours)."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            breaches = sla.overdue(db, platform.settings, platform.clock.now())
            lines = [
                f"{b.ticket.reference}  {b.target}  due {b.due.isoformat(timespec='minutes')}  "
                f"late {_hours(b.late)} business h  priority {b.ticket.priority}  "
                f"level {b.ticket.escalation_level}"
                for b in breaches
            ]
        console.print("\n".join(lines) if lines else "no ticket is past its SLA", soft_wrap=True)
    finally:
        platform.close()


@app.command("escalate")
def escalate(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Escalate each breach not escalated yet: the support lead is mailed."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            raised = sla.escalate(db, platform.settings, platform.mailer, platform.clock.now())
            references = [b.ticket.reference for b in raised]
        console.print(f"{len(references)} ticket(s) escalated" + (": " if references else ""))
        for reference in references:
            console.print(f"  {reference}")
    finally:
        platform.close()
