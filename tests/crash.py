"""Databases for tests that kill a process half-way: one filled database, copied, so a
killed run and an uninterrupted one start from the same state on either backend."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from interpreta.backup import storage_metadata
from interpreta.db.engine import make_engine
from interpreta.platform import Platform
from interpreta.schema import all_metadata
from tests.conftest import POSTGRES_URL


@contextmanager
def copies(
    platform: Platform, tmp_path: Path, fill: Callable[[Platform], None], count: int = 2
) -> Iterator[list[str]]:
    """`count` database URLs, each a copy of a database `fill` filled. On PostgreSQL
    the source is a scratch database of this test (cloning needs a template nobody
    else is connected to); on SQLite the test's own file, checkpointed, is copied."""
    if not POSTGRES_URL:
        fill(platform)
        platform.close()
        source = platform.settings.resolved_database_url
        engine = make_engine(source)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        paths = [tmp_path / f"copy{n}.db" for n in range(count)]
        for path in paths:
            shutil.copyfile(Path(make_url(source).database or ""), path)
        yield [f"sqlite:///{path}" for path in paths]
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    names = [f"interpreta_crash_{uuid.uuid4().hex[:8]}" for _ in range(count + 1)]
    urls = [make_url(POSTGRES_URL).set(database=n).render_as_string(False) for n in names]
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{names[0]}"'))
        settings = platform.settings.model_copy(update={"database_url": urls[0]})
        source = Platform.start(settings, clock=platform.clock)
        fill(source)
        source.close()
        with admin.connect() as connection:
            for name in names[1:]:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        yield urls[1:]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def dump(url: str, leave_out: Callable[[str], bool]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but those `leave_out` names, without row numbers and
    computation times, sorted: two databases that hold the same compare equal."""
    raw, engine = storage_metadata(all_metadata()), make_engine(url)
    dumped = {}
    with engine.connect() as connection:
        for table in raw.sorted_tables:
            if leave_out(table.name):
                continue
            kept = [c for c in table.columns if c.name not in ("id", "computed_at")]
            rows = connection.execute(select(*kept)).all()
            dumped[table.name] = sorted(map(tuple, rows), key=repr)
    engine.dispose()
    return dumped
