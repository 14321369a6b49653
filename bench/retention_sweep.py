"""Retention sweep benchmark: expired participation rows with their sessions.

Fills a fresh database (SQLite by default, or PostgreSQL with ``--database-url``)
with N expired participants, each with one connection session (and, with
``--usage-per-session``, usage events), then runs ``interpreta retention run``
in a child process and reports the wall time, rows per second and the child's
peak RSS. Goal (issue 4):
1,000,000 participation rows with their sessions in < 30 s, flat memory.

    python bench/retention_sweep.py [--rows 1000000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulk_data import fill
from interpreta.config import Settings
from interpreta.platform import Platform


def main() -> None:
    """Fill, sweep, report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="participants to sweep")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--usage-per-session", type=int, default=0, help="usage events per session (default 0)"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL (a scratch "
        "database is created on it); SQLite in a temp folder when empty",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="interpreta-retention-bench-"))
    url, drop = f"sqlite:///{data_dir / 'bench.db'}", None
    if args.database_url:
        name = f"interpreta_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.database_url).set(database=name).render_as_string(False)
        drop = (admin, name)
    platform = Platform.start(Settings(data_dir=data_dir, database_url=url, _env_file=None))  # type: ignore[call-arg]
    started = time.perf_counter()
    fill(
        platform.sessions,
        participants=args.rows,
        events=20,
        usage_per_session=args.usage_per_session,
        chunk=50_000,
        progress=lambda n: print(f"\rfilled {n:,}", end="", flush=True),
    )
    print(
        f"\rfilled {args.rows:,} participants (+ sessions, usage) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    if platform.engine.dialect.name == "postgresql":
        with platform.engine.connect() as connection:  # a live database has its statistics
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    platform.close()
    env = {**os.environ, "INTERPRETA_DATA_DIR": str(data_dir), "INTERPRETA_DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "interpreta",
            "retention",
            "run",
            "--batch-size",
            str(args.batch_size),
        ],
        env=env,
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = args.rows * (2 + args.usage_per_session)
    backend = make_url(url).get_backend_name()
    usage = args.rows * args.usage_per_session
    print(
        f"\nretention sweep on {backend}: {args.rows:,} participants, {args.rows:,} sessions, "
        f"{usage:,} usage events ({rows:,} rows)"
    )

    print(
        f"  wall time {elapsed:.1f} s  ({rows / elapsed:,.0f} rows/s), "
        f"peak RSS of the run {peak_mib:.0f} MiB"
    )
    print(
        f"  goal (< 30 s for 1,000,000 participation rows): "
        f"{'met' if elapsed < 30 * args.rows / 1_000_000 else 'NOT met'}"
    )
    if drop is not None:
        admin, name = drop
        for _attempt in range(10):  # autovacuum may still be busy on the swept tables
            try:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                break
            except Exception:
                time.sleep(3)
        else:
            print(f"  (could not drop the scratch database {name}; drop it by hand)")


if __name__ == "__main__":
    main()
