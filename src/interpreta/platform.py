"""The running platform: settings, database, clock and secrets, wired once.

Everything that needs one of these receives the :class:`Platform` (or the part it
needs) explicitly; there is no module-level state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from interpreta.accounts.passwords import Passwords
from interpreta.clock import Clock, SystemClock
from interpreta.config import Settings
from interpreta.db.engine import make_engine, make_sessionmaker
from interpreta.db.migrate import upgrade
from interpreta.db.models import all_metadata
from interpreta.events.join_cache import PublicInfoCache
from interpreta.privacy import notice
from interpreta.privacy.encrypted import encrypt_existing, install_field_encryption
from interpreta.privacy.keys import Keyring, default_keyring
from interpreta.privacy.processors import check_transfers
from interpreta.secrets_store import Secrets, load_secrets


@dataclass
class Platform:
    """One deployment's shared, long-lived objects."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    secrets: Secrets = field(repr=False)
    passwords: Passwords
    join_cache: PublicInfoCache = field(repr=False)
    keyring: Keyring = field(repr=False)

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> Platform:
        """Check the configuration, prepare the data directory, migrate the database and
        publish the privacy notice if its content changed.

        Raises :class:`~interpreta.privacy.processors.TransferRefused` when the
        processor register names a transfer the law does not allow (P18).
        """
        check_transfers(settings.processors)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        clock = clock or SystemClock()
        secrets = load_secrets(settings.data_dir)
        keyring = default_keyring(settings.data_dir, secrets.master_key, clock)
        install_field_encryption(sessions, keyring)
        encrypt_existing(sessions, keyring)
        platform = cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            clock=clock,
            secrets=secrets,
            passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib),
            join_cache=PublicInfoCache(sessions),
            keyring=keyring,
        )
        with platform.transaction() as db:
            notice.publish(db, all_metadata(), settings, platform.clock.now())
        return platform

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
