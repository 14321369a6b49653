"""Envelope encryption keys: master keys from a pluggable provider, and the keyring.

Two levels (P22):

- **Master keys** come from a :class:`KeyProvider`, each under a *version* name.
  :class:`FileKeyProvider` (the default) uses the 32-byte ``secrets/master.key``
  as version ``file:0`` and further keys ``secrets/master-keys/<n>.key`` as
  ``file:<n>``; the highest is current. :class:`EnvKeyProvider` takes them from
  ``INTERPRETA_MASTER_KEYS`` (to show the plug point; a KMS would be a third).
- **Data keys** (random AES-256 keys, one current per *scope*: ``org:<id>`` today)
  live in the ``data_keys`` table, each wrapped with AES-256-GCM by one master key
  version. The associated data binds a wrapped key to its key ID, scope and master
  version. A scope's data key is itself rotated by
  :mod:`interpreta.privacy.data_key_rotation`.

:func:`rotate` re-wraps every data key under a new master key while the service
runs: each row records its own master version, the provider keeps the old
versions readable, and the field ciphertexts, which name only the data key, do
not change.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast, runtime_checkable

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from interpreta.clock import Clock
from interpreta.privacy.crypto import (
    KEY_SIZE,
    DecryptionError,
    aead_open,
    aead_seal,
    b64decode,
    b64encode,
    new_key,
)
from interpreta.privacy.models import DataKey
from interpreta.privacy.pseudonyms import Pseudonyms

MASTER_KEYS_ENV = "INTERPRETA_MASTER_KEYS"
PSEUDONYM_SCOPE = "pseudonyms"
_KEYS = cast(Table, DataKey.__table__)


class KeyringError(Exception):
    """Base class of the key errors."""


class MasterKeyUnavailable(KeyringError):
    """The provider does not have the master key version a data key needs."""


class KeyDestroyed(KeyringError):
    """The data key was destroyed (crypto-erasure); what it protected is gone."""


class UnknownKey(KeyringError):
    """No data key has the key ID a ciphertext names."""


@runtime_checkable
class KeyProvider(Protocol):
    """Where master keys come from, by version name."""

    kind: str

    def current_version(self) -> str:
        """The version new data keys are wrapped with."""
        ...

    def versions(self) -> list[str]:
        """Every version this provider can read, oldest first."""
        ...

    def key(self, version: str) -> bytes:
        """The 32-byte master key of `version`; :class:`MasterKeyUnavailable` if unknown."""
        ...


@runtime_checkable
class RotatingKeyProvider(KeyProvider, Protocol):
    """A provider that can make a new master key itself."""

    def new_version(self) -> str:
        """Create a new master key, make it current, and return its version."""
        ...


def _check(key: bytes, where: str) -> bytes:
    if len(key) != KEY_SIZE:
        raise MasterKeyUnavailable(f"{where}: a master key has {KEY_SIZE} bytes, not {len(key)}")
    return key


class FileKeyProvider:
    """Master keys in files: the root ``master.key`` (version ``file:0``) and
    ``master-keys/<n>.key`` (version ``file:<n>``), created mode 0600.

    The folder is re-read when an unknown version is asked for and whenever the
    current version is asked for, so a running service picks up a key created by
    ``interpreta keys rotate`` in another process.
    """

    kind = "file"

    def __init__(self, root_key: bytes, folder: Path) -> None:
        self._keys: dict[int, bytes] = {0: _check(root_key, "master.key")}
        self.folder = folder

    def __repr__(self) -> str:
        return f"FileKeyProvider({self.folder})"

    def _numbers(self) -> list[int]:
        if not self.folder.is_dir():
            return [0]
        found = {
            int(match.group(1))
            for path in self.folder.iterdir()
            if (match := re.fullmatch(r"([1-9][0-9]*)\.key", path.name))
        }
        return [0, *sorted(found)]

    def _load(self, number: int) -> bytes:
        if number not in self._keys:
            path = self.folder / f"{number}.key"
            if not path.is_file():
                raise MasterKeyUnavailable(f"no master key file:{number} ({path})")
            self._keys[number] = _check(path.read_bytes(), str(path))
        return self._keys[number]

    def current_version(self) -> str:
        """The highest-numbered master key's version."""
        return f"file:{self._numbers()[-1]}"

    def versions(self) -> list[str]:
        """``file:0`` and every ``file:<n>`` in the folder."""
        return [f"file:{n}" for n in self._numbers()]

    def key(self, version: str) -> bytes:
        """The master key of `version`."""
        match = re.fullmatch(r"file:(0|[1-9][0-9]*)", version)
        if match is None:
            raise MasterKeyUnavailable(f"the file key provider has no version {version!r}")
        return self._load(int(match.group(1)))

    def new_version(self) -> str:
        """Write a new random master key file, numbered after the highest."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        number = self._numbers()[-1] + 1
        key = new_key()
        fd = os.open(self.folder / f"{number}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        self._keys[number] = key
        return f"file:{number}"


class EnvKeyProvider:
    """Master keys from configuration: ``"<name>:<base64 key>,<name>:<base64 key>"``.

    The first entry is current; the others stay readable. To rotate, put the new
    key first, keep the old one after it, restart, run ``interpreta keys rotate
    --no-new-key``, then drop the old key.
    """

    kind = "env"

    def __init__(self, spec: str) -> None:
        self._keys: dict[str, bytes] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            name, sep, encoded = item.partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
                raise MasterKeyUnavailable("master keys are given as <name>:<base64 key>")
            try:
                key = b64decode(encoded)
            except DecryptionError as exc:
                raise MasterKeyUnavailable(f"master key {name!r} is not base64") from exc
            self._keys[f"env:{name}"] = _check(key, f"master key {name!r}")
        if not self._keys:
            raise MasterKeyUnavailable("no master key configured")

    def __repr__(self) -> str:
        return f"EnvKeyProvider({list(self._keys)})"

    def current_version(self) -> str:
        """The first configured key's version."""
        return next(iter(self._keys))

    def versions(self) -> list[str]:
        """Every configured version."""
        return list(self._keys)

    def key(self, version: str) -> bytes:
        """The master key of `version`."""
        try:
            return self._keys[version]
        except KeyError:
            raise MasterKeyUnavailable(f"master key {version!r} is not configured") from None


def provider_from_environment(
    root_key: bytes, secrets_dir: Path, environ: Mapping[str, str] | None = None
) -> KeyProvider:
    """:class:`EnvKeyProvider` when ``INTERPRETA_MASTER_KEYS`` is set, else the files."""
    spec = (os.environ if environ is None else environ).get(MASTER_KEYS_ENV, "")
    if spec.strip():
        return EnvKeyProvider(spec)
    return FileKeyProvider(root_key, secrets_dir / "master-keys")


def _wrap_aad(key_id: str, scope: str, master_version: str) -> bytes:
    return f"data_keys|{key_id}|{scope}|{master_version}".encode()


def _insert_ignoring_conflicts(connection: Connection, values: dict[str, object]) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(_KEYS).values(**values).on_conflict_do_nothing())


@dataclass(frozen=True)
class DataKeyMaterial:
    """An unwrapped data key and its public name."""

    key_id: str
    key: bytes

    def __repr__(self) -> str:
        return f"DataKeyMaterial({self.key_id}, <hidden>)"


class Keyring:
    """Creates, unwraps and caches data keys; one per platform.

    Methods take the caller's :class:`Connection`, so a key created inside a
    transaction is visible to it and disappears with it on rollback. Unwrapped keys
    are cached by key ID (a random name, never reused); the scope-to-key mapping is
    read from the database each time, so a rolled-back key is never used.
    """

    def __init__(self, provider: KeyProvider, clock: Clock) -> None:
        self.provider = provider
        self.clock = clock
        self._cache: dict[str, bytes] = {}
        self._pseudonyms: Pseudonyms | None = None

    def __repr__(self) -> str:
        return f"Keyring({self.provider!r})"

    def _unwrap(self, key_id: str, scope: str, wrapped: str | None, version: str) -> bytes:
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        if wrapped is None:
            raise KeyDestroyed(f"data key {key_id} ({scope}) was destroyed")
        master = self.provider.key(version)
        key = aead_open(master, b64decode(wrapped), _wrap_aad(key_id, scope, version))
        self._cache[key_id] = key
        return key

    def for_scope(self, connection: Connection, scope: str) -> DataKeyMaterial:
        """The current data key of `scope`, created (wrapped by the current master key)
        if missing. On PostgreSQL the key's row is share-locked until the caller's
        transaction ends, so a data-key rotation retiring it waits for every writer
        still sealing under it (:mod:`interpreta.privacy.data_key_rotation`)."""
        query = (
            select(_KEYS.c.key_id, _KEYS.c.wrapped, _KEYS.c.master_version)
            .where(_KEYS.c.scope == scope, _KEYS.c.retired_at.is_(None))
            .with_for_update(read=True)
        )
        row = connection.execute(query).first()
        if row is None:
            key_id, key, version = secrets.token_hex(16), new_key(), self.provider.current_version()
            wrapped = aead_seal(self.provider.key(version), key, _wrap_aad(key_id, scope, version))
            _insert_ignoring_conflicts(
                connection,
                {
                    "key_id": key_id,
                    "scope": scope,
                    "wrapped": b64encode(wrapped),
                    "master_version": version,
                    "created_at": self.clock.now(),
                },
            )
            row = connection.execute(query).one()
        if row.wrapped is None:
            raise KeyDestroyed(f"the data key of {scope} was destroyed")
        return DataKeyMaterial(
            row.key_id, self._unwrap(row.key_id, scope, row.wrapped, row.master_version)
        )

    def by_id(self, connection: Connection, key_id: str) -> bytes:
        """The data key a ciphertext names."""
        cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        row = connection.execute(
            select(_KEYS.c.scope, _KEYS.c.wrapped, _KEYS.c.master_version).where(
                _KEYS.c.key_id == key_id
            )
        ).first()
        if row is None:
            raise UnknownKey(f"no data key {key_id}")
        return self._unwrap(key_id, row.scope, row.wrapped, row.master_version)

    def destroy(self, connection: Connection, scope: str) -> bool:
        """Crypto-erase `scope`: forget its wrapped key, so its ciphertexts are unreadable.

        Other processes may hold the unwrapped key in memory until they restart.
        """
        result = connection.execute(
            update(_KEYS)
            .where(_KEYS.c.scope == scope, _KEYS.c.wrapped.is_not(None))
            .values(wrapped=None, destroyed_at=self.clock.now())
            .returning(_KEYS.c.key_id)
        )
        destroyed = [key_id for (key_id,) in result]
        for key_id in destroyed:
            self._cache.pop(key_id, None)
        return bool(destroyed)

    def forget(self, key_id: str) -> None:
        """Drop an unwrapped key from this process's cache (it was destroyed)."""
        self._cache.pop(key_id, None)

    def pseudonyms(self, connection: Connection) -> Pseudonyms:
        """The pseudonym calculator, keyed by the keyring's ``pseudonyms`` data key."""
        if self._pseudonyms is None:
            self._pseudonyms = Pseudonyms(self.for_scope(connection, PSEUDONYM_SCOPE).key)
        return self._pseudonyms

    def rewrap(self, connection: Connection, key_id: str, target: str) -> bool:
        """Re-wrap one data key under master version `target` (row locked meanwhile)."""
        row = connection.execute(
            select(_KEYS.c.scope, _KEYS.c.wrapped, _KEYS.c.master_version)
            .where(_KEYS.c.key_id == key_id)
            .with_for_update()
        ).first()
        if row is None or row.wrapped is None or row.master_version == target:
            return False
        old_aad = _wrap_aad(key_id, row.scope, row.master_version)
        key = aead_open(self.provider.key(row.master_version), b64decode(row.wrapped), old_aad)
        wrapped = aead_seal(self.provider.key(target), key, _wrap_aad(key_id, row.scope, target))
        connection.execute(
            update(_KEYS)
            .where(_KEYS.c.key_id == key_id)
            .values(
                wrapped=b64encode(wrapped), master_version=target, rewrapped_at=self.clock.now()
            )
        )
        return True


@dataclass(frozen=True)
class RotationReport:
    """What :func:`rotate` did."""

    master_version: str
    rewrapped: int


def _pending(connection: Connection, target: str, limit: int) -> list[str]:
    query = (
        select(_KEYS.c.key_id)
        .where(_KEYS.c.master_version != target, _KEYS.c.wrapped.is_not(None))
        .order_by(_KEYS.c.id)
        .limit(limit)
    )
    return list(connection.execute(query).scalars())


def count_to_rewrap(connection: Connection, target: str) -> int:
    """How many live data keys are not wrapped by master version `target`."""
    return connection.execute(
        select(func.count())
        .select_from(_KEYS)
        .where(_KEYS.c.master_version != target, _KEYS.c.wrapped.is_not(None))
    ).scalar_one()


def rotate(
    sessions: sessionmaker[Session],
    keyring: Keyring,
    *,
    new_key: bool = True,
    batch: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> RotationReport:
    """Re-wrap every data key under a new master key, in small committed batches.

    With ``new_key`` the provider makes the new key (it must be a
    :class:`RotatingKeyProvider`); otherwise the provider's current version is the
    target (an operator who configured a new key first). The service keeps running:
    old versions stay readable until no data key needs them, and keys created
    meanwhile under the old version are caught by the next batch. `progress` is
    called with (done, total) after each batch.
    """
    provider = keyring.provider
    if new_key:
        if not isinstance(provider, RotatingKeyProvider):
            raise MasterKeyUnavailable(
                f"the {provider.kind} key provider cannot create keys; configure a new "
                "current key and rotate with --no-new-key"
            )
        target = provider.new_version()
    else:
        target = provider.current_version()
    provider.key(target)
    done = 0
    with sessions() as db:
        total = count_to_rewrap(db.connection(), target)
    if progress:
        progress(done, total)
    while True:
        with sessions.begin() as db:
            connection = db.connection()
            key_ids = _pending(connection, target, batch)
            for key_id in key_ids:
                done += keyring.rewrap(connection, key_id, target)
        total = max(total, done)
        if progress:
            progress(done, total)
        if not key_ids:
            return RotationReport(target, done)


@dataclass(frozen=True)
class KeyStatus:
    """The state of the keys, for ``interpreta keys status``."""

    provider: str
    current_version: str
    versions: list[str]
    by_master_version: dict[str, int]
    by_scope_kind: dict[str, int]
    destroyed: int
    retired: int = 0
    """Data keys replaced by a newer one of their scope, still protecting old ciphertexts
    until a data-key rotation has re-encrypted them."""

    @property
    def outdated(self) -> int:
        """Live data keys not yet wrapped by the current master key."""
        return sum(n for v, n in self.by_master_version.items() if v != self.current_version)


def status_scopes(connection: Connection) -> list[str]:
    """The scopes that have a live (current, not destroyed) data key."""
    query = select(_KEYS.c.scope).where(_KEYS.c.retired_at.is_(None), _KEYS.c.wrapped.is_not(None))
    return list(connection.execute(query).scalars())


def status(connection: Connection, provider: KeyProvider) -> KeyStatus:
    """Count the data keys by master version and scope kind."""
    by_version: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    destroyed = retired = 0
    rows = connection.execute(
        select(_KEYS.c.scope, _KEYS.c.wrapped, _KEYS.c.master_version, _KEYS.c.retired_at)
    )
    for scope, wrapped, version, retired_at in rows:
        if wrapped is None:
            destroyed += 1
            continue
        retired += retired_at is not None
        by_version[version] = by_version.get(version, 0) + 1
        kind = scope.split(":", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return KeyStatus(
        provider.kind,
        provider.current_version(),
        provider.versions(),
        by_version,
        by_kind,
        destroyed,
        retired,
    )


def default_keyring(
    data_dir: Path, master_key: bytes, clock: Clock, environ: Mapping[str, str] | None = None
) -> Keyring:
    """The keyring of a deployment: master keys from ``INTERPRETA_MASTER_KEYS`` when set,
    else from files beside ``data_dir/secrets/master.key`` (which is version ``file:0``).
    """
    return Keyring(provider_from_environment(master_key, data_dir / "secrets", environ), clock)
