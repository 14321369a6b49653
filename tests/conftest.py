"""Shared fixtures: a real database (SQLite, or PostgreSQL when configured) per test.

Set ``INTERPRETA_TEST_DATABASE_URL`` to a PostgreSQL URL to run the suite on
PostgreSQL; each test then gets empty tables in a database created for the run.
Otherwise each test gets its own SQLite file, copied from one migrated template.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path
from typing import Any, cast

import dkim
import pyotp
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import make_url

from interpreta.accounts.models import StaffRole, User
from interpreta.app import create_app
from interpreta.bus.redis_process import RedisProcess, redis_binary
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.datamap.processors import Processor
from interpreta.db.engine import make_engine
from interpreta.db.migrate import upgrade
from interpreta.mail import Mail, SmtpMailer, dkim_signer_for
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess, janus_binary
from interpreta.outbound import guard_for
from interpreta.platform import Platform
from interpreta.privacy import audit, audit_tree
from interpreta.privacy.models import AuditChainHead, AuditEntry, AuditTreeNode
from interpreta.privacy.pseudonyms import system
from interpreta.schema import all_metadata
from tests.calendar_integration.servers import Dav, registered
from tests.radicale import Radicale, started

POSTGRES_URL = os.environ.get("INTERPRETA_TEST_DATABASE_URL", "")
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


DATABASE_FIXTURES = frozenset({"database_url", "empty_engine"})
"""The fixtures through which a test reaches the database under test."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, leave out the tests that never reach a database: they ran
    on the SQLite pass already, and would only run again."""
    if not POSTGRES_URL:
        return
    kept, left = [], []
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        (kept if uses & DATABASE_FIXTURES else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy, or a PostgreSQL database to truncate."""
    if POSTGRES_URL:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"interpreta_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)


def _empty(url: str) -> None:
    """Empty every table and restart every sequence: DELETE, children first, costs a
    third of a TRUNCATE of these small tables (which PostgreSQL rewrites file by file)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(all_metadata().sorted_tables):
            connection.execute(table.delete())
        sequences = connection.scalars(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        )
        for sequence in sequences.all():
            connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    """A Redis server for the whole session (Debian's redis-server; scripts/test installs
    it); each test keeps to keys of its own prefix."""
    if redis_binary() is None:
        pytest.skip("redis-server is not installed (Debian package 'redis-server')")
    with RedisProcess() as server:
        yield server


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> str:
    """A URL to a migrated, empty database for this test alone."""
    if POSTGRES_URL:
        _empty(_template)
        return _template
    path = tmp_path / "interpreta.db"
    shutil.copyfile(_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test: its own data directory and database, cheap password hashing."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        _env_file=None,  # type: ignore[call-arg]
    )


MEDIA_BACKENDS = ("embedded", "janus")
"""The media backends a test can run on (``INTERPRETA_MEDIA_BACKEND``)."""


@pytest.fixture(scope="session")
def _janus_process() -> Iterator[JanusProcess]:
    """The session's one Janus process (see ``janus_server``)."""
    if janus_binary() is None:
        pytest.skip("janus is not installed (Debian package 'janus'; scripts/test installs it)")
    with JanusProcess(ice_address=ensure_host_address()) as server:
        yield server


@pytest.fixture
def janus_server(_janus_process: JanusProcess) -> JanusProcess:
    """A Janus server shared by the whole session, on a generated configuration, gathering
    ICE candidates on the private address ``ensure_host_address`` gives this machine (Janus
    skips loopback).

    Janus is a third-party C server: should it have crashed since the last test that used
    it, it is started again on the same ports before this test, and the crash is reported
    as a warning with its exit code and log, so that one crash fails the test it happened
    in rather than every later one."""
    left = _janus_process.restart_if_exited()
    if left is not None:
        warnings.warn(left, stacklevel=1)
    return _janus_process


def on_janus(settings: Settings, janus: JanusProcess) -> Settings:
    """`settings`, choosing the Janus media backend at `janus` (with its Admin API)."""
    return settings.model_copy(
        update={
            "media_backend": "janus",
            "janus_url": janus.url,
            "janus_admin_url": janus.admin_url,
            "janus_admin_secret": janus.admin_secret,
        }
    )


async def janus_handles(janus: JanusProcess) -> int:
    """The most handles one session on `janus` holds: a plane's two own plus one per peer
    (read through the Admin API), to show that media went through Janus."""
    from interpreta.media.janus.admin import JanusAdmin

    admin = JanusAdmin(janus.admin_url, janus.admin_secret)
    try:
        return max([len(await admin.list_handles(s)) for s in await admin.list_sessions()] or [0])
    finally:
        await admin.close()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that stands still at a known moment until a test moves it."""
    return FrozenClock(START)


class RecordingMailer:
    """Keeps every mail the platform sends, for tests to read and follow links in (the
    SMTP client itself is tested against a real server, aiosmtpd, in test_mail.py)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        """Keep `mail`."""
        self.sent.append(mail)

    def forget(self, addresses: set[str]) -> int:
        """Drop the kept mails to `addresses`."""
        kept = [m for m in self.sent if m.to not in addresses]
        forgotten, self.sent = len(self.sent) - len(kept), kept
        return forgotten

    def token(self, to: str, page: str) -> str:
        """The token of the latest link to `page` mailed to `to`."""
        for mail in reversed(self.sent):
            found = re.search(re.escape(page) + r"\?token=([\w-]+(?:\.[\w-]+)?)", mail.body)
            if mail.to == to and found:
                return found.group(1)
        raise AssertionError(f"no mail to {to} links to {page}")


@pytest.fixture
def platform(settings: Settings, clock: FrozenClock) -> Iterator[Platform]:
    """A started platform on the test's database; its mail is kept in memory."""
    started = Platform.start(settings, clock=clock)
    started.mailer = RecordingMailer()
    yield started
    started.close()


ENTRIES = cast(Table, AuditEntry.__table__)
"""The audit trail's entries."""
HEAD = cast(Table, AuditChainHead.__table__)
"""The audit chain's head row."""
NODES = cast(Table, AuditTreeNode.__table__)
"""The audit history tree's stored nodes."""


class AuditTrail:
    """The audit trail of a test's platform, as tests fill it and tamper with it."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def append_system(self, n: int, *, per_commit: int = 1) -> None:
        """Append `n` entries by the system, `per_commit` to a transaction."""
        now = self.platform.clock.now()
        for start in range(0, n, per_commit):
            batch = [
                audit.Record(system("tests"), "test.append", None, f"item:{i}", {"n": i})
                for i in range(start, min(n, start + per_commit))
            ]
            with self.platform.transaction() as db:
                audit.record_many(db, batch, now=now + timedelta(seconds=start))

    def rewrite_history(self, seq: int) -> None:
        """Rewrite entry `seq`'s action and recompute every hash after it, the chain head's
        and the whole history tree's, as anyone with write access to the database could:
        ``audit verify`` passes afterwards; only a head published before catches it."""
        with self.platform.engine.begin() as connection:
            head = connection.execute(select(HEAD)).one()
            rows = connection.execute(select(ENTRIES).order_by(ENTRIES.c.seq)).all()
            leaves = [
                bytes(v)
                for v in connection.execute(
                    select(NODES.c.hash)
                    .where(
                        NODES.c.level == 0, NODES.c.position < head.base_seq - head.tree_base_seq
                    )
                    .order_by(NODES.c.position)
                ).scalars()
            ]
            prev = head.base_hash
            for row in rows:
                action = "nothing.to.see" if row.seq == seq else row.action
                fields = {**row._asdict(), "action": action, "prev_hash": prev}
                fields["detail"] = json.loads(row.detail)
                del fields["hash"]
                prev = audit.entry_hash(audit.entry_document(**fields))
                connection.execute(
                    update(ENTRIES)
                    .where(ENTRIES.c.seq == row.seq)
                    .values(action=action, prev_hash=fields["prev_hash"], hash=prev)
                )
                leaves.append(audit_tree.leaf_hash(bytes.fromhex(prev)))
            connection.execute(update(HEAD).values(last_hash=prev))
            nodes: dict[tuple[int, int], bytes] = {}
            for index, leaf in enumerate(leaves):
                nodes.update(audit_tree.appended(index, leaf, nodes))
            connection.execute(delete(NODES))
            connection.execute(
                insert(NODES),
                [{"level": lv, "position": p, "hash": h} for (lv, p), h in nodes.items()],
            )


@pytest.fixture
def audit_trail(platform: Platform) -> AuditTrail:
    """The platform's audit trail: append entries, rewrite its history."""
    return AuditTrail(platform)


class SmtpRelay:
    """A real SMTP server (aiosmtpd) on loopback, as the platform's registered relay,
    keeping every message it receives as it arrived (DKIM signature included)."""

    HOST = "relay.test"
    """The relay's name; the guard of `mailer` resolves it to loopback."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        handler = self

        class Keep:
            async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
                handler.received.append(bytes(envelope.content))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        self.controller = Controller(Keep(), hostname="127.0.0.1", port=port)

    def mailer(self, settings: Settings) -> SmtpMailer:
        """An SMTP mailer delivering to this relay (an internal processor serving every
        activity), signing with the settings' DKIM key."""
        relay = Processor(
            name="Test relay",
            function="email delivery",
            categories=["identifiers", "communications"],
            country="DE",
            hosts=[self.HOST],
            internal=True,
        )
        guard = guard_for(Settings(processors=[relay], _env_file=None))  # type: ignore[call-arg]
        guard._resolver = lambda host, port: ["127.0.0.1"]
        signer = dkim_signer_for(settings)
        return SmtpMailer(
            self.HOST, self.controller.port, settings.smtp_from, guard, signer, starttls=False
        )

    def signed_by(self, settings: Settings, raw: bytes) -> bool:
        """Whether `raw` carries a valid DKIM signature of the settings' key (the public
        key served as the DNS record the signer names)."""
        name, record = dkim_signer_for(settings).dns_record()

        def dns(query: bytes, timeout: int = 5) -> bytes:
            return record.encode() if query.decode().rstrip(".") == name else b""

        return bool(dkim.verify(raw, dnsfunc=dns))

    def messages(self) -> list[EmailMessage]:
        """What arrived, parsed."""
        parser = BytesParser(policy=email_policy)
        return [cast(EmailMessage, parser.parsebytes(raw)) for raw in self.received]


@pytest.fixture
def smtp_relay(platform: Platform) -> Iterator[SmtpRelay]:
    """The platform's mail goes through a real SMTP server, DKIM-signed."""
    relay = SmtpRelay()
    relay.controller.start()
    platform.mailer = relay.mailer(platform.settings)
    yield relay
    relay.controller.stop()


@pytest.fixture
def outbox(platform: Platform) -> RecordingMailer:
    """The mails the platform sent."""
    assert isinstance(platform.mailer, RecordingMailer)
    return platform.mailer


@pytest.fixture
def app_client(platform: Platform) -> Iterator[TestClient]:
    """An HTTPS test client (Secure cookies travel only over HTTPS)."""
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        yield client


@dataclass
class Account:
    """A signed-up customer: a user, their organisation, and a signed-in client."""

    client: TestClient
    user_id: int
    email: str
    organisation_id: int
    outbox: RecordingMailer
    """The platform's mail (where this account's links arrive)."""

    def create_event(self, title: str, languages: Sequence[str] = (), **fields: Any) -> Any:
        """An event of this account's organisation on 24 November 2026, 08:00-18:00 UTC,
        with interpretation into `languages`; the API's answer (JSON)."""
        response = self.client.post(
            f"/api/organisations/{self.organisation_id}/events",
            json={
                "title": title,
                "starts_at": "2026-11-24T08:00:00+00:00",
                "ends_at": "2026-11-24T18:00:00+00:00",
                "languages": [{"code": code} for code in languages],
                **fields,
            },
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def sign_up(platform: Platform, outbox: RecordingMailer) -> Iterator[object]:
    """Make signed-up accounts, each with its own client: ``sign_up("ann")``; each
    follows the link mailed to prove its address unless ``verified=False``, and signs
    up in English unless ``language`` says otherwise."""
    clients: list[TestClient] = []
    app = create_app(platform)

    def make(
        name: str,
        organisation: str | None = None,
        *,
        verified: bool = True,
        language: str = "en",
    ) -> Account:
        client = TestClient(app, base_url="https://testserver")
        clients.append(client)
        email = f"{name}@example.org"
        response = client.post(
            "/api/auth/signup",
            headers={"Accept-Language": language},
            json={
                "email": email,
                "name": name.title(),
                "password": PASSWORD,
                "organisation_name": organisation or f"{name.title()} Events",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        if verified:
            token = outbox.token(email, "/account/verify")
            proved = client.post("/api/account/verify", json={"token": token})
            assert proved.status_code == 200, proved.text
        return Account(client, body["id"], email, body["organisations"][0]["id"], outbox)

    yield make
    for client in clients:
        client.close()


def join(owner: Account, member: Account, role: str = "interpreter") -> None:
    """`owner` invites `member` into the owner's organisation, and `member` accepts."""
    invited = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/invitations",
        json={"email": member.email, "role": role},
    )
    assert invited.status_code == 202, invited.text
    token = member.outbox.token(member.email, "/invitations")
    accepted = member.client.post("/api/invitations/accept", json={"token": token})
    assert accepted.status_code == 200, accepted.text


def make_staff(platform: Platform, account: Account, role: StaffRole = StaffRole.DPO) -> str:
    """Give `account` an operator staff role and turn on its two-factor sign-in (staff
    need it for the role to count), as the person would in the app; returns the secret."""
    with platform.transaction() as db:
        db.execute(update(User).where(User.id == account.user_id).values(staff_role=role))
    secret = str(account.client.post("/api/account/two-factor").json()["secret"])
    code = pyotp.TOTP(secret).at(platform.clock.now())
    confirmed = account.client.post("/api/account/two-factor/confirm", json={"code": code})
    assert confirmed.status_code == 204, confirmed.text
    return secret


def speaker_key_of(platform: Platform, event_id: int) -> str:
    """The secret of an event's speaker link, as stored."""
    from interpreta.live.access import speaker_key

    with platform.sessions() as db:
        return speaker_key(db, event_id)


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Things a test opened (live clients, peers): closed after it, last first."""
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        await thing.close()


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """A real CalDAV/CardDAV server (Radicale) for the module: a calendar and an address
    book of three contacts."""
    with started(tmp_path_factory.mktemp("radicale")) as server:
        yield server


@pytest.fixture
def dav(platform: Platform, radicale: Radicale) -> Dav:
    """The Radicale server, registered as the platform's (internal) calendar server."""
    return registered(platform, radicale)


STANDARD_PLAN = {
    "code": "standard",
    "name": "Standard",
    "monthly_fee": "490.00",
    "included_listener_hours": 500,
    "included_interpreter_hours": 20,
    "included_languages": 4,
    "included_storage_gb": 10,
    "listener_hour_price": "0.40",
    "interpreter_hour_price": "45.00",
    "storage_gb_price": "0.25",
    "first_response_hours": 8,
    "resolution_hours": 40,
}
"""The plan the billing tests sell, as ``POST /api/staff/plans`` takes it."""


def audit_actions(platform: Platform) -> list[str]:
    """The audit trail's actions, oldest first."""
    with platform.sessions() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
