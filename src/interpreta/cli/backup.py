"""``interpreta backup`` and ``interpreta restore`` (P24).

Every operator error (a missing or rotated-away master key, a damaged or altered
file, an erasure log that is not the one the backup was taken with, a read-only
database or folder) ends in one line and a non-zero exit, with the data as it
was.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from interpreta import backup
from interpreta.cli.common import DataDirOption, console, fail, load_settings, start_platform
from interpreta.datamap.activities import ENCRYPTION
from interpreta.privacy.keys import MasterKeyUnavailable
from interpreta.privacy.processing import processing
from interpreta.privacy.rights import erasure_log
from interpreta.schema import all_metadata


def backup_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The backup file to write.")],
    data_dir: DataDirOption = None,
) -> None:
    """Write an encrypted backup of the whole database (keep DATA_DIR/erasure-log.jsonl
    too: a restore needs it)."""
    settings = load_settings(data_dir)
    platform = start_platform(ctx, settings)
    provider = platform.keyring.provider
    version = provider.current_version()
    with processing(ENCRYPTION), platform.engine.begin() as connection:
        # The erasure log names people by pseudonyms; a restore recognises them only with
        # the same key, so it must exist before the snapshot (it is made when first used).
        platform.keyring.pseudonyms(connection)
    try:
        info = backup.write(
            platform.engine,
            all_metadata(),
            out,
            master_key=provider.key(version),
            key_version=version,
            now=platform.clock.now(),
            erasure_log=erasure_log.state(settings.data_dir),
        )
    except (OSError, OperationalError) as exc:
        fail(f"cannot write {out}: {_reason(exc)}")
    console.print(f"wrote {out}: {info.rows} rows, schema {info.revision}, key {version}")


def restore_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="The backup file.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the current data without asking.")
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--erasure-log",
            help="The erasure log of the deployment the backup came from (when this host "
            "does not have it in its data directory).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Replace the database's content with a backup, then replay later erasures."""
    settings = load_settings(data_dir)
    try:
        info, _prefix, _bound = backup.read_header(source)
    except (backup.BackupError, OSError) as exc:
        fail(f"cannot restore {source}: {_reason(exc)}")
    if not yes and not typer.confirm(f"Replace every row in {settings.resolved_database_url}?"):
        raise typer.Exit(1)
    platform = start_platform(ctx, settings)
    if log is not None:
        _adopt_log(log, settings.data_dir, info)
    if info.erasure_log is not None and not erasure_log.continues(
        settings.data_dir, info.erasure_log
    ):
        fail(
            f"cannot restore {source}: the erasure log in {settings.data_dir} is not the one "
            "this backup was taken with, so people erased since could come back; copy "
            "erasure-log.jsonl from the deployment's data directory, or name it with "
            "--erasure-log"
        )
    try:
        master_key = platform.keyring.provider.key(info.key_version)
    except (KeyError, MasterKeyUnavailable):
        fail(
            f"cannot restore {source}: it is encrypted with master key version "
            f"{info.key_version!r}, which is not configured (INTERPRETA_MASTER_KEYS)"
        )
    platform.close()
    try:
        restored = backup.restore(platform.engine, all_metadata(), source, master_key=master_key)
    except (backup.BackupError, OSError, OperationalError) as exc:
        fail(f"cannot restore {source}: {_reason(exc)}; nothing was changed")
    platform = start_platform(ctx, settings)
    since = restored.created_at if restored.authenticated else None
    replayed = platform.replay_erasures(since=since)
    console.print(
        f"restored {restored.rows} rows from {restored.created_at:%Y-%m-%d %H:%M} UTC; "
        f"{replayed} later erasure(s) replayed"
        + ("" if restored.authenticated else " (an old backup: every logged erasure replayed)")
    )


def _adopt_log(log: Path, data_dir: Path, info: backup.BackupInfo) -> None:
    """Use `log` as this host's erasure log, if it continues the backup's."""
    staging = data_dir / "erasure-log-import"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(log, erasure_log.path(staging))
    except OSError as exc:
        fail(f"cannot read the erasure log {log}: {_reason(exc)}")
    if info.erasure_log is not None and not erasure_log.continues(staging, info.erasure_log):
        fail(f"{log} is not the erasure log this backup was taken with")
    shutil.copyfile(erasure_log.path(staging), erasure_log.path(data_dir))
    shutil.rmtree(staging)


def _reason(exc: BaseException) -> str:
    """One line saying what went wrong (no traceback)."""
    if isinstance(exc, OperationalError):
        return str(exc.orig).splitlines()[0] if exc.orig else "the database refused the write"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).splitlines()[0]
