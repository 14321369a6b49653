"""``interpreta audit``: verify the tamper-evident audit trail, and read it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.accounts.models import User
from interpreta.cli.common import (
    DataDirOption,
    console,
    errors,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import PRIVACY_REQUESTS, SECURITY_AUDIT
from interpreta.datamap.ties import normalise_email
from interpreta.events.models import Participant
from interpreta.privacy import audit
from interpreta.privacy.keys import default_keyring
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import Pseudonyms, is_pseudonym

app = typer.Typer(
    help="The tamper-evident audit trail.",
    no_args_is_help=True,
    callback=runs_in_activity(SECURITY_AUDIT),
)


@app.command("verify")
def verify_command(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Check the whole hash chain; exit 1 naming the first broken entry, 0 when intact."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            report = audit.verify(db)
    finally:
        platform.close()
    if not report.ok:
        errors.print(
            f"[bold red]audit trail broken[/] at entry {report.broken_seq}: {report.problem} "
            f"({report.count} entries verified before it)",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"audit trail intact: {report.count} entries; head hash {report.last_hash}",
        highlight=False,
    )


@app.command("list")
def list_command(
    ctx: typer.Context,
    subject: Annotated[
        str | None, typer.Option(help="Only entries by or about this pseudonym.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(help="Only entries by or about the person with this email address."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many entries, newest first.")] = 50,
    data_dir: DataDirOption = None,
) -> None:
    """List audit entries, newest first (pseudonyms only; compute one with --email)."""
    if subject is not None and email is not None:
        fail("give --subject or --email, not both")
    if subject is not None and not is_pseudonym(subject):
        fail("--subject takes a pseudonym (ps1_ and 32 hex digits)")
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            subjects = [subject] if subject else None
            if email is not None:
                keyring = default_keyring(
                    platform.settings.data_dir, platform.secrets.master_key, platform.clock
                )
                subjects = pseudonyms_of_email(db, keyring.pseudonyms(db.connection()), email)
                db.commit()
            found = audit.entries(db, subjects=subjects, limit=limit)
    finally:
        platform.close()
    table = Table("seq", "at", "actor", "action", "subject", "target", "detail")
    for entry in found:
        table.add_row(
            str(entry.seq),
            entry.at.isoformat(timespec="seconds"),
            entry.actor,
            entry.action,
            entry.subject or "",
            entry.target,
            entry.detail,
        )
    console.print(table)
    console.print(f"{len(found)} entries", highlight=False)


@runs_in(PRIVACY_REQUESTS)
def pseudonyms_of_email(db: Session, pseudonyms: Pseudonyms, email: str) -> list[str]:
    """Every pseudonym a person with this email address may appear under: the email's
    own, their user account's, and their event participations' (for the DPO's lookups).
    """
    address = normalise_email(email)
    found = [pseudonyms.email(address)]
    found += [pseudonyms.user(i) for i in db.scalars(select(User.id).where(User.email == address))]
    found += [
        pseudonyms.participant(i)
        for i in db.scalars(select(Participant.id).where(func.lower(Participant.email) == address))
    ]
    return found
