"""``interpreta retention`` and ``interpreta holds``: the rules in action, and exceptions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
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
from interpreta.privacy import audit
from interpreta.privacy import holds as legal_holds
from interpreta.privacy.holds import HoldScope
from interpreta.privacy.pseudonyms import system
from interpreta.privacy.retention import RetentionBusy

retention_app = typer.Typer(
    help="Delete or anonymise what the data map says has expired.", no_args_is_help=True
)
holds_app = typer.Typer(
    help="Legal holds: keep named records past their rule (P15).",
    no_args_is_help=True,
    callback=runs_in_activity(SECURITY_AUDIT),
)


@retention_app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only report what would go.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 2000,
    data_dir: DataDirOption = None,
) -> None:
    """Apply every retention rule now; safe to interrupt and run again."""
    platform = start_platform(ctx, load_settings(data_dir))
    engine = platform.retention_engine(**({"batch_size": batch_size} if batch_size else {}))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, done: int, due: int | None) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=due)
            progress.update(tasks[name], completed=done, total=due)

        try:
            report = engine.run(platform.clock.now(), dry_run=dry_run, progress=advance)
        except RetentionBusy as exc:
            fail(str(exc), code=1)
    table = Table("table / rule", "due", "would go" if dry_run else "went")
    for name, outcome in report.outcomes.items():
        if outcome.due or outcome.disposed:
            table.add_row(name, str(outcome.due), str(outcome.due if dry_run else outcome.disposed))
    console.print(table if table.rows else "nothing is due")
    verb = "would be disposed of" if dry_run else "disposed of"
    console.print(f"{report.total} row(s) {verb}")


def _audit(platform: Platform, db: Session, action: str, hold_id: int) -> None:
    audit.record(
        db,
        actor=system("cli"),
        action=action,
        subject=None,
        target=f"legal_hold:{hold_id}",
        detail={},
        now=platform.clock.now(),
    )


@holds_app.command("place")
def place(
    ctx: typer.Context,
    scope: Annotated[HoldScope, typer.Option(help="user, email, organisation or event")],
    target: Annotated[str, typer.Option(help="The user ID, email, organisation ID or event ID")],
    reason: Annotated[str, typer.Option(help="Why (an investigation, audit, legal matter)")],
    by: Annotated[str, typer.Option(help="Who places the hold")],
    data_dir: DataDirOption = None,
) -> None:
    """Place a legal hold."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            hold = legal_holds.place(
                db,
                scope=scope,
                target=target,
                reason=reason,
                placed_by=by,
                now=platform.clock.now(),
            )
            _audit(platform, db, "hold.place", hold.id)
    except Problem as exc:
        fail(str(exc))
    console.print(f"hold {hold.id} placed on {scope.value} {hold.target}")


@holds_app.command("release")
def release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold's number")],
    reason: Annotated[str, typer.Option(help="Why it ends")],
    by: Annotated[str, typer.Option(help="Who releases it")],
    data_dir: DataDirOption = None,
) -> None:
    """Release a legal hold; its records follow their rules again."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            legal_holds.release(
                db, hold_id, released_by=by, reason=reason, now=platform.clock.now()
            )
            _audit(platform, db, "hold.release", hold_id)
    except Problem as exc:
        fail(str(exc))
    console.print(f"hold {hold_id} released")


@holds_app.command("list")
def listing(
    ctx: typer.Context,
    all_holds: Annotated[bool, typer.Option("--all", help="Include released holds.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """List the holds in force (or all)."""
    platform = start_platform(ctx, load_settings(data_dir))
    with platform.sessions() as db:
        rows = legal_holds.listing(db, include_released=all_holds)
    table = Table("id", "scope", "target", "reason", "placed", "released")
    for hold in rows:
        released = f"{hold.released_at:%Y-%m-%d}" if hold.released_at else ""
        table.add_row(
            str(hold.id),
            hold.scope.value,
            hold.target,
            hold.reason,
            f"{hold.placed_at:%Y-%m-%d} by {hold.placed_by}",
            released,
        )
    console.print(table)
