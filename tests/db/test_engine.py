"""The SQLite checkpoint that every erasure path ends with: it reports whether the
WAL was really emptied."""

from __future__ import annotations

from pathlib import Path

from interpreta.db.engine import checkpoint, make_engine


def test_checkpoint_reports_a_wal_kept_busy_by_a_reader(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (v TEXT)")
        connection.exec_driver_sql("INSERT INTO t VALUES ('first')")
    reader = engine.connect()
    reader.exec_driver_sql("BEGIN")
    reader.exec_driver_sql("SELECT * FROM t").all()  # holds a snapshot of the WAL
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE t SET v = 'secret value'")
    assert checkpoint(engine, attempts=2) is False
    reader.exec_driver_sql("ROLLBACK")
    reader.close()
    assert checkpoint(engine) is True
    assert (tmp_path / "x.db-wal").stat().st_size == 0
    engine.dispose()
