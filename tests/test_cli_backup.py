"""``interpreta backup`` / ``restore`` as an operator runs them: each mistake is one
clear line and exit 2 with the data untouched; a restore needs the erasure log the
backup was taken with (issue 11, item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner, Result

from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.events.models import Participant
from interpreta.platform import Platform
from interpreta.privacy.rights import erasure_log
from interpreta.privacy.rights.models import RequestKind
from interpreta.privacy.rights.requests import Rights
from tests.test_backup import _people


def _run(settings: Settings, clock: FrozenClock, *args: str) -> Result:
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url}
    return CliRunner().invoke(
        app,
        [*args, "--data-dir", str(settings.data_dir)],
        env=env,
        obj=CommandContext(clock=clock),
    )


def _one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


def _speaker(platform: Platform) -> Any:
    with platform.sessions() as db:
        return db.scalar(select(Participant.email))


def _erase_speaker(platform: Platform) -> None:
    rights = Rights.of(platform)
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email="speaker@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=1)


def test_p24_restore_needs_the_erasure_log_the_backup_was_taken_with(
    platform: Platform, settings: Settings, clock: FrozenClock, sign_up: Any, tmp_path: Path
) -> None:
    _people(platform, sign_up)
    copy = tmp_path / "b.backup"
    written = _run(settings, clock, "backup", "--out", str(copy))
    assert written.exit_code == 0, written.output
    _erase_speaker(platform)
    assert _speaker(platform) is None
    log = erasure_log.path(settings.data_dir)
    kept = tmp_path / "kept-erasure-log.jsonl"
    shutil.move(log, kept)  # a new host: the data directory lost its erasure log

    refused = _run(settings, clock, "restore", str(copy), "--yes")
    _one_line_error(refused, "erasure log", "--erasure-log")
    assert _speaker(platform) is None  # nothing restored, nobody back

    restored = _run(settings, clock, "restore", str(copy), "--yes", "--erasure-log", str(kept))
    assert restored.exit_code == 0, restored.output
    assert "replayed" in restored.output
    assert _speaker(platform) is None, restored.output  # restored, then erased again


def test_operator_mistakes_are_one_line_each_and_change_nothing(
    platform: Platform, settings: Settings, clock: FrozenClock, sign_up: Any, tmp_path: Path
) -> None:
    _people(platform, sign_up)
    copy = tmp_path / "b.backup"
    assert _run(settings, clock, "backup", "--out", str(copy)).exit_code == 0
    data = copy.read_bytes()

    missing = _run(settings, clock, "restore", str(tmp_path / "nowhere.backup"), "--yes")
    _one_line_error(missing, "nowhere.backup")

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    _one_line_error(_run(settings, clock, "restore", str(not_a_backup), "--yes"), "not an")

    broken = tmp_path / "broken.backup"
    broken.write_bytes(data.replace(b'"created_at"', b'"created_a"', 1))
    _one_line_error(_run(settings, clock, "restore", str(broken), "--yes"), "damaged")

    version = platform.keyring.provider.current_version()
    rotated = tmp_path / "rotated.backup"
    rotated.write_bytes(data.replace(f'"{version}"'.encode(), b'"v-gone"', 1))
    _one_line_error(_run(settings, clock, "restore", str(rotated), "--yes"), "v-gone")

    altered = tmp_path / "altered.backup"
    altered.write_bytes(data[:-30] + bytes([data[-30] ^ 1]) + data[-29:])
    _one_line_error(_run(settings, clock, "restore", str(altered), "--yes"), "altered")

    unwritable = _run(settings, clock, "backup", "--out", str(tmp_path / "no" / "such" / "b"))
    _one_line_error(unwritable, "cannot write")
    assert _speaker(platform) == "speaker@example.org"
