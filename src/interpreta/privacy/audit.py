"""The audit trail: one append-only, hash-chained log for every audited action.

``record(db, actor=..., action=..., subject=..., target=..., detail=..., now=...)``
appends an entry in the caller's transaction, so the entry commits or rolls back
with the action it describes. People are named only by pseudonyms
(:mod:`interpreta.privacy.pseudonyms`) or, for the platform itself, ``system:<name>``.

Each entry stores ``prev_hash`` and ``hash = SHA-256(canonical JSON of its fields,
prev_hash included)``, under a gap-free sequence number. Appenders first UPDATE
the single ``audit_chain_head`` row: on PostgreSQL that row lock serialises them
until commit; on SQLite the UPDATE takes the database's one write lock. Two
writers therefore never fork the chain. :func:`verify` finds any changed,
removed or reordered entry, and a chain cut short at its end (the head row
remembers the last entry). Retention removes old entries with :func:`prune`,
which records where the remaining chain starts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from interpreta.datamap.activities import RETENTION, SECURITY_AUDIT
from interpreta.privacy.models import AuditChainHead, AuditEntry, prune_audit
from interpreta.privacy.processing import processing
from interpreta.privacy.pseudonyms import is_pseudonym, is_system_actor

GENESIS = "0" * 64
_HEAD = cast(Table, AuditChainHead.__table__)
_ENTRIES = cast(Table, AuditEntry.__table__)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_ACTION = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


class AuditRefused(ValueError):
    """An entry would have put a plain identifier, or malformed data, into the log."""


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    target: str,
    detail: Any,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over an entry's canonical JSON, the previous entry's hash included."""
    document = {
        "seq": seq,
        "at": _at(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "target": target,
        "detail": detail,
        "prev_hash": prev_hash,
    }
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


def _check(actor: str, action: str, subject: str | None, target: str, detail: Any) -> None:
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
    if any(_EMAIL.search(text) for text in (target, *_strings(detail))):
        raise AuditRefused("an email address may not be written into the audit trail")


def _insert_head(connection: Connection) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {"id": 1, "last_seq": 0, "last_hash": GENESIS, "base_seq": 0, "base_hash": GENESIS}
    connection.execute(dialect.insert(_HEAD).values(**values).on_conflict_do_nothing())


def _lock_head(connection: Connection) -> tuple[int, str]:
    """Advance the head's sequence under its row lock; return (new seq, previous hash)."""
    bump = update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=_HEAD.c.last_seq + 1)
    if connection.execute(bump).rowcount == 0:
        _insert_head(connection)
        connection.execute(bump)
    row = connection.execute(select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1))
    seq, prev_hash = row.one()
    return seq, prev_hash


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
    is JSON data without plain identifiers (an email address is refused).
    """
    detail = json.loads(canonical(detail))
    _check(actor, action, subject, target, detail)
    with processing(SECURITY_AUDIT, session=db):
        return _append(db, actor, action, subject, target, detail, now)


def _append(
    db: Session,
    actor: str,
    action: str,
    subject: str | None,
    target: str,
    detail: Any,
    now: datetime,
) -> AuditEntry:
    connection = db.connection()
    seq, prev_hash = _lock_head(connection)
    digest = entry_hash(
        seq=seq,
        at=now,
        actor=actor,
        action=action,
        subject=subject,
        target=target,
        detail=detail,
        prev_hash=prev_hash,
    )
    entry = AuditEntry(
        seq=seq,
        at=now,
        actor=actor,
        action=action,
        subject=subject,
        target=target,
        detail=canonical(detail).decode("utf-8"),
        prev_hash=prev_hash,
        hash=digest,
    )
    db.add(entry)
    db.flush()
    connection.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=digest))
    return entry


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`: intact, or the first broken sequence number and why."""

    ok: bool
    count: int
    last_hash: str
    broken_seq: int | None = None
    problem: str | None = None


def _stored_hash(row: Any) -> str:
    try:
        detail = json.loads(row.detail)
    except ValueError:
        return "unreadable detail"
    return entry_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        target=row.target,
        detail=detail,
        prev_hash=row.prev_hash,
    )


def verify(db: Session) -> VerifyReport:
    """Walk the chain in sequence order and report the first entry that is wrong.

    Detects a changed entry (its hash no longer matches its content), a removed
    entry (a gap in the sequence, or entries missing at the end compared with the
    head), and reordering or re-hashing (a ``prev_hash`` that is not the hash of
    the entry before).
    """
    with processing(SECURITY_AUDIT):
        return _verify(db)


def _verify(db: Session) -> VerifyReport:
    connection = db.connection()
    head = connection.execute(select(_HEAD).where(_HEAD.c.id == 1)).first()
    expected, prev = (head.base_seq + 1, head.base_hash) if head else (1, GENESIS)
    count = 0

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, count, prev, seq, problem)

    rows = connection.execution_options(yield_per=1000).execute(
        select(_ENTRIES).order_by(_ENTRIES.c.seq)
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


def entries(db: Session, *, subjects: list[str] | None = None, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first; with `subjects`, only those about or by those pseudonyms."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if subjects is not None:
        query = query.where(or_(AuditEntry.subject.in_(subjects), AuditEntry.actor.in_(subjects)))
    with processing(SECURITY_AUDIT):
        return list(db.scalars(query))


def prune(db: Session, *, before: datetime) -> int:
    """Delete the oldest entries recorded before `before` (retention rule AUDIT_LOG),
    keeping the chain verifiable (see :func:`~interpreta.privacy.models.prune_audit`)."""
    with processing(RETENTION, session=db):
        return prune_audit(db, before)
