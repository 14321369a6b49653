"""Audit history tree benchmark: appends, and proofs at a million entries, beside the
plain hash chain the tree was added to.

On a fresh database (SQLite in a temp folder by default, or a scratch database on
the PostgreSQL server of ``--database-url``) it measures, in one run:

- appends per second through the real code (:func:`audit.record_many` in batches,
  :func:`audit.record` many to a transaction, and one entry per transaction), and
  the same for the plain chain as it was appended before the tree (lock the head,
  insert the entry through the ORM, update the head: no tree nodes);
- at ``--entries`` entries (1,000,000; entries and tree nodes bulk-inserted by this
  script, as the append path would have written them), an inclusion proof's size
  and the time to read it from the database (:func:`audit.prove_inclusion`) and
  check it, against the time to check an entry the only way the chain allows: walk
  it (``audit.verify(tree=False)``); and the full verify (chain and tree nodes).

Goals (issue 11): >= 10,000 appends/s batched; < 1 ms per inclusion proof at 1M.

    python bench/audit_tree.py [--entries 1000000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.config import Settings
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.platform import Platform
from interpreta.privacy import audit, audit_tree
from interpreta.privacy.models import AuditChainHead, AuditEntry, AuditTreeNode
from interpreta.privacy.processing import processing
from interpreta.privacy.pseudonyms import system

HEAD = cast(Table, AuditChainHead.__table__)
ENTRIES = cast(Table, AuditEntry.__table__)
NODES = cast(Table, AuditTreeNode.__table__)
START = datetime(2026, 1, 1, tzinfo=UTC)
ACTOR = system("bench")


@dataclass
class Row:
    """One line of the table printed at the end."""

    what: str
    chain: str
    tree: str


def _record(i: int) -> audit.Record:
    return audit.Record(ACTOR, "bench.append", None, f"item:{i}", {"n": i, "fields": ["a"]})


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _empty(platform: Platform) -> None:
    """Remove every entry, node and the head: the next append starts a new trail."""
    with platform.engine.begin() as connection:
        for table in (NODES, ENTRIES, HEAD):
            connection.execute(delete(table))


# --- the plain chain, appended as before the tree ---------------------------------------


def chain_record(db: Session, item: audit.Record, now: datetime) -> None:
    """Append `item` as the plain chain did before the history tree: bump the head
    under its lock, read it, insert the entry through the ORM, update the head."""
    with processing(SECURITY_AUDIT, session=db):
        connection = db.connection()
        connection.execute(update(HEAD).where(HEAD.c.id == 1).values(last_seq=HEAD.c.last_seq + 1))
        seq, prev_hash = connection.execute(
            select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.id == 1)
        ).one()
        detail = dict(item.detail)
        digest = audit.entry_hash(
            audit.entry_document(
                seq=seq,
                at=now,
                actor=item.actor,
                action=item.action,
                subject=item.subject,
                target=item.target,
                detail=detail,
                prev_hash=prev_hash,
            )
        )
        db.add(
            AuditEntry(
                seq=seq,
                at=now,
                actor=item.actor,
                action=item.action,
                subject=item.subject,
                target=item.target,
                detail=audit.canonical(detail).decode(),
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        db.flush()
        connection.execute(update(HEAD).where(HEAD.c.id == 1).values(last_hash=digest))


def _chain_head(platform: Platform) -> None:
    with platform.engine.begin() as connection:
        connection.execute(
            insert(HEAD).values(
                id=1,
                last_seq=0,
                last_hash=audit.GENESIS,
                base_seq=0,
                base_hash=audit.GENESIS,
                tree_base_seq=0,
            )
        )


# --- appends -----------------------------------------------------------------------------


def appends(platform: Platform, batched: int, single: int, batch: int) -> list[Row]:
    """Appends per second, chain and tree, many entries to a commit and one."""
    now = platform.clock.now()
    _empty(platform)
    _chain_head(platform)

    def chain_many() -> None:
        with platform.transaction() as db:
            for i in range(batched):
                chain_record(db, _record(i), now)

    def chain_single() -> None:
        for i in range(single):
            with platform.transaction() as db:
                chain_record(db, _record(i), now)

    chain = (_timed(chain_many), _timed(chain_single))
    _empty(platform)

    def tree_many() -> None:
        for start in range(0, batched, batch):
            with platform.transaction() as db:
                audit.record_many(db, [_record(i) for i in range(start, start + batch)], now=now)

    def tree_loop() -> None:
        with platform.transaction() as db:
            for i in range(batched):
                audit.record(db, **_record(i).__dict__, now=now)

    def tree_single() -> None:
        for i in range(single):
            with platform.transaction() as db:
                audit.record(db, **_record(i).__dict__, now=now)

    tree = (_timed(tree_many), _timed(tree_loop), _timed(tree_single))
    assert _verify(platform).ok
    return [
        Row(
            f"appends, {batched:,} in one commit, record_many x{batch:,}",
            "(no batches)",
            _rate(batched, tree[0]),
        ),
        Row(
            f"appends, {batched:,} in one commit, record() each",
            _rate(batched, chain[0]),
            _rate(batched, tree[1]),
        ),
        Row("appends, one per commit", _rate(single, chain[1]), _rate(single, tree[2])),
    ]


def _verify(platform: Platform, *, tree: bool = True) -> audit.VerifyReport:
    with platform.sessions() as db:
        return audit.verify(db, tree=tree)


# --- a million entries -----------------------------------------------------------------


def _generated(count: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Entries as the append path writes them, with the tree nodes each one freezes."""
    prev = audit.GENESIS
    known: dict[tuple[int, int], bytes] = {}
    for index in range(count):
        at = START + timedelta(seconds=index)
        item = _record(index)
        digest = audit.entry_hash(
            audit.entry_document(
                seq=index + 1,
                at=at,
                actor=item.actor,
                action=item.action,
                subject=None,
                target=item.target,
                detail=item.detail,
                prev_hash=prev,
            )
        )
        entry = {
            "seq": index + 1,
            "at": at,
            "actor": item.actor,
            "action": item.action,
            "subject": None,
            "target": item.target,
            "detail": audit.canonical(item.detail).decode(),
            "prev_hash": prev,
            "hash": digest,
        }
        leaf = audit_tree.leaf_hash(bytes.fromhex(digest))
        frozen = audit_tree.appended(index, leaf, known)
        known.update(frozen)
        if index % 4096 == 4095:  # later leaves fold only with the right edge
            known = {n: known[n] for n in audit_tree.root_nodes(index + 1)}
        nodes = [{"level": lv, "position": p, "hash": h} for (lv, p), h in frozen]
        yield entry, nodes
        prev = digest


def fill(platform: Platform, count: int, chunk: int = 20_000) -> float:
    """Bulk-insert `count` entries and their tree nodes; the seconds it took."""
    started = time.perf_counter()
    _empty(platform)
    entries: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    last = audit.GENESIS
    with platform.engine.begin() as connection:
        for entry, frozen in _generated(count):
            entries.append(entry)
            nodes.extend(frozen)
            last = entry["hash"]
            if len(entries) >= chunk:
                _insert(connection, entries, nodes)
                print(f"\r  filled {entry['seq']:,} entries", end="", flush=True)
                entries, nodes = [], []
        _insert(connection, entries, nodes)
        head = {"last_seq": count, "last_hash": last, "base_seq": 0, "base_hash": audit.GENESIS}
        connection.execute(insert(HEAD).values(id=1, tree_base_seq=0, **head))
    print()
    if platform.engine.dialect.name == "postgresql":
        with platform.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return time.perf_counter() - started


def _insert(connection: Any, entries: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> None:
    if not entries:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(ENTRIES), entries)
        connection.execute(insert(NODES), nodes)
        return
    cursor = connection.connection.driver_connection.cursor()  # COPY: a bulk load
    columns = [c.name for c in ENTRIES.columns]
    with cursor.copy(f"COPY audit_entries ({', '.join(columns)}) FROM STDIN") as copy:
        for entry in entries:
            copy.write_row(
                [entry[c] if c != "at" else entry[c].replace(tzinfo=None) for c in columns]
            )
    with cursor.copy("COPY audit_tree_nodes (level, position, hash) FROM STDIN") as copy:
        for node in nodes:
            copy.write_row([node["level"], node["position"], node["hash"]])


def proofs(platform: Platform, count: int, samples: int) -> tuple[list[Row], list[str]]:
    """Inclusion proofs at `count` entries, against walking the chain."""
    rng = random.Random(11)
    seqs = [rng.randint(1, count) for _ in range(samples)]
    read: list[float] = []
    checked: list[float] = []
    hashes: list[int] = []
    with platform.sessions() as db:
        audit.prove_inclusion(db, 1)  # warm the statement cache
        for seq in seqs:
            started = time.perf_counter()
            proof = audit.prove_inclusion(db, seq)
            middle = time.perf_counter()
            assert proof.verify()
            read.append(middle - started)
            checked.append(time.perf_counter() - middle)
            hashes.append(len(proof.audit_path))
        old = count // 3
        consistency = [_timed(lambda: audit.prove_consistency(db, old).verify()) for _ in range(50)]
    chain_walk = _timed(lambda: _check(_verify(platform, tree=False)))
    full = _timed(lambda: _check(_verify(platform)))
    mean_ms = statistics.fmean(read) * 1000
    p99_ms = sorted(read)[int(len(read) * 0.99) - 1] * 1000
    rows = [
        Row(
            f"check one entry at {count:,} entries",
            f"{chain_walk:.1f} s (walk the chain)",
            f"{(mean_ms + statistics.fmean(checked) * 1000):.3f} ms (read + check a proof)",
        ),
        Row("  inclusion proof read from the database", "-", f"mean {mean_ms:.3f} ms"),
        Row("", "", f"p50 {statistics.median(read) * 1000:.3f} ms, p99 {p99_ms:.3f} ms"),
        Row("  inclusion proof checked", "-", f"mean {statistics.fmean(checked) * 1e6:.0f} us"),
        Row(
            "  inclusion proof size",
            f"{count:,} entries",
            f"{statistics.fmean(hashes):.1f} hashes (max {max(hashes)}), "
            f"{statistics.fmean(hashes) * 32:.0f} bytes",
        ),
        Row(
            f"  consistency proof {old:,} -> {count:,}",
            "-",
            f"mean {statistics.fmean(consistency) * 1000:.3f} ms",
        ),
        Row("full audit verify (chain + tree nodes)", f"{chain_walk:.1f} s", f"{full:.1f} s"),
    ]
    goal = "met" if mean_ms < 1 else "NOT met"
    return rows, [f"goal (< 1 ms per inclusion proof at 1,000,000): {goal}"]


def _check(report: audit.VerifyReport) -> None:
    if not report.ok:
        raise SystemExit(f"the trail does not verify: {report}")


# --- running -------------------------------------------------------------------------------


@contextmanager
def scratch_database(server_url: str, data_dir: Path) -> Iterator[str]:
    """A fresh database: on the PostgreSQL server of `server_url`, or SQLite in `data_dir`."""
    if not server_url:
        yield f"sqlite:///{data_dir / 'bench.db'}"
        return
    name = f"interpreta_bench_{uuid.uuid4().hex[:8]}"
    admin: Engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _table(rows: list[Row], backend: str) -> None:
    width = max(len(r.what) for r in rows)
    chain_width = max(len(r.chain) for r in [*rows, Row("", "plain chain", "")])
    print(f"\naudit trail on {backend}")
    print(f"  {'':<{width}}  {'plain chain':<{chain_width}}  history tree (chain + nodes)")
    for row in rows:
        print(f"  {row.what:<{width}}  {row.chain:<{chain_width}}  {row.tree}")


def main() -> None:
    """Measure, print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="trail size for proofs")
    parser.add_argument("--appends", type=int, default=20_000, help="entries appended batched")
    parser.add_argument("--single", type=int, default=2_000, help="entries, one per commit")
    parser.add_argument("--batch", type=int, default=1_000, help="entries per record_many")
    parser.add_argument("--proofs", type=int, default=2_000, help="inclusion proofs timed")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server URL (a scratch database is created on it); "
        "SQLite in a temp folder when empty",
    )
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="interpreta-audit-bench-"))
    with scratch_database(args.database_url, data_dir) as url:
        settings = Settings(data_dir=data_dir, database_url=url, _env_file=None)  # type: ignore[call-arg]
        platform = Platform.start(settings)
        try:
            rows = appends(platform, args.appends, args.single, args.batch)
            print(f"filling {args.entries:,} entries with their tree nodes")
            filled = fill(platform, args.entries)
            print(f"  filled in {filled:.0f} s")
            proof_rows, goals = proofs(platform, args.entries, args.proofs)
        finally:
            platform.close()
    batched = rows[0].tree
    _table(rows + proof_rows, make_url(url).get_backend_name())
    rate = float(batched.rstrip("/s").replace(",", ""))
    print(f"  goal (>= 10,000 appends/s batched): {'met' if rate >= 10_000 else 'NOT met'}")
    for goal in goals:
        print(f"  {goal}")


if __name__ == "__main__":
    main()
