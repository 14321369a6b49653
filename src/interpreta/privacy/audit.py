"""The audit trail: one append-only log for every audited action, a hash chain
under a Merkle history tree, whose signed heads are published outside the database.

``record(db, actor=..., action=..., subject=..., target=..., detail=..., now=...)``
appends an entry in the caller's transaction, so the entry commits or rolls back
with the action it describes (:func:`record_many` appends several at once). People
are named only by pseudonyms (:mod:`interpreta.privacy.pseudonyms`) or, for the
platform itself, ``system:<name>``.

Each entry stores ``prev_hash`` and ``hash = SHA-256(canonical JSON of its fields,
prev_hash included)``, under a gap-free sequence number. The entry hashes are also
the leaves of a Merkle history tree (:mod:`interpreta.privacy.audit_tree`, RFC 9162
hashes): appending an entry writes its leaf and every subtree it completes to
``audit_tree_nodes`` in the same transaction, so :func:`root`,
:func:`prove_inclusion` and :func:`prove_consistency` read O(log n) nodes.
Appenders first advance the single ``audit_chain_head`` row: on PostgreSQL that
row lock serialises them until commit; on SQLite the UPDATE takes the database's
one write lock. Two writers therefore never fork the chain or the tree.

:func:`verify` finds any changed, removed or reordered entry, a chain cut short at
its end (the head row remembers the last entry), and a tree node that does not
match the entries. An attacker who rewrites an entry and recomputes every hash
after it passes that check, but not a comparison with a tree head published
before (:mod:`interpreta.privacy.audit_publish`: signed heads in a file kept
elsewhere). Retention removes old entries with :func:`prune`, which records where
the remaining chain starts; tree nodes stay, so the proofs for the entries kept,
and every head published, still verify.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

from interpreta.datamap.activities import RETENTION, SECURITY_AUDIT
from interpreta.privacy import audit_tree
from interpreta.privacy.audit_tree import NodeId
from interpreta.privacy.models import AuditChainHead, AuditEntry, AuditTreeNode, prune_audit
from interpreta.privacy.processing import UNCHECKED, processing
from interpreta.privacy.pseudonyms import is_pseudonym, is_system_actor

GENESIS = "0" * 64
_HEAD = cast(Table, AuditChainHead.__table__)
_ENTRIES = cast(Table, AuditEntry.__table__)
_NODES = cast(Table, AuditTreeNode.__table__)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_ACTION = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_CHUNK = 5000

_BOOKKEEPING = {UNCHECKED: True}
"""Execution options of the statements on the head row and the tree nodes: counters
and hashes, no personal data, so the processing guard's analysis (which costs more
than these statements) is skipped. Entries are read and written under its checks."""


class AuditRefused(ValueError):
    """An entry would have put a plain identifier, or malformed data, into the log."""


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(fields).encode("utf-8")


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_document(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    target: str,
    detail: Any,
    prev_hash: str,
) -> dict[str, Any]:
    """An entry's fields as hashed: its canonical JSON is what :func:`entry_hash` hashes."""
    return {
        "seq": seq,
        "at": _at(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "target": target,
        "detail": detail,
        "prev_hash": prev_hash,
    }


def entry_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over an entry's canonical JSON: `document` is its fields as hashed
    (:func:`entry_document`, or :func:`document` for a stored entry), the previous
    entry's hash included."""
    return hashlib.sha256(canonical(document)).hexdigest()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _check(
    actor: str, action: str, subject: str | None, target: str, detail: Any, text: str
) -> None:
    """Refuse a malformed entry, or one with an email address (`text`: the detail's JSON;
    without an "@" in it, no string of the detail can hold one)."""
    if not (is_pseudonym(actor) or is_system_actor(actor)):
        raise AuditRefused("the actor must be a pseudonym or system:<name>")
    if subject is not None and not is_pseudonym(subject):
        raise AuditRefused("the subject must be a pseudonym")
    if not _ACTION.match(action):
        raise AuditRefused(f"bad action name {action!r}")
    if not target or len(target) > 200:
        raise AuditRefused("the target must be 1 to 200 characters")
    if not isinstance(detail, Mapping):
        raise AuditRefused("the detail must be a mapping")
    if _EMAIL.search(target) or ("@" in text and any(_EMAIL.search(s) for s in _strings(detail))):
        raise AuditRefused("an email address may not be written into the audit trail")


# --- appending -----------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One audited action to append with :func:`record_many` (as :func:`record` takes it)."""

    actor: str
    action: str
    subject: str | None
    target: str
    detail: Mapping[str, Any]


def record(
    db: Session,
    *,
    actor: str,
    action: str,
    subject: str | None,
    target: str,
    detail: Mapping[str, Any],
    now: datetime,
) -> AuditEntry:
    """Append one entry to the audit trail, in `db`'s transaction.

    `actor` and `subject` are pseudonyms (``Pseudonyms.user(42)``), or the actor is
    ``system:<name>``; `target` names the record concerned (``event:17``); `detail`
    is JSON data without plain identifiers (an email address is refused). Returns
    the entry written (not attached to `db`).
    """
    checked = [_checked(Record(actor, action, subject, target, detail))]
    with processing(SECURITY_AUDIT, session=db):
        (row,) = _append(db.connection(), checked, now)
    return AuditEntry(**row)


def record_many(db: Session, records: Sequence[Record], *, now: datetime) -> range:
    """Append `records` in order, in `db`'s transaction, all at `now`; returns their
    sequence numbers.

    However many there are, the head row is advanced once, and the entries and the
    tree nodes they freeze are inserted with one statement each: the cheap way to
    audit many actions of one transaction. Nothing is appended if one is refused.
    """
    checked = [_checked(r) for r in records]
    if not checked:
        return range(0)
    with processing(SECURITY_AUDIT, session=db):
        rows = _append(db.connection(), checked, now)
    return range(rows[0]["seq"], rows[-1]["seq"] + 1)


def _checked(item: Record) -> tuple[Record, str]:
    """`item` with its detail as JSON data (as read back), checked; and the detail's
    canonical JSON."""
    text = canonical(item.detail).decode("utf-8")
    detail = json.loads(text)
    if detail != item.detail:  # tuples, keys that are not strings: as read back
        text = canonical(detail).decode("utf-8")
    _check(item.actor, item.action, item.subject, item.target, detail, text)
    checked = Record(item.actor, item.action, item.subject, item.target, detail)
    return checked, text


_ADVANCE = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_seq=_HEAD.c.last_seq + bindparam("count"))
    .returning(_HEAD.c.last_seq, _HEAD.c.last_hash, _HEAD.c.tree_base_seq)
    .execution_options(**_BOOKKEEPING)
)
_CLOSE = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_hash=bindparam("digest"))
    .execution_options(**_BOOKKEEPING)
)
_INSERT_ENTRIES = insert(_ENTRIES)
_INSERT_NODES = insert(_NODES).execution_options(**_BOOKKEEPING)
_UNNESTED = (
    func.unnest(
        bindparam("levels", type_=postgresql.ARRAY(Integer)),
        bindparam("positions", type_=postgresql.ARRAY(Integer)),
        bindparam("hashes", type_=postgresql.ARRAY(postgresql.BYTEA)),
    )
    .table_valued("level", "position", "hash")
    .render_derived(name="frozen")
)
_INSERT_NODES_UNNESTED = (
    insert(_NODES)
    .from_select(["level", "position", "hash"], select(*_UNNESTED.c))
    .execution_options(**_BOOKKEEPING)
)
"""PostgreSQL: the nodes of a batch as three arrays in one statement (a row at a time
in a pipeline costs more than the rest of an append)."""


@functools.lru_cache(maxsize=256)
def _nodes_query(count: int) -> Select[Any]:
    """Read `count` nodes, named by the parameters ``l0, p0, l1, p1...``: an OR of
    primary-key lookups (SQLite scans the table for a row-value IN list)."""
    level, position = _NODES.c.level, _NODES.c.position
    found = [
        and_(level == bindparam(f"l{i}"), position == bindparam(f"p{i}")) for i in range(count)
    ]
    query = select(level, position, _NODES.c.hash).where(or_(*found))
    return query.execution_options(**_BOOKKEEPING)


_WANTED = (
    func.unnest(
        bindparam("levels", type_=postgresql.ARRAY(Integer)),
        bindparam("positions", type_=postgresql.ARRAY(Integer)),
    )
    .table_valued("level", "position")
    .render_derived(name="wanted")
)
_NODES_UNNESTED = (
    select(_NODES.c.level, _NODES.c.position, _NODES.c.hash)
    .join_from(
        _WANTED,
        _NODES,
        and_(_NODES.c.level == _WANTED.c.level, _NODES.c.position == _WANTED.c.position),
    )
    .execution_options(**_BOOKKEEPING)
)
"""PostgreSQL: read nodes named by two arrays (one plan, whatever their number)."""


def _insert_head(connection: Connection) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {
        "id": 1,
        "last_seq": 0,
        "last_hash": GENESIS,
        "base_seq": 0,
        "base_hash": GENESIS,
        "tree_base_seq": 0,
    }
    statement = dialect.insert(_HEAD).values(**values).on_conflict_do_nothing()
    connection.execute(statement.execution_options(**_BOOKKEEPING))


def _advance_head(connection: Connection, count: int) -> tuple[int, str, int]:
    """Advance the head's sequence by `count` under its row lock; return the first new
    sequence number, the hash of the entry before it, and where the tree's leaves start."""
    row = connection.execute(_ADVANCE, {"count": count}).first()
    if row is None:
        _insert_head(connection)
        row = connection.execute(_ADVANCE, {"count": count}).one()
    last_seq, prev_hash, tree_base = row
    return last_seq - count + 1, prev_hash, tree_base


def _needed(first: int, count: int) -> set[NodeId]:
    """The nodes frozen before leaf `first` that appending `count` leaves folds with,
    but for leaf ``first - 1`` (its hash is the previous entry's, known already)."""
    needs = {n for i in range(first, first + count) for n in audit_tree.append_needs(i)}
    return {(lv, p) for lv, p in needs if (p + 1) << lv <= first and (lv, p) != (0, first - 1)}


def _append(
    connection: Connection, records: Sequence[tuple[Record, str]], now: datetime
) -> list[dict[str, Any]]:
    """Write `records` (with their details' canonical JSON) as entries after the head,
    and the tree nodes they freeze."""
    first_seq, prev_hash, tree_base = _advance_head(connection, len(records))
    first = first_seq - tree_base - 1
    known = _node_hashes(connection, _needed(first, len(records)))
    if first:
        known[(0, first - 1)] = audit_tree.leaf_hash(bytes.fromhex(prev_hash))
    at = _at(now)
    rows: list[dict[str, Any]] = []
    frozen: list[tuple[NodeId, bytes]] = []
    for offset, (item, detail) in enumerate(records):
        seq = first_seq + offset
        digest = hashlib.sha256(_document_json(seq, at, item, detail, prev_hash)).hexdigest()
        leaf = audit_tree.leaf_hash(bytes.fromhex(digest))
        nodes = audit_tree.appended(first + offset, leaf, known)
        known.update(nodes)
        frozen.extend(nodes)
        rows.append(_entry_row(seq, now, item, detail, prev_hash, digest))
        prev_hash = digest
    connection.execute(_INSERT_ENTRIES, rows if len(rows) > 1 else rows[0])
    _insert_nodes(connection, frozen)
    connection.execute(_CLOSE, {"digest": prev_hash})
    return rows


def _insert_nodes(connection: Connection, frozen: list[tuple[NodeId, bytes]]) -> None:
    """Insert the nodes a batch froze."""
    if connection.dialect.name == "postgresql":
        arrays: dict[str, list[Any]] = {"levels": [], "positions": [], "hashes": []}
        for (level, position), value in frozen:
            arrays["levels"].append(level)
            arrays["positions"].append(position)
            arrays["hashes"].append(value)
        connection.execute(_INSERT_NODES_UNNESTED, arrays)
    else:
        rows = [{"level": lv, "position": p, "hash": value} for (lv, p), value in frozen]
        connection.execute(_INSERT_NODES, rows)


def _json(value: str | None) -> str:
    """A string (or null) as canonical JSON writes it."""
    return "null" if value is None else encode_basestring(value)


def _document_json(seq: int, at: str, item: Record, detail: str, prev_hash: str) -> bytes:
    """``canonical(entry_document(...))`` written out around the detail's canonical JSON,
    keys in sorted order: the append path's shortcut (:func:`verify` hashes entries the
    long way, so the two cannot drift apart unnoticed)."""
    return (
        f'{{"action":{_json(item.action)},"actor":{_json(item.actor)},"at":{_json(at)},'
        f'"detail":{detail},"prev_hash":{_json(prev_hash)},"seq":{seq},'
        f'"subject":{_json(item.subject)},"target":{_json(item.target)}}}'
    ).encode()


def _entry_row(
    seq: int, now: datetime, item: Record, detail: str, prev_hash: str, digest: str
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": now,
        "actor": item.actor,
        "action": item.action,
        "subject": item.subject,
        "target": item.target,
        "detail": detail,
        "prev_hash": prev_hash,
        "hash": digest,
    }


# --- verifying the stored trail ------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`: intact, or the first broken sequence number and why."""

    ok: bool
    count: int
    last_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def _row_document(row: Any, detail: Any) -> dict[str, Any]:
    """A stored entry's fields as hashed, its detail already read from JSON."""
    return entry_document(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        target=row.target,
        detail=detail,
        prev_hash=row.prev_hash,
    )


def _stored_hash(row: Any) -> str:
    try:
        detail = json.loads(row.detail)
    except ValueError:
        return "unreadable detail"
    return entry_hash(_row_document(row, detail))


def verify(db: Session, *, tree: bool = True) -> VerifyReport:
    """Walk the chain in sequence order and report the first entry that is wrong;
    then (unless `tree` is false) check the history tree's stored nodes against it.

    Detects a changed entry (its hash no longer matches its content), a removed
    entry (a gap in the sequence, or entries missing at the end compared with the
    head), reordering or re-hashing (a ``prev_hash`` that is not the hash of the
    entry before), and a tree node missing, extra, or not the hash of the entries
    (or nodes) below it. An entry rewritten with every later hash recomputed passes:
    :mod:`~interpreta.privacy.audit_publish` compares the trail with heads published
    before.
    """
    with processing(SECURITY_AUDIT):
        connection = db.connection()
        report = _verify_chain(connection)
        if report.ok and tree:
            return _verify_tree(connection, report)
        return report


def _verify_chain(connection: Connection) -> VerifyReport:
    head = connection.execute(select(_HEAD).where(_HEAD.c.id == 1)).first()
    expected, prev = (head.base_seq + 1, head.base_hash) if head else (1, GENESIS)
    count = 0

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, count, prev, seq, problem)

    rows = connection.execute(
        select(_ENTRIES).order_by(_ENTRIES.c.seq).execution_options(yield_per=1000)
    )
    for row in rows:
        if row.seq != expected:
            return broken(expected, f"entry {expected} is missing (next entry is {row.seq})")
        if row.prev_hash != prev:
            return broken(row.seq, "its prev_hash is not the hash of the entry before it")
        if _stored_hash(row) != row.hash:
            return broken(row.seq, "its content was changed (hash mismatch)")
        prev, expected, count = row.hash, expected + 1, count + 1
    last_seq = head.last_seq if head else 0
    if last_seq != expected - 1:
        return broken(expected, f"entries {expected} to {last_seq} are missing from the end")
    if head is not None and head.last_hash != prev:
        return broken(last_seq, "the chain head's hash does not match the last entry")
    return VerifyReport(True, count, prev)


@dataclass(frozen=True)
class TreeState:
    """The head row's counters: the newest entry, where the kept entries start (after
    ``base_seq``) and where the tree's leaves start (after ``tree_base_seq``)."""

    last_seq: int = 0
    base_seq: int = 0
    tree_base_seq: int = 0

    @property
    def size(self) -> int:
        """How many leaves the history tree has."""
        return self.last_seq - self.tree_base_seq

    def seq_of(self, index: int) -> int:
        """The sequence number of the entry at leaf `index`."""
        return self.tree_base_seq + index + 1


_STATE = select(_HEAD.c.last_seq, _HEAD.c.base_seq, _HEAD.c.tree_base_seq).where(_HEAD.c.id == 1)


def _state(connection: Connection) -> TreeState:
    row = connection.execute(_STATE.execution_options(**_BOOKKEEPING)).first()
    return TreeState(*row) if row is not None else TreeState()


def tree_state(db: Session) -> TreeState:
    """Where the trail and its history tree stand."""
    with processing(SECURITY_AUDIT):
        return _state(db.connection())


class _StoredLevels:
    """The stored nodes of each level in position order, one stream per level."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._streams: dict[int, Result[Any]] = {}

    def next(self, level: int) -> tuple[int, bytes] | None:
        """The next stored node of `level`: (position, hash), or None after the last."""
        stream = self._streams.get(level)
        if stream is None:
            query = select(_NODES.c.position, _NODES.c.hash).where(_NODES.c.level == level)
            query = query.order_by(_NODES.c.position)
            stream = self._connection.execute(
                query.execution_options(yield_per=_CHUNK, **_BOOKKEEPING)
            )
            self._streams[level] = stream
        row = stream.fetchone()
        return None if row is None else (row.position, bytes(row.hash))

    def close(self) -> None:
        """Close every stream."""
        for stream in self._streams.values():
            stream.close()


def _verify_tree(connection: Connection, chain: VerifyReport) -> VerifyReport:
    state = _state(connection)
    levels = _StoredLevels(connection)
    kept = connection.execute(
        select(_ENTRIES.c.seq, _ENTRIES.c.hash)
        .order_by(_ENTRIES.c.seq)
        .execution_options(yield_per=_CHUNK, **_BOOKKEEPING)
    )
    try:
        problem = _walk_tree(state, levels, kept)
    finally:
        levels.close()
        kept.close()
    if problem is None:
        stored = connection.execute(
            select(func.count()).select_from(_NODES).execution_options(**_BOOKKEEPING)
        ).scalar_one()
        if stored != 2 * state.size - state.size.bit_count():
            problem = (state.last_seq, "the history tree holds nodes beyond the newest entry")
    if problem is None:
        return chain
    seq, why = problem
    return VerifyReport(False, max(0, seq - state.base_seq - 1), chain.last_hash, seq, why)


def _walk_tree(
    state: TreeState, levels: _StoredLevels, kept: Result[Any]
) -> tuple[int, str] | None:
    """Recompute the tree from its leaves, each checked against its entry while the
    entry is kept; the first (seq, problem) found, or None."""
    right_edge: list[bytes] = []
    first_kept = state.base_seq - state.tree_base_seq
    for index in range(state.size):
        stored = levels.next(0)
        if stored is None or stored[0] != index:
            return state.seq_of(index), "its leaf is missing from the history tree"
        if index >= first_kept:
            entry = kept.fetchone()
            if entry is None or audit_tree.leaf_hash(bytes.fromhex(entry.hash)) != stored[1]:
                return state.seq_of(index), "its leaf in the history tree does not match its hash"
        problem = _fold(state, index, stored[1], right_edge, levels)
        if problem is not None:
            return problem
    return None


def _fold(
    state: TreeState, index: int, leaf: bytes, right_edge: list[bytes], levels: _StoredLevels
) -> tuple[int, str] | None:
    """Fold leaf `index` into the right edge, checking each node it completes."""
    level, position, value = 0, index, leaf
    while position & 1:
        value = audit_tree.node_hash(right_edge.pop(), value)
        level, position = level + 1, position >> 1
        stored = levels.next(level)
        if stored is None or stored[0] != position or stored[1] != value:
            first, last = position << level, ((position + 1) << level) - 1
            how = "wrong" if stored is not None and stored[0] == position else "missing"
            return state.seq_of(first), (
                f"the history tree's node over entries {state.seq_of(first)} to "
                f"{state.seq_of(last)} is {how}"
            )
    right_edge.append(value)
    return None


def entries(db: Session, *, subjects: list[str] | None = None, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first; with `subjects`, only those about or by those pseudonyms."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if subjects is not None:
        query = query.where(or_(AuditEntry.subject.in_(subjects), AuditEntry.actor.in_(subjects)))
    with processing(SECURITY_AUDIT):
        return list(db.scalars(query))


def prune(db: Session, *, before: datetime) -> int:
    """Delete the oldest entries recorded before `before` (retention rule AUDIT_LOG),
    keeping the chain verifiable (see :func:`~interpreta.privacy.models.prune_audit`);
    the history tree's nodes stay, so the proofs for the entries kept still verify."""
    with processing(RETENTION, session=db):
        return prune_audit(db, before)


# --- tree heads and proofs -----------------------------------------------------------


class ProofRefused(ValueError):
    """A tree head or proof was asked for an entry or a size the tree does not have."""


@dataclass(frozen=True)
class TreeHead:
    """The head of the history tree over the first `size` leaves: its root hash (hex)."""

    size: int
    root_hash: str


@dataclass(frozen=True)
class InclusionProof:
    """That entry `seq`, whose hash is `entry_hash`, is leaf `leaf_index` of the tree of
    `tree_size` leaves with root `root_hash`: the audit path (RFC 9162), hashes in hex.

    The proof needs only hashes; :func:`document` gives the entry's fields as hashed,
    so a reader can recompute `entry_hash` from them, then the root from this proof.
    """

    seq: int
    entry_hash: str
    leaf_index: int
    tree_size: int
    root_hash: str
    audit_path: tuple[str, ...]

    def verify(self) -> bool:
        """Whether the audit path leads from the entry's leaf to the root."""
        leaf = audit_tree.leaf_hash(bytes.fromhex(self.entry_hash))
        path = [bytes.fromhex(h) for h in self.audit_path]
        root = bytes.fromhex(self.root_hash)
        return audit_tree.verify_inclusion(self.leaf_index, self.tree_size, leaf, path, root)

    def as_json(self) -> dict[str, Any]:
        """The proof as a JSON object."""
        return {
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "audit_path": list(self.audit_path),
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """That the tree head `new` extends the head `old` (RFC 9162), hashes in hex."""

    old: TreeHead
    new: TreeHead
    path: tuple[str, ...]

    def verify(self) -> bool:
        """Whether the path proves `new`'s tree an extension of `old`'s."""
        return audit_tree.verify_consistency(
            self.old.size,
            self.new.size,
            bytes.fromhex(self.old.root_hash),
            bytes.fromhex(self.new.root_hash),
            [bytes.fromhex(h) for h in self.path],
        )


def _node_hashes(connection: Connection, ids: set[NodeId]) -> dict[NodeId, bytes]:
    """The stored hashes of `ids`, read at once."""
    if not ids:
        return {}
    if connection.dialect.name == "postgresql":
        levels, positions = zip(*ids, strict=True)
        wanted = {"levels": list(levels), "positions": list(positions)}
        rows = connection.execute(_NODES_UNNESTED, wanted)
    else:
        parameters: dict[str, int] = {}
        for i, (level, position) in enumerate(sorted(ids)):
            parameters[f"l{i}"], parameters[f"p{i}"] = level, position
        rows = connection.execute(_nodes_query(len(ids)), parameters)
    found = {(level, position): bytes(value) for level, position, value in rows}
    if len(found) != len(ids):
        raise ProofRefused("the history tree lacks stored nodes (audit verify names them)")
    return found


def _size(state: TreeState, size: int | None) -> int:
    if size is None:
        return state.size
    if size < 0:
        raise ProofRefused(f"a tree size is not negative ({size})")
    if size > state.size:
        raise ProofRefused(f"the history tree has {state.size} entries, not {size}")
    return size


def root(db: Session, size: int | None = None) -> TreeHead:
    """The head of the history tree over its first `size` entries (all by default)."""
    with processing(SECURITY_AUDIT):
        connection = db.connection()
        size = _size(_state(connection), size)
        nodes = _node_hashes(connection, set(audit_tree.root_nodes(size)))
        return TreeHead(size, audit_tree.root_hash(size, nodes).hex())


_STATE_AND_HASH = (
    select(
        *_STATE.selected_columns,
        select(_ENTRIES.c.hash).where(_ENTRIES.c.seq == bindparam("seq")).scalar_subquery(),
    )
    .where(_HEAD.c.id == 1)
    .execution_options(**_BOOKKEEPING)  # counters and an entry's hash: no personal data
)
"""The head's counters and an entry's hash in one round trip (a proof takes two)."""


def prove_inclusion(db: Session, seq: int, size: int | None = None) -> InclusionProof:
    """The proof that entry `seq` is in the tree over the first `size` entries (all by
    default); :class:`ProofRefused` when there is no such entry, or it is not among them."""
    with processing(SECURITY_AUDIT):
        connection = db.connection()
        found = connection.execute(_STATE_AND_HASH, {"seq": seq}).first()
        state, digest = (TreeState(*found[:3]), found[3]) if found else (TreeState(), None)
        size = _size(state, size)
        if not 0 < seq <= state.last_seq:
            raise ProofRefused(f"there is no entry {seq} (the last is {state.last_seq})")
        if seq <= state.base_seq:
            raise ProofRefused(f"entry {seq} was removed by retention")
        index = seq - state.tree_base_seq - 1
        if index >= size:
            raise ProofRefused(f"entry {seq} is not among the tree's first {size} entries")
        if digest is None:
            raise ProofRefused(f"entry {seq} is missing (audit verify says more)")
        ids = set(audit_tree.root_nodes(size)) | audit_tree.inclusion_nodes(index, size)
        nodes = _node_hashes(connection, ids)
    path = tuple(h.hex() for h in audit_tree.inclusion_proof(index, size, nodes))
    head = audit_tree.root_hash(size, nodes).hex()
    return InclusionProof(seq, digest, index, size, head, path)


def document(db: Session, seq: int) -> dict[str, Any] | None:
    """Entry `seq`'s fields as hashed (:func:`entry_document`), or None when it is not
    kept: :func:`entry_hash` of them is the entry's hash, unless it was changed."""
    with processing(SECURITY_AUDIT):
        row = db.connection().execute(select(_ENTRIES).where(_ENTRIES.c.seq == seq)).first()
    return None if row is None else _row_document(row, json.loads(row.detail))


def prove_consistency(db: Session, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """The proof that the tree over `new_size` entries (all by default) extends the tree
    over the first `old_size`; :class:`ProofRefused` for sizes the tree does not have."""
    with processing(SECURITY_AUDIT):
        connection = db.connection()
        state = _state(connection)
        new = _size(state, new_size)
        old = _size(state, old_size)
        if old > new:
            raise ProofRefused(f"a tree of {new} entries cannot extend one of {old}")
        return _consistency(connection, old, new)


def _consistency(connection: Connection, old: int, new: int) -> ConsistencyProof:
    ids = audit_tree.consistency_nodes(old, new)
    ids |= set(audit_tree.root_nodes(old)) | set(audit_tree.root_nodes(new))
    nodes = _node_hashes(connection, ids)
    path = tuple(h.hex() for h in audit_tree.consistency_proof(old, new, nodes))
    return ConsistencyProof(
        TreeHead(old, audit_tree.root_hash(old, nodes).hex()),
        TreeHead(new, audit_tree.root_hash(new, nodes).hex()),
        path,
    )
