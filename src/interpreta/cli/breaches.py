"""``interpreta breach``: the breach register and its 72-hour countdown (P25)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from interpreta.cli.common import (
    DataDirOption,
    console,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy import audit, breaches
from interpreta.privacy.breaches import Recipient, Risk

app = typer.Typer(
    help="Personal-data breaches and their deadlines (P25).",
    no_args_is_help=True,
    callback=runs_in_activity(SECURITY_AUDIT),
)
ACTOR = "system:cli"


def _audit(
    platform: Platform, db: Session, action: str, breach_id: int, detail: dict[str, Any]
) -> None:
    audit.record(
        db,
        actor=ACTOR,
        action=action,
        subject=None,
        target=f"breach:{breach_id}",
        detail=detail,
        now=platform.clock.now(),
    )


@app.command("report")
def report(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Short description")],
    categories: Annotated[str, typer.Option(help="Comma-separated data categories")],
    people: Annotated[int, typer.Option(help="Approximate number of people affected")],
    risk: Annotated[Risk, typer.Option(help="unlikely, risk or high")],
    by: Annotated[str, typer.Option(help="Who records it (name or role)")],
    description: Annotated[str, typer.Option(help="What happened")] = "",
    discovered: Annotated[
        datetime | None, typer.Option(help="When it was discovered (ISO, UTC); default now")
    ] = None,
    processor_scope: Annotated[
        bool, typer.Option("--processor-scope", help="Customers' event data is affected")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Record a breach; prints the authority-notification deadline."""
    platform = start_platform(ctx, load_settings(data_dir))
    now = platform.clock.now()
    when = now if discovered is None else discovered.replace(tzinfo=discovered.tzinfo or now.tzinfo)
    try:
        with platform.transaction() as db:
            breach = breaches.report(
                db,
                title=title,
                description=description or title,
                discovered_at=when,
                categories=[c.strip() for c in categories.split(",") if c.strip()],
                people_affected=people,
                risk=risk,
                processor_scope=processor_scope,
                reported_by=by,
                now=now,
            )
            _audit(platform, db, "breach.report", breach.id, {"risk": risk.value})
            clock = breaches.countdown(breach, now)
    except Problem as exc:
        fail(str(exc))
    console.print(
        f"breach {breach.id} recorded; notify the authority by "
        f"{clock.deadline:%Y-%m-%d %H:%M} UTC ({clock.words()})"
    )


@app.command("list")
def listing(
    ctx: typer.Context,
    all_breaches: Annotated[bool, typer.Option("--all", help="Include closed ones.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Open breaches with their countdowns (or all)."""
    platform = start_platform(ctx, load_settings(data_dir))
    now = platform.clock.now()
    with platform.sessions() as db:
        rows = breaches.all_breaches(db) if all_breaches else breaches.open_breaches(db)
        table = Table("id", "discovered", "title", "risk", "people", "authority", "still owed")
        for breach in rows:
            table.add_row(
                str(breach.id),
                f"{breach.discovered_at:%Y-%m-%d %H:%M}",
                breach.title,
                breach.risk.value,
                str(breach.people_affected),
                breaches.countdown(breach, now).words(),
                ", ".join(r.value for r in breach.owed()) or "-",
            )
    console.print(table)


@app.command("notify")
def notify(
    ctx: typer.Context,
    breach_id: Annotated[int, typer.Argument(help="The breach's number")],
    to: Annotated[Recipient, typer.Option(help="authority, people or customer")],
    reference: Annotated[str, typer.Option(help="Case number or note")],
    data_dir: DataDirOption = None,
) -> None:
    """Record that a notification was sent."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            breaches.notify(
                db, breach_id, recipient=to, reference=reference, now=platform.clock.now()
            )
            _audit(platform, db, "breach.notify", breach_id, {"recipient": to.value})
    except Problem as exc:
        fail(str(exc))
    console.print(f"breach {breach_id}: notification to {to.value} recorded")


@app.command("close")
def close(
    ctx: typer.Context,
    breach_id: Annotated[int, typer.Argument(help="The breach's number")],
    data_dir: DataDirOption = None,
) -> None:
    """Close the incident (refused while a required notification is owed)."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            breaches.close(db, breach_id, now=platform.clock.now())
            _audit(platform, db, "breach.close", breach_id, {})
    except Problem as exc:
        fail(str(exc))
    console.print(f"breach {breach_id} closed")
