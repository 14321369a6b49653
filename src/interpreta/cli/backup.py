"""``interpreta backup`` and ``interpreta restore`` (P24)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interpreta import backup
from interpreta.cli.common import DataDirOption, console, fail, load_settings, start_platform
from interpreta.schema import all_metadata


def backup_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The backup file to write.")],
    data_dir: DataDirOption = None,
) -> None:
    """Write an encrypted backup of the whole database."""
    platform = start_platform(ctx, load_settings(data_dir))
    provider = platform.keyring.provider
    version = provider.current_version()
    info = backup.write(
        platform.engine,
        all_metadata(),
        out,
        master_key=provider.key(version),
        key_version=version,
        now=platform.clock.now(),
    )
    console.print(f"wrote {out}: {info.rows} rows, schema {info.revision}, key {version}")


def restore_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="The backup file.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current data without asking.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Replace the database's content with a backup, then replay later erasures."""
    settings = load_settings(data_dir)
    if not yes and not typer.confirm(f"Replace every row in {settings.resolved_database_url}?"):
        raise typer.Exit(1)
    platform = start_platform(ctx, settings)
    try:
        info, _prefix = backup.read_header(source)
        master_key = platform.keyring.provider.key(info.key_version)
        platform.close()
        restored = backup.restore(platform.engine, all_metadata(), source, master_key=master_key)
    except (backup.BackupError, OSError, KeyError) as exc:
        fail(f"cannot restore {source}: {exc}")
    platform = start_platform(ctx, settings)
    replayed = platform.replay_erasures(since=restored.created_at)
    console.print(
        f"restored {restored.rows} rows from {restored.created_at:%Y-%m-%d %H:%M} UTC; "
        f"{replayed} later erasure(s) replayed"
    )
