"""Encrypted backups and restore (P24): restore is tested, not only documented."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from interpreta import backup
from interpreta.events.models import Participant, ParticipantRole
from interpreta.events.participation import join
from interpreta.platform import Platform
from interpreta.privacy.rights import erasure_log
from interpreta.schema import all_metadata


def _snapshot(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    raw = backup.storage_metadata(all_metadata())
    with platform.engine.connect() as connection:
        return {
            t.name: sorted(map(tuple, connection.execute(select(t))), key=repr)
            for t in raw.sorted_tables
        }


def _people(platform: Platform, sign_up: Any) -> int:
    owner = sign_up("bea")
    event = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "Backed up",
            "starts_at": "2026-12-01T09:00:00+00:00",
            "ends_at": "2026-12-01T10:00:00+00:00",
            "languages": [{"code": "it"}],
        },
    ).json()
    with platform.transaction() as db:
        person = join(
            db, event_id=event["id"], role=ParticipantRole.SPEAKER, now=platform.clock.now()
        )
        person.email, person.phone = "speaker@example.org", "+49 30 1234567"
        return person.id


def _write(platform: Platform, out: Path) -> backup.BackupInfo:
    provider = platform.keyring.provider
    version = provider.current_version()
    return backup.write(
        platform.engine,
        all_metadata(),
        out,
        master_key=provider.key(version),
        key_version=version,
        now=platform.clock.now(),
        erasure_log=erasure_log.state(platform.settings.data_dir),
    )


def test_p24_restore_brings_back_exactly_what_was_backed_up(
    platform: Platform, sign_up: Any, tmp_path: Path
) -> None:
    person_id = _people(platform, sign_up)
    before = _snapshot(platform)
    info = _write(platform, tmp_path / "b.backup")
    assert info.rows > 10
    with platform.transaction() as db:
        db.delete(db.get(Participant, person_id))
    sign_up("intruder")
    assert _snapshot(platform) != before
    key = platform.keyring.provider.key(info.key_version)
    restored = backup.restore(
        platform.engine, all_metadata(), tmp_path / "b.backup", master_key=key
    )
    assert restored.rows == info.rows
    assert _snapshot(platform) == before
    with platform.sessions() as db:
        person = db.get(Participant, person_id)
        assert person is not None and person.phone == "+49 30 1234567"


def test_p24_backups_are_encrypted_and_tampering_is_refused(
    platform: Platform, sign_up: Any, tmp_path: Path
) -> None:
    _people(platform, sign_up)
    path = tmp_path / "b.backup"
    info = _write(platform, path)
    data = path.read_bytes()
    assert b"speaker@example.org" not in data and b"bea@example.org" not in data
    key = platform.keyring.provider.key(info.key_version)
    for name, broken in {
        "flipped": data[:-20] + bytes([data[-20] ^ 1]) + data[-19:],
        "truncated": data[:-40],
    }.items():
        bad = tmp_path / f"{name}.backup"
        bad.write_bytes(broken)
        with pytest.raises(backup.BackupError):
            backup.restore(platform.engine, all_metadata(), bad, master_key=key)
    with pytest.raises(backup.BackupError):
        backup.restore(platform.engine, all_metadata(), path, master_key=b"\0" * 32)
    with platform.sessions() as db:  # a refused restore changed nothing
        assert db.scalar(select(Participant.email)) == "speaker@example.org"


def test_p24_p30_backup_erase_restore_and_the_person_is_gone_again(
    platform: Platform, sign_up: Any, tmp_path: Path
) -> None:
    from interpreta.mail import OutboxMailer
    from interpreta.privacy.models import AuditEntry
    from interpreta.privacy.rights.models import DataSubjectRequest, RequestKind
    from interpreta.privacy.rights.requests import Rights

    _people(platform, sign_up)
    info = _write(platform, tmp_path / "b.backup")
    platform.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    rights = Rights.of(platform, OutboxMailer(tmp_path / "outbox", "dpo@example.org"))
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email="speaker@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=1)
    with platform.sessions() as db:
        assert db.scalar(select(Participant.email)) is None
    key = platform.keyring.provider.key(info.key_version)
    backup.restore(platform.engine, all_metadata(), tmp_path / "b.backup", master_key=key)
    with platform.sessions() as db:  # the backup brought the speaker back…
        assert db.scalar(select(Participant.email)) == "speaker@example.org"
    assert platform.replay_erasures(since=info.created_at) == len(request.parts)
    with platform.sessions() as db:  # the restored request keeps no address, and says so
        assert db.scalar(select(DataSubjectRequest.subject_email)) is None
        replayed = db.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "erasure.replayed")
        ).all()
        assert len(replayed) == len(request.parts)
    with platform.sessions() as db:  # …and the erasure log erased them again
        assert db.scalar(select(Participant.email)) is None
        assert db.scalar(select(Participant.phone)) is None
    assert (
        b"speaker@example.org"
        not in (platform.settings.data_dir / "erasure-log.jsonl").read_bytes()
    )


def test_p24_an_edited_header_is_refused(platform: Platform, sign_up: Any, tmp_path: Path) -> None:
    _people(platform, sign_up)
    path = tmp_path / "b.backup"
    info = _write(platform, path)
    data = path.read_bytes()
    year = str(info.created_at.year).encode()
    edited = tmp_path / "edited.backup"
    edited.write_bytes(data.replace(year, str(info.created_at.year + 1).encode(), 1))
    assert backup.read_header(edited)[0].created_at.year == info.created_at.year + 1
    key = platform.keyring.provider.key(info.key_version)
    with pytest.raises(backup.BackupError, match="altered"):
        backup.restore(platform.engine, all_metadata(), edited, master_key=key)


def test_p30_an_erasure_is_logged_before_it_commits_and_cancelled_if_it_rolls_back(
    platform: Platform, sign_up: Any
) -> None:
    from interpreta.privacy.rights.models import RequestKind
    from interpreta.privacy.rights.requests import Rights

    _people(platform, sign_up)
    rights = Rights.of(platform)
    with pytest.raises(RuntimeError), platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email="speaker@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=1)
        raise RuntimeError("the transaction fails after the erasure")
    assert list(erasure_log.entries(platform.settings.data_dir)) == []
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=1, kind=RequestKind.ERASURE, email="speaker@example.org"
        )
        for part in list(request.parts):
            rights.execute(db, part, actor_user_id=1)
        # on disk before the commit: a process killed right after it loses no erasure
        assert len(list(erasure_log.entries(platform.settings.data_dir))) == len(request.parts)
    assert len(list(erasure_log.entries(platform.settings.data_dir))) == len(request.parts)
