"""Access export and erasure for one person in a large database (issue 3).

Fills a database with 100,000 users and 1,000,000 participation rows
(participants across 2,000 events of 200 customers, a tenth with a connection and
two usage events), then, for a few random people with an account, times:

- **access**: finding the person through the data map and writing the full ZIP
  (every part: the operator's and each customer's);
- **erasure**: every part, in one transaction, then the WAL checkpoint.

Goal: < 1 s each on SQLite and on PostgreSQL, memory flat. Peak RSS is reported
after building and after the measured runs (it must not grow with the data).

    python bench/dsr_person.py [--url postgresql://...] [--users 100000] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text

from interpreta.accounts.models import Membership, Organisation, User
from interpreta.config import Settings
from interpreta.db.engine import make_engine, make_sessionmaker
from interpreta.db.migrate import upgrade
from interpreta.events.models import ConnectionSession, Event, Participant, UsageEvent
from interpreta.privacy.rights import access, erase
from interpreta.privacy.rights.requests import checkpoint
from interpreta.privacy.rights.subjects import CONTROLLER, Identity, find, parts
from interpreta.schema import all_metadata

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
BATCH = 20_000


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _insert(engine: Engine, table: object, rows: list[dict[str, object]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(table), rows[start : start + BATCH])  # type: ignore[arg-type]


def build(engine: Engine, users: int, rows: int) -> None:
    """Fill the database (streamed in batches)."""
    customers, events = 200, 2000
    _insert(
        engine,
        Organisation,
        [
            {
                "id": i + 1,
                "name": f"Customer {i}",
                "plan": "standard",
                "status": "active",
                "billing_contact_email": f"user{i * 7}@example.org",
                "created_at": NOW,
            }
            for i in range(customers)
        ],
    )
    _insert(
        engine,
        Event,
        [
            {
                "id": i + 1,
                "organisation_id": i % customers + 1,
                "title": f"E{i}",
                "description": "",
                "code": f"B{i:06d}",
                "starts_at": NOW,
                "ends_at": NOW + timedelta(hours=8),
                "timezone": "UTC",
                "status": "ended",
                "created_at": NOW,
            }
            for i in range(events)
        ],
    )
    for start in range(0, users, BATCH):
        batch = range(start, min(users, start + BATCH))
        _insert(
            engine,
            User,
            [
                {
                    "id": u + 1,
                    "email": f"user{u}@example.org",
                    "name": f"User {u}",
                    "password_hash": "x" * 40,
                    "locale": "en",
                    "created_at": NOW,
                }
                for u in batch
            ],
        )
        _insert(
            engine,
            Membership,
            [
                {
                    "organisation_id": u % customers + 1,
                    "user_id": u + 1,
                    "role": "interpreter",
                    "created_at": NOW,
                }
                for u in batch
            ],
        )
    connection_id = 0
    for start in range(0, rows, BATCH):
        participants, connections, usage = [], [], []
        for n in range(start, min(rows, start + BATCH)):
            user = n % (users * 2)  # half the rows belong to people with an account
            participants.append(
                {
                    "id": n + 1,
                    "event_id": n % events + 1,
                    "role": "listener",
                    "anonymous_id": f"p_{n}",
                    "first_name": f"F{n}",
                    "last_name": f"L{n}",
                    "email": f"user{user}@example.org" if user < users else f"guest{n}@example.org",
                    "user_id": user + 1 if user < users else None,
                    "created_at": NOW,
                }
            )
            if n % 10 == 0:
                connection_id += 1
                connections.append(
                    {
                        "id": connection_id,
                        "participant_id": n + 1,
                        "session_id": f"s_{n}",
                        "ip_address": "10.0.0.1",
                        "joined_at": NOW,
                    }
                )
                usage += [
                    {"connection_session_id": connection_id, "kind": k, "at": NOW}
                    for k in ("join", "leave")
                ]
        _insert(engine, Participant, participants)
        _insert(engine, ConnectionSession, connections)
        _insert(engine, UsageEvent, usage)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("COMMIT"))
            connection.execute(text("ANALYZE"))


def run(engine: Engine, users: int, people: int) -> tuple[list[float], list[float], int]:
    """Time access and erasure for `people` random people."""
    sessions = make_sessionmaker(engine)
    metadata = all_metadata()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    access_times, erase_times, values = [], [], 0
    for user in random.Random(7).sample(range(users), people):
        identity = Identity.of(user_id=user + 1, email=f"user{user}@example.org")
        started = time.perf_counter()
        with sessions() as db, tempfile.TemporaryFile() as out:
            found = find(db, metadata, identity)
            chosen = parts(db, metadata, found) | {CONTROLLER}
            values = access.write_zip(out, db, metadata, settings, found, chosen, generated_at=NOW)
        access_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        with sessions.begin() as db:
            found = find(db, metadata, identity)
            for part in parts(db, metadata, found) | {CONTROLLER}:
                erase.erase(db, metadata, found, part)
        checkpoint(engine)
        erase_times.append(time.perf_counter() - started)
    return access_times, erase_times, values


def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="PostgreSQL URL (an empty database)")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    engine = make_engine(args.url or f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    started = time.perf_counter()
    build(engine, args.users, args.rows)
    print(
        f"{engine.dialect.name}: built {args.users} users, {args.rows} participation rows "
        f"in {time.perf_counter() - started:.0f} s; peak RSS {peak_rss_mib():.0f} MiB"
    )
    access_times, erase_times, values = run(engine, args.users, args.people)
    for name, times in (("access export", access_times), ("erasure", erase_times)):
        print(
            f"{name:14s} median {statistics.median(times) * 1000:7.1f} ms  "
            f"max {max(times) * 1000:7.1f} ms  (n={len(times)})"
        )
    print(f"last export held {values} values; peak RSS after runs {peak_rss_mib():.0f} MiB")
    engine.dispose()


if __name__ == "__main__":
    main()
