"""Master keys, data keys and rotation without downtime (P22)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from interpreta.clock import FrozenClock
from interpreta.events.models import BoothChatMessage, Participant
from interpreta.platform import Platform
from interpreta.privacy import keys
from interpreta.privacy.crypto import b64encode, new_key
from interpreta.privacy.encrypted import install_field_encryption
from interpreta.privacy.keys import EnvKeyProvider, FileKeyProvider, Keyring, MasterKeyUnavailable
from tests.privacy.conftest import make_keyring
from tests.privacy.test_crypto import MESSAGES, PHONES, World, populate


def _read_all(platform: Platform, world: World) -> tuple[list[str | None], list[str]]:
    with platform.sessions() as db:
        phones = [db.get_one(Participant, i).phone for i in world.participant_ids]
        bodies = [db.get_one(BoothChatMessage, i).body for i in world.message_ids]
    return phones, bodies


def _versions(platform: Platform) -> set[str]:
    with platform.engine.connect() as connection:
        return set(connection.execute(text("SELECT master_version FROM data_keys")).scalars())


def test_p22_rotation_rewraps_every_data_key_and_everything_still_reads(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.engine.connect() as connection:
        before = connection.execute(text("SELECT id, phone FROM participants")).all()
    assert _versions(platform) == {"file:0"}
    calls: list[tuple[int, int]] = []
    report = keys.rotate(platform.sessions, keyring, batch=1, progress=lambda *a: calls.append(a))
    assert report.master_version == "file:1" and report.rewrapped == 2
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    assert _versions(platform) == {"file:1"}
    with platform.engine.connect() as connection:  # the fields themselves are untouched
        assert connection.execute(text("SELECT id, phone FROM participants")).all() == before
    # A fresh process whose old master key is gone still reads everything.
    folder = platform.settings.data_dir / "secrets" / "master-keys"
    assert (folder / "1.key").stat().st_mode & 0o777 == 0o600
    fresh = Keyring(FileKeyProvider(new_key(), folder), clock)
    install_field_encryption(platform.sessions, fresh)
    phones, bodies = _read_all(platform, world)
    assert phones == PHONES and bodies == MESSAGES


def test_p22_a_running_service_keeps_working_through_a_rotation(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    assert _read_all(platform, world)[0] == PHONES  # the service has its keys cached
    operator = make_keyring(platform)  # `interpreta keys rotate`, another process
    keys.rotate(platform.sessions, operator)
    assert _read_all(platform, world)[0] == PHONES
    # A new organisation's data key is wrapped by the new master key at once,
    # and an uncached key re-wrapped meanwhile is unwrapped with it.
    populate(platform, clock)
    assert _versions(platform) == {"file:1"}
    newcomer = make_keyring(platform)
    install_field_encryption(platform.sessions, newcomer)
    assert _read_all(platform, world) == (PHONES, MESSAGES)
    with platform.sessions() as db:
        state = keys.status(db.connection(), keyring.provider)
    assert state.current_version == "file:1" and state.outdated == 0
    assert state.by_scope_kind == {"org": 4}


def test_p22_destroying_a_scope_key_makes_its_data_unreadable(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.transaction() as db:
        assert keyring.destroy(db.connection(), "org:1")
    with platform.sessions() as db:
        with pytest.raises(keys.KeyDestroyed):
            db.get_one(Participant, world.participant_ids[0])
        assert db.get_one(Participant, world.other_participant_id).phone == "+44 20 7946 0321"


def test_env_key_provider_is_a_plug_in_alternative(platform: Platform, clock: FrozenClock) -> None:
    old, new = new_key(), new_key()
    first = EnvKeyProvider(f"a:{b64encode(old)}")
    ring = Keyring(first, clock)
    install_field_encryption(platform.sessions, ring)
    world = populate(platform, clock)
    with pytest.raises(MasterKeyUnavailable, match="cannot create"):
        keys.rotate(platform.sessions, ring)
    both = Keyring(EnvKeyProvider(f"b:{b64encode(new)}, a:{b64encode(old)}"), clock)
    assert keys.rotate(platform.sessions, both, new_key=False).rewrapped == 2
    only_new = Keyring(EnvKeyProvider(f"b:{b64encode(new)}"), clock)
    install_field_encryption(platform.sessions, only_new)
    assert _read_all(platform, world) == (PHONES, MESSAGES)
    assert keys.provider_from_environment(
        new_key(), platform.settings.data_dir, {keys.MASTER_KEYS_ENV: f"x:{b64encode(new)}"}
    ).current_version() == ("env:x")
    with pytest.raises(MasterKeyUnavailable):
        EnvKeyProvider("a:" + b64encode(os.urandom(16)))


def test_cli_keys_status_and_rotate(
    platform: Platform, keyring: Keyring, clock: FrozenClock, cli: Callable[..., Any]
) -> None:
    world = populate(platform, clock)
    shown = cli("keys", "status")
    assert shown.exit_code == 0 and "current master key: file:0" in shown.output, shown.output
    rotated = cli("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "master key now file:1; 2 data key(s) re-wrapped" in rotated.output
    shown = cli("keys", "status")
    assert "every data key is wrapped by the current master key" in shown.output
    assert _read_all(platform, world) == (PHONES, MESSAGES)
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and "intact: 1 entries" in verified.output
