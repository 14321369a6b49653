"""A retention run killed with SIGKILL half-way, then run again, ends where one
uninterrupted run ends (on SQLite and on PostgreSQL), and the rows the killed run
disposed of are accounted for in the audit trail, batch by batch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.bulk_data import fill
from interpreta.backup import storage_metadata
from interpreta.db.engine import make_engine
from interpreta.platform import Platform
from interpreta.schema import all_metadata
from tests.conftest import POSTGRES_URL

PEOPLE = 6000


def _dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    raw, engine = storage_metadata(all_metadata()), make_engine(url)
    dump = {}
    with engine.connect() as connection:
        for table in raw.sorted_tables:
            if table.name.startswith("audit_"):
                continue  # the trail records each run as it happened: two runs, two stories
            kept = [c for c in table.columns if c.name not in ("id", "computed_at")]
            rows = connection.execute(select(*kept)).all()
            dump[table.name] = sorted(map(tuple, rows), key=repr)
    engine.dispose()
    return dump


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


@contextmanager
def _copies(platform: Platform, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database filled with expired participants, twice: one copy to kill, one to run
    whole. On PostgreSQL the source is a scratch database of this test (cloning needs
    a template nobody else is connected to)."""
    if not POSTGRES_URL:
        fill(platform.sessions, participants=PEOPLE, events=4, usage_per_session=1)
        platform.close()
        source = platform.settings.resolved_database_url
        engine = make_engine(source)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for name in ("killed", "whole"):
            shutil.copyfile(Path(make_url(source).database or ""), tmp_path / f"{name}.db")
        yield f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'whole.db'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    names = [f"interpreta_crash_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    urls = [make_url(POSTGRES_URL).set(database=n).render_as_string(False) for n in names]
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{names[0]}"'))
        settings = platform.settings.model_copy(update={"database_url": urls[0]})
        source = Platform.start(settings, clock=platform.clock)
        fill(source.sessions, participants=PEOPLE, events=4, usage_per_session=1)
        source.close()
        with admin.connect() as connection:
            for name in names[1:]:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        yield urls[1], urls[2]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_run_killed_half_way_then_rerun_equals_one_uninterrupted_run(
    platform: Platform, tmp_path: Path
) -> None:
    with _copies(platform, tmp_path) as (killed, whole):
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
