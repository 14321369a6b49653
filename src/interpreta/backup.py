"""Encrypted logical backups and their restore (promise P24).

A backup is every row of every table, read through a copy of the schema in
which each column has its storage type (ciphertexts stay ciphertexts, times stay
as stored), written as gzip-compressed JSON lines and encrypted with AES-256-GCM
in 1 MiB chunks. The key is derived from the master key (the version in use is
named in the header), each chunk's associated data carries its index, whether it
is the last, and the SHA-256 of the whole header line, so a reordered, altered
or truncated file is refused, and so is a header edited by one byte (its date
decides which erasures a restore replays).

The header also records the erasure log's state (its ID, entry count and
digest): a restore refuses a host whose log does not continue that one, since
without it the people erased after the backup would come back.

Backups written before headers were authenticated (``INTERPRETA-BACKUP-1``)
still restore; their date is not trusted, so every logged erasure is replayed.

Being logical, a backup restores onto SQLite or PostgreSQL alike. The schema
revision is recorded: a restore migrates the target to that revision first.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.types import TypeDecorator

from interpreta.datamap.activities import BACKUPS
from interpreta.db.migrate import current_revision, upgrade
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.erasure_log import LogState

MAGIC = b"INTERPRETA-BACKUP-2\n"
LEGACY_MAGIC = b"INTERPRETA-BACKUP-1\n"
"""Backups whose header is not authenticated (before revision 0008)."""
CHUNK = 1 << 20
INSERT_BATCH = 1000


class BackupError(Exception):
    """The file is not a backup we can read with this key, or it was altered."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup's header says."""

    created_at: datetime
    revision: str | None
    key_version: str
    rows: int = 0
    erasure_log: LogState | None = None
    """The erasure log's state when the backup was taken (None: a legacy backup)."""
    authenticated: bool = True
    """Whether the header is bound into the encryption (False: a legacy backup,
    whose date is not to be trusted)."""


def backup_key(master_key: bytes) -> bytes:
    """The AES-256 key for backups, derived from a master key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"interpreta backup").derive(
        master_key
    )


def storage_metadata(metadata: MetaData) -> MetaData:
    """A copy of `metadata` whose columns have their storage types (no decorators).

    The copy has no foreign keys: use the original's ``sorted_tables`` for order.
    """
    raw = MetaData()
    for table in metadata.sorted_tables:
        columns = []
        for column in table.columns:
            kind: Any = column.type
            if isinstance(kind, TypeDecorator):
                kind = kind.impl_instance
            if isinstance(kind, SAEnum):
                kind = String(kind.length)
            columns.append(Column(column.name, kind, primary_key=column.primary_key))
        Table(table.name, raw, *columns)
    return raw


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, column: Column[Any]) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "b" in value:
            return base64.b64decode(value["b"])
    if isinstance(column.type, DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date) and isinstance(value, str):
        return date.fromisoformat(value)
    return value


class _SealedWriter(io.RawIOBase):
    """A writable stream that encrypts what it is given, chunk by chunk."""

    def __init__(self, out: IO[bytes], key: bytes, prefix: bytes, bound: bytes) -> None:
        self._out, self._aead, self._prefix, self._bound = out, AESGCM(key), prefix, bound
        self._buffer = bytearray()
        self._index = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), final=True)
        super().close()

    def _emit(self, chunk: bytes, *, final: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._index)
        aad = _associated(self._index, final, self._bound)
        sealed = self._aead.encrypt(nonce, chunk, aad)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1


def _associated(index: int, final: bool, bound: bytes | None) -> bytes:
    """A chunk's associated data: its place, and the digest of the header it belongs
    to (None for a legacy backup, whose header was not bound)."""
    if bound is None:
        return b"interpreta-backup|%d|%d" % (index, final)
    return b"interpreta-backup-2|%d|%d|" % (index, final) + bound


def _open_chunks(
    handle: IO[bytes], key: bytes, prefix: bytes, bound: bytes | None
) -> Iterator[bytes]:
    aead, index = AESGCM(key), 0
    while True:
        size_bytes = handle.read(4)
        if len(size_bytes) < 4:
            raise BackupError("the backup is truncated")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = handle.read(size)
        nonce = prefix + struct.pack(">I", index)
        for final in (False, True):
            try:
                chunk = aead.decrypt(nonce, sealed, _associated(index, final, bound))
            except Exception:
                continue
            yield chunk
            if final:
                if handle.read(1):
                    raise BackupError("data after the last chunk")
                return
            break
        else:
            raise BackupError("wrong key, or the backup (its header or content) was altered")
        index += 1


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that sees the whole database as of one moment, for the whole dump."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")  # WAL: one read snapshot until the end
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")
            return
        repeatable = connection.execution_options(isolation_level="REPEATABLE READ")
        with repeatable.begin():
            yield repeatable


@runs_in(BACKUPS)
def write(
    engine: Engine,
    metadata: MetaData,
    path: Path,
    *,
    master_key: bytes,
    key_version: str,
    now: datetime,
    erasure_log: LogState,
) -> BackupInfo:
    """Write an encrypted backup of every table to `path` (atomically), recording the
    erasure log's state `erasure_log`."""
    raw = storage_metadata(metadata)
    revision = current_revision(engine)
    prefix = os.urandom(8)
    header = {
        "created_at": now.isoformat(),
        "revision": revision,
        "key_version": key_version,
        "nonce_prefix": base64.b64encode(prefix).decode(),
        "erasure_log": erasure_log.as_dict(),
    }
    line = json.dumps(header).encode() + b"\n"
    partial = path.with_name(path.name + ".partial")
    rows = 0
    with open(partial, "wb") as out:
        out.write(MAGIC + line)
        sealed = _SealedWriter(out, backup_key(master_key), prefix, _bound(line))
        with gzip.GzipFile(fileobj=sealed, mode="wb") as zipped, _snapshot(engine) as connection:
            for original in metadata.sorted_tables:  # parents first: restore inserts in order
                table = raw.tables[original.name]
                zipped.write(json.dumps({"table": table.name}).encode() + b"\n")
                result = connection.execution_options(yield_per=2000).execute(select(table))
                for row in result:
                    zipped.write(json.dumps([_encode(v) for v in row]).encode() + b"\n")
                    rows += 1
        sealed.close()
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return BackupInfo(now, revision, key_version, rows, erasure_log)


def _bound(line: bytes) -> bytes:
    """What of the header line each chunk is bound to."""
    return hashlib.sha256(line).digest()


def read_header(path: Path) -> tuple[BackupInfo, bytes, bytes | None]:
    """The header of a backup file, its nonce prefix, and what its chunks are bound to
    (None for a legacy backup). Not yet verified: the first chunk proves it."""
    with open(path, "rb") as handle:
        magic = handle.read(len(MAGIC))
        if magic not in (MAGIC, LEGACY_MAGIC):
            raise BackupError(f"{path} is not an Interpreta backup")
        line = handle.readline(64 * 1024)
    try:
        header = json.loads(line)
        log = header.get("erasure_log")
        info = BackupInfo(
            datetime.fromisoformat(header["created_at"]),
            header["revision"],
            header["key_version"],
            erasure_log=LogState(str(log["id"]), int(log["entries"]), str(log["digest"]))
            if log
            else None,
            authenticated=magic == MAGIC,
        )
        prefix = base64.b64decode(header["nonce_prefix"], validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"the header of {path} is damaged ({exc})") from exc
    return info, prefix, _bound(line) if magic == MAGIC else None


@runs_in(BACKUPS)
def restore(engine: Engine, metadata: MetaData, path: Path, *, master_key: bytes) -> BackupInfo:
    """Replace every row of the database behind `engine` with the backup's, in one
    transaction (the database is unchanged if anything fails)."""
    info, prefix, bound = read_header(path)
    present = current_revision(engine)
    if present is None:
        upgrade(engine, info.revision or "head")
    elif present != info.revision:
        raise BackupError(
            f"the backup is at schema revision {info.revision}, this database at {present}: "
            "restore into an empty database (it is migrated after the restore)"
        )
    raw = storage_metadata(metadata)
    rows = 0
    with open(path, "rb") as handle:
        handle.read(len(MAGIC))
        handle.readline(64 * 1024)
        chunks = _open_chunks(handle, backup_key(master_key), prefix, bound)
        lines = gzip.GzipFile(fileobj=io.BufferedReader(_ChunkReader(chunks)), mode="rb")
        with engine.begin() as connection:
            for original in reversed(metadata.sorted_tables):  # children first
                connection.execute(delete(raw.tables[original.name]))
            table: Table | None = None
            batch: list[dict[str, Any]] = []
            for line in lines:
                record = json.loads(line)
                if isinstance(record, dict):
                    if table is not None and batch:
                        connection.execute(insert(table), batch)
                    table, batch = raw.tables[record["table"]], []
                    continue
                assert table is not None
                batch.append(
                    {c.name: _decode(v, c) for c, v in zip(table.columns, record, strict=True)}
                )
                rows += 1
                if len(batch) >= INSERT_BATCH:
                    connection.execute(insert(table), batch)
                    batch = []
            if table is not None and batch:
                connection.execute(insert(table), batch)
            if engine.dialect.name == "postgresql":
                _reset_sequences(connection, raw)
    upgrade(engine)
    return BackupInfo(
        info.created_at,
        info.revision,
        info.key_version,
        rows,
        info.erasure_log,
        info.authenticated,
    )


def _reset_sequences(connection: Any, raw: MetaData) -> None:
    for table in raw.sorted_tables:
        keys = [c for c in table.primary_key.columns if c.autoincrement is not False]
        if len(keys) == 1 and str(keys[0].type).upper().startswith(("INTEGER", "BIGINT")):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{keys[0].name}'), "
                    f"COALESCE((SELECT MAX({keys[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
