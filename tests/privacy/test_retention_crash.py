"""A retention run killed with SIGKILL half-way, then run again, ends where one
uninterrupted run ends."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.bulk_data import fill
from interpreta.platform import Platform
from tests.conftest import POSTGRES_URL

PEOPLE = 6000


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(path)
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    dump = {}
    for table in tables:
        if table.startswith("audit_"):
            continue  # the trail records each run as it happened: two runs, two stories
        columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")]
        kept = ", ".join(c for c in columns if c not in ("computed_at", "id"))
        dump[table] = sorted(connection.execute(f"SELECT {kept} FROM {table}").fetchall(), key=repr)
    connection.close()
    return dump


def _retention(data_dir: Path, database: Path, batch: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INTERPRETA_DATA_DIR": str(data_dir),
        "INTERPRETA_DATABASE_URL": f"sqlite:///{database}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "interpreta", "retention", "run", "--batch-size", str(batch)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _participants(database: Path) -> int:
    connection = sqlite3.connect(database, timeout=30)
    try:
        return int(connection.execute("SELECT count(*) FROM participants").fetchone()[0])
    finally:
        connection.close()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="the crash test copies a SQLite file")
def test_a_run_killed_half_way_then_rerun_equals_one_uninterrupted_run(
    platform: Platform, tmp_path: Path
) -> None:
    fill(platform.sessions, participants=PEOPLE, events=4, usage_per_session=1)
    platform.close()
    source = Path(platform.settings.resolved_database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(source) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    killed, whole = tmp_path / "killed.db", tmp_path / "whole.db"
    shutil.copyfile(source, killed)
    shutil.copyfile(source, whole)

    runner = _retention(tmp_path / "k", killed, batch=100)
    deadline = time.monotonic() + 60
    while _participants(killed) > PEOPLE * 0.8 or _count_sessions(killed) == PEOPLE:
        assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    assert runner.returncode == -signal.SIGKILL
    assert 0 < _participants(killed) < PEOPLE  # really half-way

    assert _retention(tmp_path / "k", killed, batch=100).wait() == 0
    assert _retention(tmp_path / "w", whole, batch=100_000).wait() == 0
    assert _participants(killed) == 0
    assert _dump(killed) == _dump(whole)


def _count_sessions(database: Path) -> int:
    connection = sqlite3.connect(database, timeout=30)
    try:
        return int(connection.execute("SELECT count(*) FROM connection_sessions").fetchone()[0])
    finally:
        connection.close()
