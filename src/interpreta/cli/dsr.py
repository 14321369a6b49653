"""``interpreta dsr``: data-subject requests from the command line (P34)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from interpreta.cli.common import (
    DataDirOption,
    console,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.db.engine import checkpoint
from interpreta.errors import Problem
from interpreta.privacy.rights import requests
from interpreta.privacy.rights.models import (
    DataSubjectRequest,
    RequestKind,
    RequestPart,
    RequestStatus,
)
from interpreta.privacy.rights.requests import Rights

app = typer.Typer(
    help="Data-subject requests: list, log, execute, deadlines.",
    no_args_is_help=True,
    callback=runs_in_activity(PRIVACY_REQUESTS),
)


@app.command("list")
def list_requests(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only requests past due.")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only unanswered requests.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """List requests with their deadline; exit 1 when ``--overdue`` finds any."""
    platform = start_platform(ctx, load_settings(data_dir))
    now = platform.clock.now()
    with platform.sessions() as db:
        found = requests.overdue(db, now) if overdue else requests.listing(db, open_only=open_only)
        table = Table("id", "kind", "status", "received", "due", "parts", "overdue")
        for r in found:
            parts = ", ".join(
                f"{p.scope.value}:{p.organisation_id or '-'}={p.status.value}" for p in r.parts
            )
            late = r.closed_at is None and r.deadline < now
            table.add_row(
                str(r.id),
                r.kind.value,
                r.status.value,
                r.received_at.date().isoformat(),
                r.deadline.date().isoformat(),
                parts,
                "yes" if late else "",
            )
    console.print(table)
    console.print(f"{len(found)} request(s)")
    if overdue and found:
        raise typer.Exit(1)


@app.command("escalate")
def escalate(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Mail the DPO about customer parts still open 20 days after their request came in
    (once per part; the server does this hourly too)."""
    platform = start_platform(ctx, load_settings(data_dir))
    with platform.transaction() as db:
        escalated = Rights.of(platform).escalate(db, platform.clock.now())
    console.print(f"{len(escalated)} part(s) escalated to the DPO")


@app.command("log")
def log_request(
    ctx: typer.Context,
    kind: Annotated[RequestKind, typer.Argument(help="The right exercised.")],
    email: Annotated[str, typer.Option(help="The person's email address.")],
    details: Annotated[str, typer.Option(help="What the person asked.")] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Log a request received by email or phone (identity checked by the caller)."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            request = Rights.of(platform).logged_by_staff(
                db, staff_user_id=0, kind=kind, email=email, details=details
            )
            console.print(f"request {request.id} logged; due {request.deadline.date()}")
    except Problem as problem:
        fail(str(problem))


@app.command("execute")
def execute_request(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(min=1, help="The request's number.")],
    part: Annotated[
        str | None,
        typer.Option(help="Only this part: 'controller' or 'processor:<organisation>'."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Answer a confirmed request's open parts as the operator (for a request received
    by mail or phone, say): each part in its own transaction, audited, as in the app."""
    platform = start_platform(ctx, load_settings(data_dir))
    rights = Rights.of(platform)
    with platform.sessions() as db:
        request = db.get(DataSubjectRequest, request_id)
        if request is None:
            fail(f"no request {request_id}")
        labels = {p.id: requests.part_of(p).label for p in request.parts}
        chosen = [i for i, label in labels.items() if part in (None, label)]
        if part is not None and not chosen:
            fail(f"request {request_id} has no part {part!r} (it has {', '.join(labels.values())})")
        open_parts = [
            p.id for p in request.parts if p.id in chosen and p.status is RequestStatus.OPEN
        ]
    if not open_parts:
        fail(f"request {request_id} has no open part to answer", code=1)
    for part_id in open_parts:
        try:
            with platform.transaction() as db:
                answering = db.get_one(RequestPart, part_id)
                rights.execute(db, answering, actor_user_id=None)
        except Problem as problem:
            fail(f"{labels[part_id]}: {problem}")
        console.print(f"request {request_id}: {labels[part_id]} answered", highlight=False)
    checkpoint(platform.engine)
