"""The erasure log: every erasure, kept outside the database (P24 with P30).

A backup taken before an erasure still holds the person. So each executed
erasure is also appended to ``DATA_DIR/erasure-log.jsonl``, naming the person
only by pseudonyms (keyed hashes of their user IDs and email addresses) and the
part erased. After a restore, :func:`replay` finds the people those pseudonyms
belong to in the restored data and erases them again, so no restore brings an
erased person back. The pseudonym key travels in the database, so it is the
restored key that recognises them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session, sessionmaker

from interpreta.datamap.activities import BACKUPS
from interpreta.datamap.ties import Tie
from interpreta.privacy.keys import Keyring
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import Pseudonyms
from interpreta.privacy.rights import erase as erasure
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


def append(data_dir: Path, names: Pseudonyms, identity: Identity, part: Part, at: datetime) -> None:
    """Record an executed erasure (durably: the line is flushed to disk)."""
    line = {
        "at": at.isoformat(),
        "part": part.label,
        "users": sorted(names.user(u) for u in identity.user_ids),
        "emails": sorted(names.email(e) for e in identity.emails),
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(path(data_dir), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def entries(data_dir: Path, since: datetime | None = None) -> Iterator[Entry]:
    """The logged erasures, oldest first (those after `since` only, if given)."""
    log = path(data_dir)
    if not log.exists():
        return
    with open(log, encoding="utf-8") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            item = json.loads(raw)
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
    since: datetime,
) -> int:
    """Erase again everyone whose erasure was logged in `data_dir` after `since` (less
    the margin); how many entries."""
    pending = list(entries(data_dir, since - REPLAY_MARGIN))
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
    return len(pending)


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
