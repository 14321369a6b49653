"""Erasures killed with SIGKILL at random points, then run again, end where
uninterrupted ones end (on SQLite and on PostgreSQL): each part is erased whole or
not at all, and no committed erasure is ever missing from the erasure log (a restore
would bring the person back)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from interpreta.config import Settings
from interpreta.db.engine import make_engine, make_sessionmaker
from interpreta.platform import Platform
from interpreta.privacy.rights import erasure_log
from interpreta.privacy.rights.models import (
    DataSubjectRequest,
    RequestKind,
    RequestPart,
    RequestStatus,
)
from interpreta.privacy.rights.requests import Rights, part_of
from interpreta.privacy.rights.subjects import Identity, find, rows_in_part
from interpreta.schema import all_metadata
from tests.conftest import RecordingMailer
from tests.crash import copies, dump
from tests.privacy.rights.seed import add_person, seed_world

PEOPLE = 4
ERASED = 2
KILLS_PER_REQUEST = 2


def _fill(platform: Platform) -> None:
    """Four people with many rows in two customers' events; two ask for erasure."""
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        people = [
            add_person(db, world, now, n, events=(0, 1), connections=100, usage=6)
            for n in range(PEOPLE)
        ]
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        for person in people[:ERASED]:
            rights.logged_by_staff(
                db, staff_user_id=9, kind=RequestKind.ERASURE, email=person.email
            )


def _execute(data_dir: Path, url: str, request_id: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "INTERPRETA_DATA_DIR": str(data_dir), "INTERPRETA_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "interpreta", "dsr", "execute", str(request_id)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _data_dir(platform: Platform, folder: Path) -> Path:
    """A data folder with the deployment's secrets (the keys the database needs)."""
    shutil.copytree(platform.settings.data_dir / "secrets", folder / "secrets")
    return folder


def _state(settings: Settings, url: str) -> dict[tuple[int, str], tuple[RequestStatus, int]]:
    """Each erasure part: its status, and how many rows of its person it still covers."""
    engine = make_engine(url)
    metadata = all_metadata()
    state = {}
    with make_sessionmaker(engine)() as db:
        for request in db.scalars(select(DataSubjectRequest)):
            identity = Identity.of(user_id=request.subject_user_id, email=request.subject_email)
            found = find(db, metadata, identity)
            for part in request.parts:
                label = part_of(part).label
                rows = sum(
                    len(keys) for _, _, keys in rows_in_part(db, metadata, found, part_of(part))
                )
                state[request.id, label] = (part.status, rows)
    engine.dispose()
    return state


def _logged(data_dir: Path) -> Counter[str]:
    return Counter(entry.part for entry in erasure_log.entries(data_dir))


def _integrity(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert connection.scalar(select(func.count()).select_from(RequestPart)) > 0
    engine.dispose()


def test_erasures_killed_at_random_points_then_rerun_equal_uninterrupted_ones(
    platform: Platform, tmp_path: Path
) -> None:
    chance = random.Random(int.from_bytes(os.urandom(4)))
    killed_dir = _data_dir(platform, tmp_path / "killed")
    whole_dir = _data_dir(platform, tmp_path / "whole")
    with copies(platform, tmp_path, _fill) as (killed, whole):
        before = _state(platform.settings, killed)
        requests = sorted({request_id for request_id, _ in before})
        assert len(requests) == ERASED and all(rows for _, rows in before.values())
        kills = 0
        for request_id in requests:
            for _attempt in range(KILLS_PER_REQUEST):
                runner = _execute(killed_dir, killed, request_id)
                time.sleep(chance.uniform(0.5, 2.5))  # the command starts in about a second
                if runner.poll() is None:
                    runner.send_signal(signal.SIGKILL)
                    kills += 1
                runner.wait()
                _integrity(killed)
                now = _state(platform.settings, killed)
                for key, (status, rows) in now.items():
                    if status is RequestStatus.OPEN:  # untouched: all its rows are there
                        assert rows == before[key][1], key
                done = Counter(
                    label for (_, label), (s, _) in now.items() if s is RequestStatus.DONE
                )
                assert done <= _logged(killed_dir)  # no committed erasure is unlogged
            finisher = _execute(killed_dir, killed, request_id)
            finisher.wait()  # exits 1 when a killed run had already answered every part
        assert kills > 0
        for request_id in requests:
            run = _execute(whole_dir, whole, request_id)
            assert run.wait() == 0, run.stderr.read() if run.stderr else ""

        finished = _state(platform.settings, killed)
        assert {s for s, _ in finished.values()} == {RequestStatus.DONE}
        assert finished == _state(platform.settings, whole)
        leave_out = ("audit_", "dsr_")  # when things happened differs between the runs
        assert dump(killed, lambda n: n.startswith(leave_out)) == dump(
            whole, lambda n: n.startswith(leave_out)
        )
        assert sorted(_logged(killed_dir)) == sorted(_logged(whole_dir))
