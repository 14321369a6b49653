"""The tamper-evident audit trail, its history tree and published heads, and
pseudonyms, on the real database."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select, text
from typer.testing import CliRunner

from interpreta.accounts.models import User
from interpreta.cli import app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.db.migrate import alembic_config, upgrade
from interpreta.platform import Platform
from interpreta.privacy import audit, audit_publish, audit_tree
from interpreta.privacy.keys import default_keyring
from interpreta.privacy.pseudonyms import Pseudonyms, is_pseudonym, system
from tests.conftest import ENTRIES, HEAD, NODES, AuditTrail

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


def _stored_nodes(platform: Platform) -> dict[tuple[int, int], bytes]:
    with platform.engine.connect() as connection:
        rows = connection.execute(select(NODES.c.level, NODES.c.position, NODES.c.hash))
        return {(level, position): bytes(value) for level, position, value in rows}


def _tree_of_entries(platform: Platform) -> dict[tuple[int, int], bytes]:
    """The tree the entries make, computed afresh from their hashes."""
    with platform.engine.connect() as connection:
        hashes = connection.execute(select(ENTRIES.c.hash).order_by(ENTRIES.c.seq)).scalars()
        leaves = [audit_tree.leaf_hash(bytes.fromhex(h)) for h in hashes]
    nodes: dict[tuple[int, int], bytes] = {}
    for index, leaf in enumerate(leaves):
        nodes.update(audit_tree.appended(index, leaf, nodes))
    return nodes


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
        audit.entry_document(
            seq=2,
            at=entry.at,
            actor=entry.actor,
            action="nothing.to.see",
            subject=entry.subject,
            target=entry.target,
            detail={},
            prev_hash=entry.prev_hash,
        )
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


# --- the history tree ----------------------------------------------------------------


def test_audit_tree_nodes_are_written_with_each_entry(
    platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(5)
    audit_trail.append_system(40, per_commit=13)  # batches of several, not aligned
    audit_trail.append_system(3)
    nodes = _stored_nodes(platform)
    assert nodes == _tree_of_entries(platform)
    assert len(nodes) == 2 * 48 - (48).bit_count()
    with platform.sessions() as db:
        head = audit.root(db)
        assert head.size == 48
        assert head.root_hash == audit_tree.root_hash(48, nodes).hex()
        assert audit.root(db, 0).root_hash == audit_tree.EMPTY_ROOT.hex()
    assert _verify(platform).ok


def test_audit_tree_concurrent_appends_build_one_tree(
    platform: Platform, audit_trail: AuditTrail
) -> None:
    writers = [
        threading.Thread(target=audit_trail.append_system, args=(12,), kwargs={"per_commit": k})
        for k in (1, 3, 5)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert _stored_nodes(platform) == _tree_of_entries(platform)
    assert _verify(platform).ok


def test_audit_tree_a_refused_record_appends_nothing(
    platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(2)
    records = [
        audit.Record(system("tests"), "test.ok", None, "item:1", {}),
        audit.Record(system("tests"), "test.bad", None, "item:2", {"to": "ada@example.org"}),
    ]
    with pytest.raises(audit.AuditRefused), platform.transaction() as db:
        audit.record_many(db, records, now=platform.clock.now())
    with platform.transaction() as db:
        assert audit.record_many(db, records[:1], now=platform.clock.now()) == range(3, 4)
        assert audit.record_many(db, [], now=platform.clock.now()) == range(0)
    assert _verify(platform).count == 3 and len(_stored_nodes(platform)) == 2 * 3 - 2


def test_audit_tree_awkward_entries_hash_as_verify_recomputes_them(
    platform: Platform, pseudonyms: Pseudonyms
) -> None:
    awkward = [
        audit.Record(system("tests"), "test.text", None, 'quote " and \\ slash', {}),
        audit.Record(
            pseudonyms.user(1),
            "test.unicode",
            pseudonyms.participant(2),
            "Zoë:ümlaut:日本:\u2028:\x01",
            {"b": [1, 2.5, None, True], "a": {"z": "\n\t", "é": "x"}},
        ),
        audit.Record(system("tests"), "test.normalised", None, "t:1", {1: (1, 2), 2: ()}),
        audit.Record(system("tests"), "test.at", None, "t:2", {"handle": "@team", "f": "a.b"}),
    ]
    with platform.transaction() as db:
        audit.record_many(db, awkward, now=platform.clock.now())
    assert _verify(platform).ok
    with platform.sessions() as db:
        normalised = audit.document(db, 3)
    assert normalised is not None and normalised["detail"] == {"1": [1, 2], "2": []}


def test_audit_tree_every_entry_has_a_proof_in_every_tree_it_is_in(
    platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(11, per_commit=4)
    with platform.sessions() as db:
        heads = {n: audit.root(db, n) for n in range(0, 12)}
        for size in range(1, 12):
            for seq in range(1, size + 1):
                proof = audit.prove_inclusion(db, seq, size)
                assert proof.verify() and proof.root_hash == heads[size].root_hash
                assert proof.leaf_index == seq - 1 and proof.tree_size == size
                assert len(proof.audit_path) <= (size - 1).bit_length()
            for old in range(0, size + 1):
                consistency = audit.prove_consistency(db, old, size)
                assert consistency.old == heads[old] and consistency.new == heads[size]
                assert consistency.verify()
        entry = audit.document(db, 7)
        assert (
            entry is not None and audit.entry_hash(entry) == audit.prove_inclusion(db, 7).entry_hash
        )


@pytest.mark.parametrize(
    ("seq", "size", "problem"),
    [
        (0, None, "no entry 0"),
        (12, None, "no entry 12"),
        (3, 12, "has 11 entries, not 12"),
        (5, 4, "not among the tree's first 4"),
        (1, -1, "not negative"),
    ],
)
def test_audit_tree_proofs_of_what_the_tree_lacks_are_refused(
    platform: Platform, seq: int, size: int | None, problem: str, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(11, per_commit=11)
    with platform.sessions() as db, pytest.raises(audit.ProofRefused, match=problem):
        audit.prove_inclusion(db, seq, size)
    with platform.sessions() as db, pytest.raises(audit.ProofRefused):
        audit.prove_consistency(db, 5, 4)
    with platform.sessions() as db, pytest.raises(audit.ProofRefused):
        audit.root(db, 12)


@pytest.mark.parametrize(
    ("statement", "seq", "problem"),
    [
        ("UPDATE audit_tree_nodes SET hash = :h WHERE level = 2 AND position = 1", 5, "wrong"),
        ("UPDATE audit_tree_nodes SET hash = :h WHERE level = 0 AND position = 6", 7, "leaf"),
        ("DELETE FROM audit_tree_nodes WHERE level = 1 AND position = 3", 7, "missing"),
        ("DELETE FROM audit_tree_nodes WHERE level = 0 AND position = 9", 10, "leaf"),
        ("INSERT INTO audit_tree_nodes VALUES (3, 7, :h)", 10, "beyond the newest"),
    ],
)
def test_audit_tree_verify_checks_the_stored_nodes(
    platform: Platform, statement: str, seq: int, problem: str, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(10, per_commit=10)
    params = {"h": bytes(32)} if ":h" in statement else {}
    _sql(platform, statement, **params)
    report = _verify(platform)
    assert not report.ok and report.broken_seq == seq and problem in (report.problem or "")
    assert _verify_chain_only(platform).ok


def _verify_chain_only(platform: Platform) -> audit.VerifyReport:
    with platform.sessions() as db:
        return audit.verify(db, tree=False)


def test_audit_tree_proofs_for_kept_entries_verify_after_pruning(
    platform: Platform, clock: FrozenClock, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(13, per_commit=1)
    with platform.sessions() as db:
        before = {n: audit.root(db, n) for n in range(14)}
    with platform.transaction() as db:
        assert audit.prune(db, before=clock.now() + timedelta(seconds=5)) == 5
    audit_trail.append_system(4, per_commit=2)
    report = _verify(platform)
    assert report.ok and report.count == 12
    with platform.sessions() as db:
        # every tree head is still computable: the nodes outlive the entries
        assert {n: audit.root(db, n) for n in range(14)} == before
        for size in range(6, 18):
            for seq in range(6, size + 1):
                assert audit.prove_inclusion(db, seq, size).verify()
            for old in range(0, size + 1):
                assert audit.prove_consistency(db, old, size).verify()
        with pytest.raises(audit.ProofRefused, match="removed by retention"):
            audit.prove_inclusion(db, 5)
        assert audit.document(db, 5) is None
    with platform.transaction() as db:  # all of them, the newest entry too
        audit.prune(db, before=clock.now() + timedelta(days=1))
    assert _verify(platform).ok
    with platform.sessions() as db:
        assert audit.root(db, 17).size == 17 and audit.prove_consistency(db, 3, 17).verify()


def _downgrade(platform: Platform, revision: str) -> None:
    config = alembic_config(platform.engine.url.render_as_string(hide_password=False))
    with platform.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _old_entries(platform: Platform, count: int, base: int) -> None:
    """Entries as revision 0008 wrote them: a chain, its head, no tree."""
    prev = base_hash = audit.GENESIS
    now = platform.clock.now()
    with platform.engine.begin() as connection:
        for seq in range(1, count + 1):
            fields: dict[str, Any] = {
                "seq": seq,
                "at": now,
                "actor": system("old"),
                "action": "test.old",
                "subject": None,
                "target": f"item:{seq}",
            }
            digest = audit.entry_hash(audit.entry_document(**fields, detail={}, prev_hash=prev))
            if seq > base:
                values = {**fields, "detail": "{}", "prev_hash": prev, "hash": digest}
                connection.execute(insert(ENTRIES).values(values))
            prev = digest
            if seq == base:
                base_hash = digest
        head = {"id": 1, "last_seq": count, "last_hash": prev}
        connection.execute(insert(HEAD).values(**head, base_seq=base, base_hash=base_hash))


@pytest.mark.parametrize("pruned", [0, 6])
def test_audit_tree_the_migration_builds_the_tree_of_existing_entries(
    platform: Platform, pruned: int, audit_trail: AuditTrail
) -> None:
    _downgrade(platform, "0008")
    try:
        _old_entries(platform, 21, base=pruned)
    finally:
        upgrade(platform.engine)
    assert _verify(platform).ok
    with platform.sessions() as db:
        state = audit.tree_state(db)
        assert (state.tree_base_seq, state.size) == (pruned, 21 - pruned)
        assert audit.prove_inclusion(db, 21).leaf_index == 20 - pruned
    audit_trail.append_system(3)
    assert _verify(platform).ok
    with platform.sessions() as db:
        assert all(audit.prove_inclusion(db, seq).verify() for seq in range(pruned + 1, 25))


# --- published heads -----------------------------------------------------------------


@pytest.fixture
def published(platform: Platform, settings: Settings) -> Path:
    """Where this test publishes heads (the default file in the data directory)."""
    return audit_publish.root_file(settings)


def _publish(platform: Platform) -> audit_publish.SignedTreeHead:
    with platform.sessions() as db:
        return audit_publish.publish_with(db, platform.settings, now=platform.clock.now())


def _check_file(platform: Platform, path: Path) -> audit_publish.AgainstReport:
    heads = audit_publish.read_published(path)
    key = audit_publish.public_key(platform.settings.data_dir)
    with platform.sessions() as db:
        return audit_publish.verify_published(db, heads, key)


def test_audit_published_heads_are_signed_and_each_extends_the_one_before(
    platform: Platform, published: Path, audit_trail: AuditTrail
) -> None:
    empty = _publish(platform)
    assert empty.tree_size == 0 and empty.root_hash == audit_tree.EMPTY_ROOT.hex()
    audit_trail.append_system(6, per_commit=3)
    first = _publish(platform)
    audit_trail.append_system(5)
    second = _publish(platform)
    again = _publish(platform)
    key = audit_publish.public_key(platform.settings.data_dir)
    assert (first.tree_size, second.tree_size, again.tree_size) == (6, 11, 11)
    assert all(h.signed_by(key) for h in (empty, first, second, again))
    assert second.consistency_from == 6 and second.extends(first) and again.extends(second)
    assert audit_publish.read_published(published) == [empty, first, second, again]
    with platform.sessions() as db:
        assert second.root_hash == audit.root(db).root_hash
    report = _check_file(platform, published)
    assert report.ok and "4 published heads" in report.message
    key_file = platform.settings.data_dir / "secrets" / "audit-signing.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_audit_a_rewritten_history_is_caught_by_the_published_heads(
    platform: Platform, published: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(7)
    _publish(platform)
    audit_trail.append_system(6)
    _publish(platform)
    audit_trail.append_system(2)
    audit_trail.rewrite_history(9)
    assert _verify(platform).ok  # the chain and the tree were recomputed
    report = _check_file(platform, published)
    assert not report.ok
    assert "not the history published" in report.message
    assert "entry from 8 to 13" in report.message  # the first head still holds
    size_before = published.stat().st_size
    with pytest.raises(audit_publish.PublishRefused, match="not the history published"):
        _publish(platform)
    assert published.stat().st_size == size_before  # nothing appended
    with platform.sessions() as db:
        published_root = audit_publish.read_published(published)[0].head
        assert audit_publish.verify_against(db, published_root).ok
        changed = audit_publish.read_published(published)[1].head
        assert not audit_publish.verify_against(db, changed).ok


def test_audit_entries_removed_from_the_end_are_caught_by_the_published_heads(
    platform: Platform, published: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(9)
    _publish(platform)
    _sql(platform, "DELETE FROM audit_entries WHERE seq > 6")
    last = "SELECT hash FROM audit_entries WHERE seq = 6"
    _sql(platform, f"UPDATE audit_chain_head SET last_seq = 6, last_hash = ({last})")
    _sql(
        platform,
        "DELETE FROM audit_tree_nodes WHERE (position + 1) * (1 << level) > 6",
    )
    assert _verify(platform).ok
    report = _check_file(platform, published)
    assert not report.ok and "entries were removed" in report.message
    with pytest.raises(audit_publish.PublishRefused, match="fewer than the 9"):
        _publish(platform)


def test_audit_a_published_file_that_is_not_one_history_is_refused(
    platform: Platform, published: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(3)
    _publish(platform)
    audit_trail.append_system(3)
    _publish(platform)
    lines = published.read_text().splitlines()
    first, second = (json.loads(line) for line in lines)
    forged = {**second, "root_hash": "ab" * 32}
    published.write_text(json.dumps(first) + "\n" + json.dumps(forged) + "\n")
    report = _check_file(platform, published)
    assert not report.ok and report.message == "line 2: its signature does not verify"
    with pytest.raises(audit_publish.PublishRefused, match="not signed by this deployment"):
        _publish(platform)
    published.write_text(lines[1] + "\n" + lines[0] + "\n")  # shuffled
    report = _check_file(platform, published)
    assert not report.ok and "line 2 does not extend line 1" in report.message
    published.write_text(lines[0] + "\n{not json\n")
    with pytest.raises(audit_publish.PublishedUnreadable, match=r"line 2 of .*: not JSON"):
        audit_publish.read_published(published)
