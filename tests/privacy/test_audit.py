"""The tamper-evident audit trail and pseudonyms, on the real database."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from interpreta.accounts.models import User
from interpreta.cli import app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from interpreta.privacy import audit
from interpreta.privacy.keys import default_keyring
from interpreta.privacy.pseudonyms import Pseudonyms, is_pseudonym, system

KEY = bytes(range(32))


@pytest.fixture
def pseudonyms(platform: Platform) -> Pseudonyms:
    """The platform's pseudonym calculator."""
    keyring = default_keyring(
        platform.settings.data_dir, platform.secrets.master_key, platform.clock, environ={}
    )
    with platform.transaction() as db:
        return keyring.pseudonyms(db.connection())


def _append(platform: Platform, pseudonyms: Pseudonyms, n: int, clock: FrozenClock) -> None:
    for i in range(n):
        with platform.transaction() as db:
            audit.record(
                db,
                actor=pseudonyms.user(9999),
                action="participant.export",
                subject=pseudonyms.participant(100 + i),
                target=f"participant:{100 + i}",
                detail={"format": "json", "fields": ["phone", "email"], "n": i},
                now=clock.now() + timedelta(seconds=i),
            )


def _sql(platform: Platform, statement: str, **params: object) -> None:
    with platform.engine.begin() as connection:
        connection.execute(text(statement), params)


def _verify(platform: Platform) -> audit.VerifyReport:
    with platform.sessions() as db:
        return audit.verify(db)


def test_audit_chain_an_intact_chain_verifies(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    assert _verify(platform) == audit.VerifyReport(True, 0, audit.GENESIS)
    _append(platform, pseudonyms, 5, clock)
    report = _verify(platform)
    assert report.ok and report.count == 5 and report.broken_seq is None
    with platform.sessions() as db:
        newest = audit.entries(db, limit=2)
    assert [e.seq for e in newest] == [5, 4] and newest[0].hash == report.last_hash
    assert newest[1].hash == newest[0].prev_hash


def test_audit_chain_verify_detects_a_changed_entry(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 5, clock)
    _sql(platform, "UPDATE audit_entries SET action = 'nothing.to.see' WHERE seq = 3")
    report = _verify(platform)
    assert not report.ok and report.broken_seq == 3 and "changed" in (report.problem or "")
    assert report.count == 2


def test_audit_chain_verify_detects_a_rehashed_entry(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 4, clock)
    with platform.sessions() as db:
        (entry,) = [e for e in audit.entries(db, limit=10) if e.seq == 2]
    forged = audit.entry_hash(
        seq=2,
        at=entry.at,
        actor=entry.actor,
        action="nothing.to.see",
        subject=entry.subject,
        target=entry.target,
        detail={},
        prev_hash=entry.prev_hash,
    )
    _sql(
        platform,
        "UPDATE audit_entries SET action = 'nothing.to.see', detail = '{}', hash = :h "
        "WHERE seq = 2",
        h=forged,
    )
    report = _verify(platform)
    assert not report.ok and report.broken_seq == 3 and "prev_hash" in (report.problem or "")


def test_audit_chain_verify_detects_a_deleted_entry(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 5, clock)
    _sql(platform, "DELETE FROM audit_entries WHERE seq = 2")
    report = _verify(platform)
    assert not report.ok and report.broken_seq == 2 and "missing" in (report.problem or "")


def test_audit_chain_verify_detects_entries_cut_from_the_end(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 5, clock)
    _sql(platform, "DELETE FROM audit_entries WHERE seq >= 4")
    report = _verify(platform)
    assert not report.ok and report.broken_seq == 4 and "end" in (report.problem or "")


def test_audit_chain_verify_detects_reordering(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 4, clock)
    _sql(platform, "UPDATE audit_entries SET seq = 100 WHERE seq = 2")
    _sql(platform, "UPDATE audit_entries SET seq = 2 WHERE seq = 3")
    _sql(platform, "UPDATE audit_entries SET seq = 3 WHERE seq = 100")
    report = _verify(platform)
    assert not report.ok and report.broken_seq == 2


def test_audit_chain_concurrent_appends_keep_one_linear_chain(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def writer() -> None:
        try:
            start.wait()
            _append(platform, pseudonyms, 10, clock)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    report = _verify(platform)
    assert report.ok and report.count == 40
    with platform.engine.connect() as connection:
        links = connection.execute(text("SELECT count(DISTINCT prev_hash) FROM audit_entries"))
        assert links.scalar_one() == 40


def test_audit_chain_an_audit_entry_rolls_back_with_its_action(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    with pytest.raises(RuntimeError), platform.transaction() as db:
        audit.record(
            db,
            actor=pseudonyms.user(1),
            action="event.delete",
            subject=None,
            target="event:1",
            detail={},
            now=clock.now(),
        )
        raise RuntimeError("the action failed")
    _append(platform, pseudonyms, 1, clock)
    assert _verify(platform).count == 1


def test_audit_pseudonyms_are_stable_and_hold_no_plaintext(
    platform: Platform, pseudonyms: Pseudonyms
) -> None:
    email = "ada.lovelace@example.org"
    one = pseudonyms.email(email)
    assert one == pseudonyms.email("  Ada.Lovelace@Example.org ") and is_pseudonym(one)
    # a fixed-size keyed hash: nothing of the address or the ID can survive in it
    assert re.fullmatch(r"ps1_[0-9a-f]{32}", one) and email not in one
    assert re.fullmatch(r"ps1_[0-9a-f]{32}", pseudonyms.user(42))
    assert len({pseudonyms.user(42), pseudonyms.participant(42), pseudonyms.user(43)}) == 3
    assert Pseudonyms(KEY).user(42) != pseudonyms.user(42)  # keyed: not guessable without it
    again = default_keyring(
        platform.settings.data_dir, platform.secrets.master_key, platform.clock, environ={}
    )
    with platform.sessions() as db:
        assert again.pseudonyms(db.connection()).email(email) == one


def test_audit_plain_identifiers_are_refused(platform: Platform, pseudonyms: Pseudonyms) -> None:
    now = platform.clock.now()
    cases = [
        {"actor": "user:42", "subject": None, "detail": {}},
        {"actor": system("retention"), "subject": "ada@example.org", "detail": {}},
        {"actor": pseudonyms.user(1), "subject": None, "detail": {"to": "ada@example.org"}},
    ]
    with platform.transaction() as db:
        for case in cases:
            with pytest.raises(audit.AuditRefused):
                audit.record(db, action="x.y", target="t:1", now=now, **case)  # type: ignore[arg-type]


def test_audit_prune_keeps_the_rest_verifiable(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock
) -> None:
    _append(platform, pseudonyms, 6, clock)
    with platform.transaction() as db:
        removed = audit.prune(db, before=clock.now() + timedelta(seconds=3))
    assert removed == 3
    report = _verify(platform)
    assert report.ok and report.count == 3
    _sql(platform, "DELETE FROM audit_entries WHERE seq = 4")
    assert _verify(platform).broken_seq == 4


def test_cli_audit_verify_and_list(
    platform: Platform, pseudonyms: Pseudonyms, clock: FrozenClock, settings: Settings
) -> None:
    with platform.transaction() as db:
        user = User(
            email="dpo-lookup@example.org",
            name="Grace",
            password_hash="x",
            created_at=clock.now(),
        )
        db.add(user)
        db.flush()
        audit.record(
            db,
            actor=system("support"),
            action="user.unlock",
            subject=pseudonyms.user(user.id),
            target=f"user:{user.id}",
            detail={},
            now=clock.now(),
        )
    _append(platform, pseudonyms, 3, clock)
    runner = CliRunner()
    env = {"INTERPRETA_DATABASE_URL": settings.resolved_database_url, "COLUMNS": "250"}
    data = ["--data-dir", str(settings.data_dir)]
    intact = runner.invoke(app, ["audit", "verify", *data], env=env)
    assert intact.exit_code == 0 and "intact: 4 entries" in intact.output, intact.output
    found = runner.invoke(
        app, ["audit", "list", "--email", "DPO-lookup@example.org", *data], env=env
    )
    assert found.exit_code == 0 and "user.unlock" in found.output, found.output
    assert "participant.export" not in found.output and "1 entries" in found.output
    by_subject = runner.invoke(
        app, ["audit", "list", "--subject", pseudonyms.participant(101), *data], env=env
    )
    assert by_subject.exit_code == 0 and "1 entries" in by_subject.output
    _sql(platform, "UPDATE audit_entries SET target = 'participant:999' WHERE seq = 3")
    broken = runner.invoke(app, ["audit", "verify", *data], env=env)
    assert broken.exit_code == 1 and "entry 3" in broken.output, broken.output
