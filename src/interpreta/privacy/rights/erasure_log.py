"""The erasure log: every erasure, kept outside the database (P24 with P30).

A backup taken before an erasure still holds the person. So each executed
erasure is also appended to ``DATA_DIR/erasure-log.jsonl``, naming the person
only by pseudonyms (keyed hashes of their user IDs and email addresses) and the
part erased. After a restore, :func:`replay` finds the people those pseudonyms
belong to in the restored data and erases them again, so no restore brings an
erased person back. The pseudonym key travels in the database, so it is the
restored key that recognises them.

An entry is written *before* the erasure's transaction commits, under a random
intent ID (:func:`intend`); if the transaction rolls back, a line cancelling that
ID follows, and a cancelled entry is never replayed. A process killed between its
commit and any later write therefore cannot lose an erasure (which would bring
the person back after a restore). A process killed before its commit leaves an
entry that is neither committed nor cancelled: it is replayed, which erases a
person whose erasure request is still open and will be executed anyway (erasure
is idempotent) — the safe side of the two.

The log's first line names it (a random ID made when the deployment first
starts). A backup records that ID, how many entries the log had and their digest
(:class:`LogState`); a restore refuses a log that does not continue the one the
backup was taken with (:func:`continues`), so a restore on a host without the
original log cannot bring back the people erased since the backup.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from interpreta.datamap.activities import BACKUPS
from interpreta.datamap.ties import Tie
from interpreta.db.after_commit import after_commit
from interpreta.db.engine import checkpoint
from interpreta.privacy import audit
from interpreta.privacy.keys import Keyring
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import Pseudonyms, system
from interpreta.privacy.rights import erase as erasure
from interpreta.privacy.rights.models import DataSubjectRequest
from interpreta.privacy.rights.subjects import (
    CONTROLLER,
    Identity,
    Part,
    find,
    linked_tables,
    normalise_email,
    processor,
)

FILE_NAME = "erasure-log.jsonl"


@dataclass(frozen=True)
class Entry:
    """One executed erasure."""

    at: datetime
    part: str
    users: tuple[str, ...]
    emails: tuple[str, ...]


def path(data_dir: Path) -> Path:
    """Where the log lives."""
    return data_dir / FILE_NAME


HEADER_KEY = "erasure_log"


@dataclass(frozen=True)
class LogState:
    """Which log, and how far it went: what a backup records of it."""

    id: str
    entries: int
    digest: str

    def as_dict(self) -> dict[str, object]:
        """The state as a backup header holds it."""
        return {"id": self.id, "entries": self.entries, "digest": self.digest}


def ensure(data_dir: Path) -> str:
    """The log's ID; a new log (or one written before logs had IDs) gets one."""
    log = path(data_dir)
    header = _header(log)
    if header is not None:
        return header
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True) if log.exists() else []
    log_id = uuid.uuid4().hex
    data_dir.mkdir(parents=True, exist_ok=True)
    fresh = log.with_name(log.name + ".new")
    with open(fresh, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({HEADER_KEY: 1, "id": log_id}) + "\n")
        handle.writelines(lines)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(fresh, log)
    return log_id


def _header(log: Path) -> str | None:
    """The ID in the log's first line, reading only that line; None without one."""
    if not log.exists():
        return None
    with open(log, encoding="utf-8") as handle:
        first = handle.readline()
    item = json.loads(first) if first.strip() else {}
    return str(item["id"]) if HEADER_KEY in item else None


def _entry_lines(data_dir: Path) -> list[str]:
    log = path(data_dir)
    if not log.exists():
        return []
    lines = [raw for raw in log.read_text(encoding="utf-8").splitlines() if raw.strip()]
    return lines[1:] if lines and HEADER_KEY in json.loads(lines[0]) else lines


def _digest(lines: list[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def state(data_dir: Path) -> LogState:
    """The log's ID, number of entries and their digest."""
    lines = _entry_lines(data_dir)
    return LogState(ensure(data_dir), len(lines), _digest(lines))


def continues(data_dir: Path, recorded: LogState) -> bool:
    """Whether the log in `data_dir` is the one `recorded` describes, or a later state
    of it (same ID, the same entries first)."""
    if not path(data_dir).exists():
        return False
    lines = _entry_lines(data_dir)
    return (
        ensure(data_dir) == recorded.id
        and len(lines) >= recorded.entries
        and _digest(lines[: recorded.entries]) == recorded.digest
    )


def _write(data_dir: Path, line: dict[str, object]) -> None:
    """Append one line durably (flushed to disk), under an exclusive lock: the app nodes
    of one deployment share the data directory (NFS locks it across machines), and
    appends from two of them must not interleave."""
    ensure(data_dir)
    with open(path(data_dir), "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(line, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def intend(
    db: Session, data_dir: Path, names: Pseudonyms, identity: Identity, part: Part, at: datetime
) -> str:
    """Record an erasure in `db`'s transaction before it commits, and cancel the record
    if the transaction rolls back; returns the entry's intent ID."""
    intent = uuid.uuid4().hex
    _write(
        data_dir,
        {
            "at": at.isoformat(),
            "part": part.label,
            "users": sorted(names.user(u) for u in identity.user_ids),
            "emails": sorted(names.email(e) for e in identity.emails),
            "intent": intent,
        },
    )
    after_commit(db, lambda: None, or_else=lambda: _write(data_dir, {"cancelled": intent}))
    return intent


def entries(data_dir: Path, since: datetime | None = None) -> Iterator[Entry]:
    """The logged erasures not cancelled, oldest first (after `since` only, if given)."""
    items = [json.loads(raw) for raw in _entry_lines(data_dir)]
    cancelled = {item["cancelled"] for item in items if "cancelled" in item}
    for item in items:
        if "part" not in item or item.get("intent") in cancelled:
            continue
        entry = Entry(
            datetime.fromisoformat(item["at"]),
            item["part"],
            tuple(item["users"]),
            tuple(item["emails"]),
        )
        if since is None or entry.at > since:
            yield entry


REPLAY_MARGIN = timedelta(hours=1)
"""Erasures logged this long before a backup are replayed too: one that began before the
backup's snapshot but committed after it is still in the backup. (Erasure is
idempotent; the margin only matters for someone erased and then signed up again
within it, whose new data would be erased too.)"""


@runs_in(BACKUPS)
def replay(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    metadata: MetaData,
    data_dir: Path,
    since: datetime | None,
    now: datetime,
) -> int:
    """Erase again everyone whose erasure was logged in `data_dir` after `since` (less
    the margin; None: every logged erasure); how many entries. The requests about them
    keep only the digest of their address, as after the original erasure, and each
    replay is in the audit trail."""
    pending = list(entries(data_dir, None if since is None else since - REPLAY_MARGIN))
    if not pending:
        return 0
    with sessions.begin() as db:
        names = keyring.pseudonyms(db.connection())
        wanted_users = {p for e in pending for p in e.users}
        wanted_emails = {p for e in pending for p in e.emails}
        users_by_pseudonym = {
            names.user(uid): uid
            for uid in db.scalars(select(metadata.tables["users"].c.id))
            if names.user(uid) in wanted_users
        }
        emails_by_pseudonym = {
            names.email(address): address
            for address in _email_values(db, metadata)
            if names.email(address) in wanted_emails
        }
        for entry in pending:
            identity = Identity(
                user_ids={users_by_pseudonym[p] for p in entry.users if p in users_by_pseudonym},
                emails={emails_by_pseudonym[p] for p in entry.emails if p in emails_by_pseudonym},
            )
            if not identity.user_ids and not identity.emails:
                continue
            part = (
                CONTROLLER
                if entry.part == "controller"
                else processor(int(entry.part.split(":", 1)[1]))
            )
            erasure.erase(db, metadata, find(db, metadata, identity), part)
            _forget_addresses(db, identity)
            audit.record(
                db,
                actor=system("restore"),
                action="erasure.replayed",
                subject=(entry.users or entry.emails or (None,))[0],
                target=f"erasure:{entry.part}",
                detail={"part": entry.part, "erased_at": entry.at.isoformat()},
                now=now,
            )
    checkpoint(sessions.kw["bind"])
    return len(pending)


def _forget_addresses(db: Session, identity: Identity) -> None:
    """Requests about a re-erased person keep the digest of the address, not the address."""
    conditions = [DataSubjectRequest.subject_digest.in_(sorted(identity.digests))]
    if identity.user_ids:
        conditions.append(DataSubjectRequest.subject_user_id.in_(sorted(identity.user_ids)))
    db.execute(
        update(DataSubjectRequest)
        .where(or_(*conditions), DataSubjectRequest.subject_email.is_not(None))
        .values(subject_email=None)
    )


def _email_values(db: Session, metadata: MetaData) -> set[str]:
    """Every email address stored in a column the data map ties to a person by email."""
    found: set[str] = set()
    for ties in linked_tables(metadata):
        for column, tie in ties.persons:
            if tie.kind is not Tie.EMAIL:
                continue
            for value in db.scalars(select(column).where(column.is_not(None)).distinct()):
                found.add(normalise_email(str(value)))
    return found
