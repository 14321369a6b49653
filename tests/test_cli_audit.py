"""``interpreta audit prove``, ``publish`` and ``verify --against``: proofs of entries,
signed tree heads published outside the database, and a history checked against them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from interpreta.app import publish_audit_head
from interpreta.cli import app
from interpreta.cli.common import CommandContext
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from interpreta.privacy import audit
from tests.conftest import AuditTrail


def _audit(settings: Settings, platform: Platform, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["audit", *args, "--data-dir", str(settings.data_dir)],
        env={"INTERPRETA_DATABASE_URL": settings.resolved_database_url, "COLUMNS": "250"},
        obj=CommandContext(clock=platform.clock),
    )


def _one_line(result: Result) -> str:
    """The output of a failed command: one line, no traceback."""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and isinstance(result.exception, SystemExit), result.output
    return lines[0]


def test_cli_audit_prove_prints_a_proof_that_verifies(
    settings: Settings, platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(9, per_commit=4)
    proved = _audit(settings, platform, "prove", "6")
    assert proved.exit_code == 0, proved.output
    shown = json.loads(proved.output)
    assert shown["verified"] is True and shown["entry"]["seq"] == 6
    assert (shown["leaf_index"], shown["tree_size"]) == (5, 9)
    assert audit.entry_hash(shown["entry"]) == shown["entry_hash"]
    proof = audit.InclusionProof(
        shown["seq"],
        shown["entry_hash"],
        shown["leaf_index"],
        shown["tree_size"],
        shown["root_hash"],
        tuple(shown["audit_path"]),
    )
    assert proof.verify()  # from the printed hashes alone
    with platform.sessions() as db:
        assert shown["root_hash"] == audit.root(db).root_hash
        in_six = audit.root(db, 6).root_hash
    smaller = json.loads(_audit(settings, platform, "prove", "6", "--size", "6").output)
    assert smaller["tree_size"] == 6 and smaller["root_hash"] == in_six


def test_cli_audit_prove_catches_a_changed_entry(
    settings: Settings, platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(4)
    with platform.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_entries SET target = 'x:1' WHERE seq = 2")
    proved = _audit(settings, platform, "prove", "2")
    assert proved.exit_code == 1 and '"verified": false' in proved.output
    assert "proof does not verify" in proved.output


def test_cli_audit_verify_against_a_published_file_catches_a_recomputed_history(
    settings: Settings,
    platform: Platform,
    clock: FrozenClock,
    tmp_path: Path,
    audit_trail: AuditTrail,
) -> None:
    roots = tmp_path / "elsewhere" / "roots.jsonl"
    audit_trail.append_system(8)
    published = _audit(settings, platform, "publish", "--to", str(roots))
    assert published.exit_code == 0 and "head of 8 entries" in published.output
    clock.advance(timedelta(hours=1))
    audit_trail.append_system(5, per_commit=5)
    assert _audit(settings, platform, "publish", "--to", str(roots)).exit_code == 0
    assert len(roots.read_text().splitlines()) == 2
    intact = _audit(settings, platform, "verify", "--against", str(roots))
    assert intact.exit_code == 0, intact.output
    assert "consistent with 2 published heads, the newest of 13 entries" in intact.output

    audit_trail.rewrite_history(3)  # an old entry, every hash after it recomputed
    assert _audit(settings, platform, "verify").exit_code == 0  # the chain cannot tell
    caught = _audit(settings, platform, "verify", "--against", str(roots))
    assert caught.exit_code == 1
    line = _one_line(caught)
    assert "not the history published at 2026-11-24T09:00:00+00:00 (8 entries)" in line
    assert "an entry from 1 to 8 was changed" in line
    refused = _audit(settings, platform, "publish", "--to", str(roots))
    assert refused.exit_code == 1 and "not published" in _one_line(refused)
    assert len(roots.read_text().splitlines()) == 2


def test_cli_audit_verify_against_a_root_given_by_hand(
    settings: Settings, platform: Platform, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(6)
    with platform.sessions() as db:
        head = audit.root(db, 4)
    given = f"4:{head.root_hash.upper()}"
    assert _audit(settings, platform, "verify", "--against", given).exit_code == 0
    audit_trail.append_system(2)
    assert _audit(settings, platform, "verify", "--against", given).exit_code == 0
    audit_trail.rewrite_history(2)
    caught = _audit(settings, platform, "verify", "--against", given)
    assert caught.exit_code == 1 and "an entry from 1 to 4 was changed" in _one_line(caught)
    beyond = _audit(settings, platform, "verify", "--against", f"9:{head.root_hash}")
    assert beyond.exit_code == 1 and "entries were removed" in _one_line(beyond)


def test_cli_audit_publishes_to_the_configured_file_and_the_data_directory(
    settings: Settings, platform: Platform, tmp_path: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(2)
    assert _audit(settings, platform, "publish").exit_code == 0
    audit_trail.append_system(1)
    publish_audit_head(platform)  # as the server's hourly schedule does
    default = settings.data_dir / "published" / "audit-roots.jsonl"
    sizes = [json.loads(line)["tree_size"] for line in default.read_text().splitlines()]
    assert sizes == [2, 3]
    configured = tmp_path / "configured.jsonl"
    result = CliRunner().invoke(
        app,
        ["audit", "publish", "--data-dir", str(settings.data_dir)],
        env={
            "INTERPRETA_DATABASE_URL": settings.resolved_database_url,
            "INTERPRETA_AUDIT_ROOT_FILE": str(configured),
        },
        obj=CommandContext(clock=platform.clock),
    )
    assert result.exit_code == 0 and configured.exists(), result.output


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["prove", "99"], "no entry 99 (the last is 5)"),
        (["prove", "0"], "no entry 0"),
        (["prove", "2", "--size", "6"], "has 5 entries, not 6"),
        (["prove", "5", "--size", "3"], "not among the tree's first 3 entries"),
        (["verify", "--against", "12:abc"], "malformed root '12:abc'"),
        (["verify", "--against", "nowhere.jsonl"], "no published file at nowhere.jsonl"),
    ],
)
def test_cli_audit_refuses_bad_input_in_one_line(
    settings: Settings, platform: Platform, args: list[str], problem: str, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(5)
    result = _audit(settings, platform, *args)
    assert result.exit_code == 2 and problem in _one_line(result), result.output


def test_cli_audit_refuses_a_pruned_entry_and_a_bad_published_file(
    settings: Settings, platform: Platform, tmp_path: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(5)
    with platform.transaction() as db:
        audit.prune(db, before=platform.clock.now() + timedelta(seconds=2))
    pruned = _audit(settings, platform, "prove", "2")
    assert pruned.exit_code == 2 and "entry 2 was removed by retention" in _one_line(pruned)
    assert _audit(settings, platform, "prove", "4").exit_code == 0

    roots = tmp_path / "roots.jsonl"
    roots.write_text("{}\n")
    malformed = _audit(settings, platform, "verify", "--against", str(roots))
    assert malformed.exit_code == 2 and "tree_size is not a size" in _one_line(malformed)
    roots.unlink()
    assert _audit(settings, platform, "publish", "--to", str(roots)).exit_code == 0
    line = json.loads(roots.read_text())
    forged = {**line, "tree_size": 4}
    roots.write_text(json.dumps(forged) + "\n")
    bad = _audit(settings, platform, "verify", "--against", str(roots))
    assert bad.exit_code == 1 and "line 1: its signature does not verify" in _one_line(bad)
    roots.write_text("")
    empty = _audit(settings, platform, "verify", "--against", str(roots))
    assert empty.exit_code == 2 and "holds no published tree heads" in _one_line(empty)


def test_cli_audit_verify_against_needs_the_signing_key(
    settings: Settings, platform: Platform, tmp_path: Path, audit_trail: AuditTrail
) -> None:
    audit_trail.append_system(1)
    roots = tmp_path / "roots.jsonl"
    assert _audit(settings, platform, "publish", "--to", str(roots)).exit_code == 0
    (settings.data_dir / "secrets" / "audit-signing.key").unlink()
    result = _audit(settings, platform, "verify", "--against", str(roots))
    assert result.exit_code == 2 and "no audit signing key" in _one_line(result)
