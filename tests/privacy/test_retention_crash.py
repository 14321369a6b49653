"""A retention run killed with SIGKILL half-way, then run again, ends where one
uninterrupted run ends (on SQLite and on PostgreSQL), and the rows the killed run
disposed of are accounted for in the audit trail, batch by batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench.bulk_data import fill
from interpreta.db.engine import make_engine
from interpreta.platform import Platform
from tests.crash import copies, dump

PEOPLE = 6000


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    # the trail records each run as it happened: two runs, two stories
    return dump(url, lambda name: name.startswith("audit_"))


def _participants(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(text("participants")))
    engine.dispose()
    return int(count or 0)


def _audited(url: str, table: str) -> int:
    """How many rows of `table` the audit trail says retention disposed of, batch by batch."""
    engine = make_engine(url)
    with engine.connect() as connection:
        details = connection.scalars(
            text("SELECT detail FROM audit_entries WHERE action = 'retention.batch'")
        ).all()
    engine.dispose()
    batches = [json.loads(d) if isinstance(d, str) else d for d in details]
    return sum(b["disposed"] for b in batches if b["target"].startswith(f"{table} /"))


def _retention(data_dir: Path, url: str, batch: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INTERPRETA_DATA_DIR": str(data_dir), "INTERPRETA_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "interpreta", "retention", "run", "--batch-size", str(batch)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _fill(platform: Platform) -> None:
    fill(platform.sessions, participants=PEOPLE, events=4, usage_per_session=1)


def test_a_run_killed_half_way_then_rerun_equals_one_uninterrupted_run(
    platform: Platform, tmp_path: Path
) -> None:
    with copies(platform, tmp_path, _fill) as (killed, whole):
        runner = _retention(tmp_path / "k", killed, batch=100)
        deadline = time.monotonic() + 90
        while _participants(killed) > PEOPLE * 0.8:
            assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.02)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        assert runner.returncode == -signal.SIGKILL
        assert 0 < _participants(killed) < PEOPLE  # really half-way
        # every committed batch is in the audit trail, though the run never finished
        assert _audited(killed, "participants") == PEOPLE - _participants(killed)

        assert _retention(tmp_path / "k", killed, batch=100).wait() == 0
        assert _retention(tmp_path / "w", whole, batch=100_000).wait() == 0
        assert _participants(killed) == 0
        assert _dump(killed) == _dump(whole)
