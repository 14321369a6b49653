"""``interpreta keys``: the encryption keys (P22): status, master-key and data-key rotation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from interpreta.cli.common import (
    DataDirOption,
    console,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.privacy import audit, data_key_rotation, keys
from interpreta.privacy.pseudonyms import system

app = typer.Typer(
    help="Encryption keys: status and rotation.",
    no_args_is_help=True,
    callback=runs_in_activity(SECURITY_AUDIT),
)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar; yields the (done, total) callback that moves it."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@app.command("status")
def status_command(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Show the master key versions and how many data keys each one wraps."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        keyring = keys.default_keyring(
            platform.settings.data_dir, platform.secrets.master_key, platform.clock
        )
        with platform.sessions() as db:
            state = keys.status(db.connection(), keyring.provider)
    finally:
        platform.close()
    console.print(
        f"provider: {state.provider}; current master key: {state.current_version}; "
        f"readable: {', '.join(state.versions)}",
        highlight=False,
    )
    table = Table("master key", "data keys")
    for version, count in sorted(state.by_master_version.items()):
        mark = " (current)" if version == state.current_version else ""
        table.add_row(version + mark, str(count))
    console.print(table)
    scopes = ", ".join(f"{kind}: {n}" for kind, n in sorted(state.by_scope_kind.items()))
    console.print(
        f"data keys by scope: {scopes or 'none'}; retired, still readable: {state.retired}; "
        f"destroyed: {state.destroyed}",
        highlight=False,
    )
    if state.retired:
        console.print(
            f"[yellow]{state.retired} retired data key(s) still protect data; run "
            "`interpreta keys rotate-data --resume` to finish[/]"
        )
    if state.outdated:
        console.print(
            f"[yellow]{state.outdated} data key(s) still wrapped by an older master key; "
            "run `interpreta keys rotate --no-new-key` to finish[/]"
        )
    else:
        console.print("every data key is wrapped by the current master key")


@app.command("rotate")
def rotate_command(
    ctx: typer.Context,
    no_new_key: Annotated[
        bool,
        typer.Option(
            "--no-new-key",
            help="Re-wrap under the provider's current key instead of creating a new one.",
        ),
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Re-wrap every data key under a new master key, while the service keeps running."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        keyring = keys.default_keyring(
            platform.settings.data_dir, platform.secrets.master_key, platform.clock
        )
        with progress_bar("re-wrapping data keys") as advance:
            try:
                report = keys.rotate(
                    platform.sessions, keyring, new_key=not no_new_key, progress=advance
                )
            except keys.KeyringError as exc:
                fail(str(exc))
        with platform.transaction() as db:
            audit.record(
                db,
                actor=system("cli"),
                action="keys.rotate",
                subject=None,
                target=f"master_key:{report.master_version}",
                detail={"rewrapped": report.rewrapped},
                now=platform.clock.now(),
            )
    finally:
        platform.close()
    console.print(
        f"master key now {report.master_version}; {report.rewrapped} data key(s) re-wrapped",
        highlight=False,
    )


@app.command("rotate-data")
def rotate_data_command(
    ctx: typer.Context,
    scope: Annotated[
        list[str] | None,
        typer.Option(help="Only this scope ('org:<id>' or 'operator'); repeat for more."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Make no new keys: finish re-encrypting after an interrupted run."
        ),
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Values per transaction.")] = 500,
    data_dir: DataDirOption = None,
) -> None:
    """Give each scope a new data key and re-encrypt its data under it, in small
    transactions while the service keeps running; safe to interrupt and resume."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        keyring = keys.default_keyring(
            platform.settings.data_dir, platform.secrets.master_key, platform.clock
        )
        if scope:
            with platform.sessions() as db:
                known = set(keys.status_scopes(db.connection()))
            unknown = sorted(set(scope) - known)
            if unknown:
                fail(f"no live data key has the scope {', '.join(unknown)}")
        with progress_bar("re-encrypting") as advance:
            try:
                report = data_key_rotation.rotate_data_keys(
                    platform.sessions,
                    keyring,
                    now=platform.clock.now(),
                    scopes=scope or None,
                    new_keys=not resume,
                    batch=batch,
                    progress=advance,
                )
            except keys.KeyringError as exc:
                fail(str(exc))
        with platform.transaction() as db:
            audit.record(
                db,
                actor=system("cli"),
                action="keys.rotate_data",
                subject=None,
                target="data_keys",
                detail={
                    "retired": report.retired,
                    "reencrypted": report.reencrypted,
                    "destroyed": report.destroyed,
                },
                now=platform.clock.now(),
            )
    finally:
        platform.close()
    console.print(
        f"{report.retired} data key(s) replaced; {report.reencrypted} value(s) re-encrypted; "
        f"{report.destroyed} retired key(s) destroyed; {report.remaining} retired key(s) "
        f"left (destroyed after {data_key_rotation.GRACE} by a later run)",
        highlight=False,
    )
