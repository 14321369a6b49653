"""``interpreta audit``: verify the tamper-evident audit trail, prove entries in it,
publish its signed tree heads, and read it."""

from __future__ import annotations

import json
import re
from pathlib import Path
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
from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS, SECURITY_AUDIT
from interpreta.datamap.ties import normalise_email
from interpreta.events.models import Participant
from interpreta.privacy import audit, audit_publish
from interpreta.privacy.keys import default_keyring
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import Pseudonyms, is_pseudonym

app = typer.Typer(
    help="The tamper-evident audit trail.",
    no_args_is_help=True,
    callback=runs_in_activity(SECURITY_AUDIT),
)


_ROOT = re.compile(r"(\d+):([0-9a-fA-F]{64})")


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="ROOT_OR_FILE",
            help=(
                "Also check the history against a published tree head: SIZE:ROOT (ROOT: 64 "
                "hex digits), or a file 'audit publish' wrote (every signature, every line "
                "extending the one before, the trail extending them all)."
            ),
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Check the whole hash chain and the history tree; exit 1 naming the first broken
    entry (or what the published heads contradict), 0 when intact."""
    settings = load_settings(data_dir)
    published = _published(settings, against) if against is not None else None
    platform = start_platform(ctx, settings)
    try:
        with platform.sessions() as db:
            report = audit.verify(db)
            against_report = None
            if report.ok and published is not None:
                against_report = _against(db, published)
    finally:
        platform.close()
    if not report.ok:
        errors.print(
            f"[bold red]audit trail broken[/] at entry {report.broken_seq}: {report.problem} "
            f"({report.count} entries verified before it)",
            highlight=False,
        )
        raise typer.Exit(1)
    if against_report is not None and not against_report.ok:
        errors.print(
            f"[bold red]audit history not as published:[/] {against_report.message}",
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"audit trail intact: {report.count} entries; head hash {report.last_hash}",
        highlight=False,
    )
    if against_report is not None:
        console.print(f"audit history {against_report.message}", highlight=False)


Published = audit.TreeHead | tuple[list[audit_publish.SignedTreeHead], bytes]
"""What ``--against`` names: one tree head, or a published file's heads and the key."""


def _published(settings: Settings, against: str) -> Published:
    """Read ``--against`` (SIZE:ROOT, or a published file), or fail with one line."""
    given = _ROOT.fullmatch(against)
    if given is not None:
        return audit.TreeHead(int(given.group(1)), given.group(2).lower())
    path = Path(against)
    if not path.exists() and re.match(r"\d+:", against):
        fail(f"malformed root {against!r}: give SIZE:ROOT, ROOT being 64 hex digits")
    if not path.is_file():
        fail(f"no published file at {path} (give SIZE:ROOT or a file 'audit publish' wrote)")
    try:
        heads = audit_publish.read_published(path)
        key = audit_publish.public_key(settings.data_dir)
    except audit_publish.PublishedUnreadable as exc:
        fail(str(exc))
    except FileNotFoundError:
        fail(f"no audit signing key in {settings.data_dir}: no head was published from it")
    return heads, key


def _against(db: Session, published: Published) -> audit_publish.AgainstReport:
    """Check the trail against a head, or against a published file's heads."""
    if isinstance(published, audit.TreeHead):
        return audit_publish.verify_against(db, published)
    heads, key = published
    return audit_publish.verify_published(db, heads, key)


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    seq: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    size: Annotated[
        int | None,
        typer.Option(help="Prove it in the tree of the first SIZE entries (default: all)."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Print the proof (JSON) that an entry is in the history tree, and check it: the
    entry's fields hash to its hash, and the audit path leads from its leaf to the root."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            proof = audit.prove_inclusion(db, seq, size)
            entry = audit.document(db, seq)
    except audit.ProofRefused as exc:
        fail(str(exc))
    finally:
        platform.close()
    verified = entry is not None and audit.entry_hash(entry) == proof.entry_hash and proof.verify()
    shown = {"entry": entry, **proof.as_json(), "verified": verified}
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    if not verified:
        errors.print(
            f"[bold red]proof does not verify:[/] entry {seq} or the tree was changed "
            "(run 'interpreta audit verify')",
            highlight=False,
        )
        raise typer.Exit(1)


@app.command("publish")
def publish_command(
    ctx: typer.Context,
    to: Annotated[
        Path | None,
        typer.Option(
            help="Append to this file (default: $INTERPRETA_AUDIT_ROOT_FILE, or "
            "published/audit-roots.jsonl in the data directory)."
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Sign the history tree's head (size, root, time) and append it to the published
    file, with the proof that it extends the head published before; exit 1, publishing
    nothing, when the trail's history no longer does."""
    settings = load_settings(data_dir)
    target = to or audit_publish.root_file(settings)
    platform = start_platform(ctx, settings)
    try:
        with platform.sessions() as db:
            head = audit_publish.publish_with(db, settings, now=platform.clock.now(), to=target)
    except audit_publish.PublishRefused as exc:
        errors.print(f"[bold red]not published:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except OSError as exc:
        fail(f"cannot publish to {target}: {exc.strerror or exc}")
    finally:
        platform.close()
    console.print(
        f"published the head of {head.tree_size} entries, root {head.root_hash}, to {target}",
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
