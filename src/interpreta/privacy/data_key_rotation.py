"""Data-key rotation (P22): a new data key per scope, every ciphertext re-encrypted.

Rotating the master key (:func:`interpreta.privacy.keys.rotate`) re-wraps data
keys; this rotates the data keys themselves, while the service keeps serving
reads and writes. Three steps, each batch its own short transaction, so a run
killed anywhere is resumed by running again:

1. **retire**: each chosen scope's current key is marked retired and a new key
   made current, in one transaction. Writers seal under the current key only;
   on PostgreSQL a writer holds a share lock on the key's row until it commits
   (:meth:`Keyring.for_scope`), so the retirement waits for every writer still
   sealing under the old key, and no new ciphertext names it afterwards. (On
   SQLite writers are serialised by the database's one write lock.)
2. **re-encrypt**: every ciphertext naming a retired, still-wrapped key is opened
   and sealed again under its scope's current key, ``batch`` rows per
   transaction; the UPDATE matches the old ciphertext, so a value a user changed
   meanwhile is left as they wrote it. Readers keep reading both kinds: the
   retired key stays readable until step 3.
3. **destroy**: a retired key that no ciphertext names any more, and that was
   retired at least :data:`GRACE` ago (longer than any transaction that could
   have chosen it), loses its wrapped copy.

The ``pseudonyms`` key is never rotated: it is a keyed-hash key, and pseudonyms
in the audit trail and the erasure log must keep meaning the same people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Column, Connection, Table, Text, func, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker

from interpreta.datamap.activities import ENCRYPTION
from interpreta.db.base import Base
from interpreta.privacy.crypto import (
    FORMAT_VERSION,
    Envelope,
    Sealed,
    field_aad,
    open_field,
    seal_field,
)
from interpreta.privacy.encrypted import encrypted_columns
from interpreta.privacy.keys import PSEUDONYM_SCOPE, Keyring
from interpreta.privacy.models import DataKey
from interpreta.privacy.processing import processing

GRACE = timedelta(minutes=10)
"""How long a retired key stays readable after the last ciphertext naming it is gone."""

_KEYS = cast(Table, DataKey.__table__)


@dataclass(frozen=True)
class DataKeyRotation:
    """What one run did, and what is left."""

    retired: int
    reencrypted: int
    destroyed: int
    remaining: int
    """Retired keys still protecting ciphertexts, or still in their grace period."""


def _retired(connection: Connection) -> dict[str, str]:
    """Retired, still-wrapped keys: key ID -> scope."""
    rows = connection.execute(
        select(_KEYS.c.key_id, _KEYS.c.scope).where(
            _KEYS.c.retired_at.is_not(None), _KEYS.c.wrapped.is_not(None)
        )
    )
    return {key_id: scope for key_id, scope in rows}


def _naming(column: Column[Any], key_ids: Iterable[str]) -> Any:
    """A condition: `column` holds a ciphertext under one of `key_ids`."""
    text = sql_cast(column, Text)
    return or_(*(text.like(f"{FORMAT_VERSION}:{key_id}:%") for key_id in sorted(key_ids)))


def retire(
    sessions: sessionmaker[Session], keyring: Keyring, scopes: Iterable[str] | None, now: datetime
) -> int:
    """Retire the current key of each of `scopes` (None: every live scope but the
    pseudonyms') and make a new one current, in one transaction; how many."""
    with processing(ENCRYPTION), sessions.begin() as db:
        connection = db.connection()
        query = select(_KEYS.c.scope).where(
            _KEYS.c.retired_at.is_(None),
            _KEYS.c.wrapped.is_not(None),
            _KEYS.c.scope != PSEUDONYM_SCOPE,
        )
        if scopes is not None:
            query = query.where(_KEYS.c.scope.in_(sorted(set(scopes))))
        chosen = list(connection.execute(query).scalars())
        if not chosen:
            return 0
        connection.execute(
            update(_KEYS)
            .where(_KEYS.c.scope.in_(chosen), _KEYS.c.retired_at.is_(None))
            .values(retired_at=now)
        )
        for scope in chosen:
            keyring.for_scope(connection, scope)
        return len(chosen)


def _reencrypt_batch(
    connection: Connection,
    keyring: Keyring,
    table: Table,
    column: Column[Any],
    retired: dict[str, str],
    batch: int,
) -> tuple[int, int]:
    """Re-encrypt up to `batch` values of one column; (values read, values rewritten)."""
    pk = pk_of(table)
    rows = connection.execute(select(pk, column).where(_naming(column, retired)).limit(batch))
    read = written = 0
    for row_key, stored in rows.all():
        read += 1
        envelope = Envelope.parse(str(stored))
        aad = field_aad(table.name, column.name, str(row_key))
        plaintext = open_field(keyring.by_id(connection, envelope.key_id), envelope, aad)
        current = keyring.for_scope(connection, retired[envelope.key_id])
        sealed = Sealed(seal_field(current.key_id, current.key, plaintext, aad))
        swapped = update(table).where(pk == row_key, column == stored).values({column.name: sealed})
        written += connection.execute(swapped).rowcount
    return read, written


def reencrypt(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Seal again, under their scope's current key, every ciphertext naming a retired
    key, `batch` rows per transaction; how many values."""
    done = 0
    with processing(ENCRYPTION):
        for table, column in encrypted_columns(Base.metadata):
            while True:
                with sessions.begin() as db:
                    connection = db.connection()
                    retired = _retired(connection)
                    if not retired:
                        return done
                    read, written = _reencrypt_batch(
                        connection, keyring, table, column, retired, batch
                    )
                done += written
                if progress:
                    progress(done)
                if read < batch:
                    break
    return done


def to_reencrypt(connection: Connection) -> int:
    """How many stored values still name a retired key."""
    retired = _retired(connection)
    if not retired:
        return 0
    with processing(ENCRYPTION):
        return sum(
            connection.execute(
                select(func.count()).select_from(table).where(_naming(column, retired))
            ).scalar_one()
            for table, column in encrypted_columns(Base.metadata)
        )


def destroy_unused(sessions: sessionmaker[Session], keyring: Keyring, now: datetime) -> int:
    """Destroy each retired key no ciphertext names, retired at least :data:`GRACE`
    ago; how many."""
    destroyed = 0
    with processing(ENCRYPTION), sessions.begin() as db:
        connection = db.connection()
        for key_id in _retired(connection):
            ripe = connection.execute(
                select(_KEYS.c.retired_at).where(_KEYS.c.key_id == key_id).with_for_update()
            ).scalar_one()
            if ripe is None or ripe > now - GRACE:
                continue
            still_used = any(
                connection.execute(
                    select(pk_of(table)).where(_naming(column, [key_id])).limit(1)
                ).first()
                for table, column in encrypted_columns(Base.metadata)
            )
            if still_used:
                continue
            connection.execute(
                update(_KEYS).where(_KEYS.c.key_id == key_id).values(wrapped=None, destroyed_at=now)
            )
            keyring.forget(key_id)
            destroyed += 1
    return destroyed


def pk_of(table: Table) -> Column[Any]:
    """The one-column primary key of an encrypted table."""
    (pk,) = table.primary_key.columns
    return pk


def rotate_data_keys(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    now: datetime,
    scopes: Iterable[str] | None = None,
    new_keys: bool = True,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> DataKeyRotation:
    """Rotate the data keys of `scopes` (None: all but the pseudonyms'): retire and
    replace them (unless ``new_keys`` is False: finishing an interrupted run),
    re-encrypt what they protect, and destroy the retired keys no longer needed.
    `progress` is called with (values re-encrypted, values to re-encrypt)."""
    retired = retire(sessions, keyring, scopes, now) if new_keys else 0
    with sessions() as db:
        total = to_reencrypt(db.connection())
    if progress:
        progress(0, total)
    done = reencrypt(
        sessions, keyring, batch, (lambda n: progress(n, max(total, n))) if progress else None
    )
    destroyed = destroy_unused(sessions, keyring, now)
    with sessions() as db:
        remaining = len(_retired(db.connection()))
    return DataKeyRotation(retired, done, destroyed, remaining)
