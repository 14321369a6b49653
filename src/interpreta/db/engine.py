"""Creating the engine: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite statement waits for another connection's lock."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`, with the connection settings this platform relies on.

    Bound parameters are hidden from error messages: they can hold personal data.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        uri = parsed.query.get("uri") == "true"  # a "file:" URI names an existing file
        if parsed.database and parsed.database != ":memory:" and not uri:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """The session factory; objects stay usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


log = logging.getLogger(__name__)

CHECKPOINT_ATTEMPTS = 20
"""How often a checkpoint is tried while readers hold the WAL (50 ms apart)."""

CHECKPOINT_WAIT_MS = 50
"""How long one checkpoint attempt waits for readers (so 20 attempts take about 2 s)."""


def checkpoint(engine: Engine, attempts: int = CHECKPOINT_ATTEMPTS) -> bool:
    """On SQLite, move the WAL into the database file and truncate it, so values just
    erased or deleted survive in neither (``secure_delete`` zeroes freed pages);
    True once done. SQLite answers ``busy`` while another connection reads an older
    snapshot; then it is tried again, and an incomplete checkpoint is logged as an
    error (the next erasure or retention run tries again). On PostgreSQL there is no
    such file to empty: see "Erasure on PostgreSQL" in ARCHITECTURE.md."""
    if engine.dialect.name != "sqlite":
        return True
    for attempt in range(attempts):
        with engine.connect() as connection:
            # each attempt waits for readers briefly, not the connection's busy timeout
            connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                busy, _frames, _moved = connection.exec_driver_sql(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).one()
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not busy:
            return True
        if attempt + 1 < attempts:
            time.sleep(0.05)
    log.error(
        "the SQLite WAL could not be emptied (readers kept it busy); erased values "
        "may remain in %s-wal until the next checkpoint",
        engine.url.database,
    )
    return False
