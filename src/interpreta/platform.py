"""The running platform: settings, database, clock and secrets, wired once.

Everything that needs one of these receives the :class:`Platform` (or the part it
needs) explicitly; there is no module-level state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from interpreta.accounts.customers import (
    close_memberless,
    content_retention_choices,
    owner_addresses,
)
from interpreta.accounts.passwords import Passwords
from interpreta.availability.figures import FiguresCache
from interpreta.clock import Clock, SystemClock
from interpreta.config import Settings
from interpreta.datamap.processors import Processor, check_transfers
from interpreta.db.engine import make_engine, make_sessionmaker
from interpreta.db.migrate import upgrade
from interpreta.events.join_cache import PublicInfoCache
from interpreta.events.statistics import summarise_due_events
from interpreta.mail import Mailer, mailer_for
from interpreta.outbound import OutboundGuard, guard_for
from interpreta.privacy import notice
from interpreta.privacy.encrypted import encrypt_existing, install_field_encryption
from interpreta.privacy.keys import Keyring, default_keyring
from interpreta.privacy.processing import Enforcement, install
from interpreta.privacy.retention import RetentionEngine
from interpreta.privacy.rights import erasure_log
from interpreta.ratelimit import RateLimits
from interpreta.recordings.redaction import redact_voices
from interpreta.schema import all_metadata
from interpreta.secrets_store import Secrets, load_secrets
from interpreta.usage.metering import meter_due_events


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
    status_figures: FiguresCache = field(repr=False)
    keyring: Keyring = field(repr=False)
    metadata: MetaData = field(repr=False, default_factory=all_metadata)
    _outbound: tuple[Settings, list[Processor], OutboundGuard] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def start(cls, settings: Settings, clock: Clock | None = None) -> Platform:
        """Check the configuration, prepare the data directory, migrate the database and
        publish the privacy notice if its content changed.

        Raises :class:`~interpreta.datamap.processors.TransferRefused` when the
        processor register names a transfer the law does not allow (P18).
        """
        check_transfers(settings.processors)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        erasure_log.ensure(settings.data_dir)  # identified from the start (backups record it)
        engine = make_engine(settings.resolved_database_url)
        upgrade(engine)
        install(engine, all_metadata(), Enforcement(settings.activity_checks))
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
            status_figures=FiguresCache(sessions),
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

    @cached_property
    def ratelimits(self) -> RateLimits:
        """The rate limits, made when first needed (by the web app; a command line run
        needs no counters, nor their storage's timer thread)."""
        return RateLimits(self.settings, self.secrets.session_key, self.clock)

    @property
    def outbound_guard(self) -> OutboundGuard:
        """The outbound guard of this platform's processor register, built when first
        needed and kept; built again only if the settings, or their register, were
        replaced (tests do), so it never guards by another register than the settings'."""
        settings = self.settings
        built = self._outbound
        if built is None or built[0] is not settings or built[1] is not settings.processors:
            built = self._outbound = (settings, settings.processors, guard_for(settings))
        return built[2]

    @cached_property
    def mailer(self) -> Mailer:
        """How this platform sends mail (SMTP, or the outbox folder); tests replace it."""
        return mailer_for(self.settings)

    @property
    def erasure_aftermath(self) -> tuple[Any, ...]:
        """What follows an erasure in its transaction: a customer whose last member was
        erased is closed, and its retention starts."""
        return (close_memberless,)

    @property
    def erasure_preamble(self) -> tuple[Any, ...]:
        """What comes before an erasure deletes a person's rows, in its transaction: their
        voice is silenced in the recordings they are heard in."""
        return (redact_voices,)

    @property
    def request_handlers(self) -> Any:
        """Who answers a customer's share of privacy requests: its owners' addresses and
        languages."""
        return owner_addresses

    def retention_engine(self, **overrides: Any) -> RetentionEngine:
        """The retention engine of this platform: the operator's bounds for customers'
        content retention, their choices, and what is kept before participation data
        goes: anonymised statistics (P17) and each event's usage totals, for billing;
        `overrides` replace any of these."""
        settings = self.settings
        options: dict[str, Any] = {
            "lock_dir": settings.data_dir,
            "content_bounds": (
                settings.content_retention_min_days,
                settings.content_retention_max_days,
            ),
            "preparations": (summarise_due_events, meter_due_events),
            "customer_periods": content_retention_choices,
            "metadata": self.metadata,
        }
        return RetentionEngine(self.sessions, **{**options, **overrides})

    def replay_erasures(self, since: datetime | None) -> int:
        """Erase again everyone whose erasure was logged after `since` (after a restore;
        None: every logged erasure)."""
        replayed = erasure_log.replay(
            self.sessions,
            self.keyring,
            self.metadata,
            self.settings.data_dir,
            since,
            self.clock.now(),
        )
        with self.transaction() as db:
            for after in self.erasure_aftermath:
                after(db, self.clock.now())
        return replayed

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
