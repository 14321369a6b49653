"""``interpreta marks``: restrictions and objections in force, and the DPO's overriding
grounds for an objection (P31, P32)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import User
from interpreta.cli.common import DataDirOption, console, fail, load_settings, start_platform
from interpreta.datamap.activities import SECURITY_AUDIT, SIGN_IN
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.privacy.pseudonyms import system
from interpreta.web.staff import mark_purposes, processing_marks, record_grounds
from interpreta.web.staff_desk import PRIVACY_STAFF

app = typer.Typer(
    help="Restrictions and objections in force; overriding grounds (P31, P32).",
    no_args_is_help=True,
)
ACTOR = system("cli")


@app.command("list")
def listing(
    ctx: typer.Context,
    all_marks: Annotated[bool, typer.Option("--all", help="Include lifted marks.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Marks in force (or all), by user ID only: never an email address."""
    platform = start_platform(ctx, load_settings(data_dir))
    with platform.sessions() as db, processing(SECURITY_AUDIT):
        found = processing_marks(db, include_lifted=all_marks)
        table = Table("id", "kind")
        table.add_column("person", no_wrap=True)
        table.add_column("placed", no_wrap=True)
        table.add_column("grounds", no_wrap=True)
        if all_marks:
            table.add_column("lifted", no_wrap=True)
        table.add_column("purposes stopped", overflow="fold")
        for mark in found:
            lifted = [f"{mark.lifted_at:%Y-%m-%d}" if mark.lifted_at else "-"] if all_marks else []
            table.add_row(
                str(mark.id),
                mark.kind.value.replace("_", " "),
                f"user {mark.user_id}" if mark.user_id is not None else "digest",
                f"{mark.created_at:%Y-%m-%d}",
                "recorded" if mark.overriding_grounds else "-",
                *lifted,
                mark_purposes(mark),
            )
    console.print(table)
    console.print(f"{len(found)} mark(s)", highlight=False)


def _actor(platform: Platform, db: Session, by: str | None) -> str:
    """Who records: ``system:cli``, or the pseudonym of the DPO or admin account `by`
    names (user ID, email address or name), so the audit trail holds no plain name.

    Looking the account up is identifying who acts, as signing in does (the command
    line does not authenticate: whoever runs it holds the data directory).
    """
    if by is None:
        return ACTOR
    wanted = by.strip().casefold()
    staff = db.scalars(select(User).where(User.staff_role.in_(PRIVACY_STAFF))).all()
    found = [
        u for u in staff if wanted in (str(u.id), u.email.casefold(), u.name.strip().casefold())
    ]
    if len(found) != 1:
        problem = "names no" if not found else "names more than one"
        fail(f"--by {problem} DPO or admin account; give its user ID or email address")
    return platform.keyring.pseudonyms(db.connection()).user(found[0].id)


@app.command("override")
def override(
    ctx: typer.Context,
    mark_id: Annotated[int, typer.Argument(help="The objection's mark number")],
    grounds: Annotated[str, typer.Option(help="The compelling legitimate grounds")],
    by: Annotated[
        str | None,
        typer.Option(help="The DPO or admin recording them (user ID, email or name)"),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Record grounds that override an objection (Art. 21(1)); audited."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            with processing(SIGN_IN, session=db):
                actor = _actor(platform, db, by)
            with processing(SECURITY_AUDIT, session=db):
                record_grounds(db, platform, mark_id, grounds, actor=actor)
    except Problem as exc:
        fail(str(exc))
    console.print(f"mark {mark_id}: overriding grounds recorded")
