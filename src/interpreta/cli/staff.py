"""``interpreta staff grant EMAIL --role ROLE`` / ``staff revoke EMAIL`` / ``staff list``:
who works on the operator's desks (support, billing, DPO, admin). A role counts only once
its holder has turned on two-factor sign-in; every change is audited."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from interpreta.accounts.models import StaffRole, User
from interpreta.cli.common import (
    DataDirOption,
    console,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import ACCOUNT
from interpreta.datamap.ties import normalise_email
from interpreta.privacy import audit
from interpreta.privacy.pseudonyms import system

app = typer.Typer(
    help="The operator's staff roles: grant, revoke, list.",
    callback=runs_in_activity(ACCOUNT),
    no_args_is_help=True,
)
ACTOR = system("cli")


def _set(ctx: typer.Context, email: str, role: StaffRole | None, data_dir: DataDirOption) -> None:
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            user = db.scalar(select(User).where(User.email == normalise_email(email)))
            if user is None or user.closed_at is not None:
                fail(f"no open account has the address {email}")
            user.staff_role = role
            audit.record(
                db,
                actor=ACTOR,
                action="staff.role.grant" if role else "staff.role.revoke",
                subject=platform.keyring.pseudonyms(db.connection()).user(user.id),
                target=f"user:{user.id}",
                detail={"role": None if role is None else str(role)},
                now=platform.clock.now(),
            )
            pending = role is not None and user.totp_enabled_at is None
        said = f"role {role} granted" if role else "staff role revoked"
        console.print(said + (" (counts once two-factor sign-in is on)" if pending else ""))
    finally:
        platform.close()


@app.command("grant")
def grant(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    role: Annotated[StaffRole, typer.Option(help="support, billing, sales, dpo or admin.")],
    data_dir: DataDirOption = None,
) -> None:
    """Give an account a staff role (it replaces any other)."""
    _set(ctx, email, role, data_dir)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    data_dir: DataDirOption = None,
) -> None:
    """Take an account's staff role away."""
    _set(ctx, email, None, data_dir)


@app.command("list")
def listing(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """The accounts with a staff role: user ID, role, and whether it counts yet."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            rows = db.execute(
                select(User.id, User.staff_role, User.totp_enabled_at)
                .where(User.staff_role.is_not(None))
                .order_by(User.id)
            ).all()
        for user_id, role, totp in rows:
            console.print(f"user {user_id}  {role}  {'in force' if totp else 'needs 2FA'}")
        if not rows:
            console.print("no staff role is held")
    finally:
        platform.close()
