"""Data-key rotation (P22): new keys per scope, everything re-encrypted, in resumable
batches, while requests keep reading and writing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from interpreta.clock import FrozenClock
from interpreta.events.models import BoothChatMessage, Participant
from interpreta.platform import Platform
from interpreta.privacy import keys
from interpreta.privacy.data_key_rotation import GRACE, rotate_data_keys, to_reencrypt
from interpreta.privacy.keys import PSEUDONYM_SCOPE, Keyring
from interpreta.privacy.models import DataKey
from tests.privacy.test_crypto import MESSAGES, PHONES, World, populate


def _key_ids_in_use(platform: Platform) -> set[str]:
    """The data keys the stored ciphertexts name."""
    found = set()
    with platform.engine.connect() as connection:
        for query in ("SELECT phone FROM participants", "SELECT body FROM booth_chat_messages"):
            for (value,) in connection.execute(text(query)):
                if value:
                    found.add(str(value).split(":")[1])
    return found


def _keys(platform: Platform) -> list[DataKey]:
    with platform.sessions() as db:
        return list(db.scalars(select(DataKey).order_by(DataKey.id)))


def _read_all(platform: Platform, world: World) -> tuple[list[str | None], list[str]]:
    with platform.sessions() as db:
        phones = [db.get_one(Participant, i).phone for i in world.participant_ids]
        bodies = [db.get_one(BoothChatMessage, i).body for i in world.message_ids]
    return phones, bodies


def test_p22_every_scope_gets_a_new_key_and_its_data_is_re_encrypted(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.transaction() as db:
        pseudonym_key = keyring.pseudonyms(db.connection()).user(1)
    old = {k.key_id for k in _keys(platform) if k.scope != PSEUDONYM_SCOPE}
    assert _key_ids_in_use(platform) == old

    report = rotate_data_keys(platform.sessions, keyring, now=clock.now(), batch=2)
    assert report.retired == 2 and report.reencrypted == len(PHONES) + len(MESSAGES) + 1
    assert report.destroyed == 0 and report.remaining == 2  # still readable, within GRACE
    current = {k.key_id for k in _keys(platform) if k.retired_at is None}
    assert _key_ids_in_use(platform).isdisjoint(old) and _key_ids_in_use(platform) <= current
    assert _read_all(platform, world) == (PHONES, MESSAGES)
    with platform.transaction() as db:  # pseudonyms keep meaning the same people
        assert keyring.pseudonyms(db.connection()).user(1) == pseudonym_key

    clock.advance(GRACE + timedelta(seconds=1))
    report = rotate_data_keys(platform.sessions, keyring, now=clock.now(), new_keys=False)
    assert (report.retired, report.reencrypted, report.destroyed) == (0, 0, 2)
    assert {k.key_id for k in _keys(platform) if k.wrapped is None} == old
    assert _read_all(platform, world) == (PHONES, MESSAGES)


def test_p22_an_interrupted_rotation_is_resumed(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)

    def killed_after_first_batch(done: int, _total: int) -> None:
        if done:
            raise KeyboardInterrupt  # as if the operator pressed Ctrl-C mid-way

    with pytest.raises(KeyboardInterrupt):
        rotate_data_keys(
            platform.sessions, keyring, now=clock.now(), batch=1, progress=killed_after_first_batch
        )
    with platform.sessions() as db:
        left = to_reencrypt(db.connection())
        assert keys.status(db.connection(), keyring.provider).retired == 2
    assert 0 < left < len(PHONES) + len(MESSAGES) + 1
    assert _read_all(platform, world) == (PHONES, MESSAGES)  # half-way, all still reads
    report = rotate_data_keys(platform.sessions, keyring, now=clock.now(), new_keys=False)
    assert report.reencrypted == left and report.retired == 0
    with platform.sessions() as db:
        assert to_reencrypt(db.connection()) == 0
    assert _read_all(platform, world) == (PHONES, MESSAGES)


def test_p22_rotation_under_concurrent_reads_and_writes_fails_none_of_them(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.sessions() as db:
        booth_id = db.get_one(BoothChatMessage, world.message_ids[0]).booth_id
    for n in range(120):  # enough rows that re-encryption takes many batches
        with platform.transaction() as db:
            db.add(
                BoothChatMessage(
                    booth_id=booth_id,
                    participant_id=world.participant_ids[0],
                    body=f"backlog {n}",
                    sent_at=clock.now(),
                )
            )
    stop, failures, written = threading.Event(), [], {}

    def writer(n: int) -> None:
        with platform.transaction() as db:  # as the live hub writes booth chat
            message = BoothChatMessage(
                booth_id=booth_id,
                participant_id=world.participant_ids[0],
                body=f"live {n}",
                sent_at=clock.now(),
            )
            db.add(message)
            db.flush()
            written[message.id] = f"live {n}"
        with platform.transaction() as db:  # and a phone number changed
            db.get_one(Participant, world.participant_ids[1]).phone = f"+49 170 {n:07d}"

    def reader(_n: int) -> None:
        assert _read_all(platform, world)[1] == MESSAGES
        with platform.sessions() as db:
            for message in db.scalars(select(BoothChatMessage)):
                assert message.body.startswith(("live", "backlog", "Slow", "Switching"))

    def hammer(work: Callable[[int], None]) -> None:
        n = 0
        while not stop.is_set():
            try:
                work(n)
            except Exception as exc:  # every failure is a finding
                failures.append(repr(exc))
            n += 1

    threads = [threading.Thread(target=hammer, args=(w,)) for w in (writer, reader, reader)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    report = rotate_data_keys(platform.sessions, keyring, now=clock.now(), batch=5)
    time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert report.reencrypted > 120 and len(written) > 0
    rotate_data_keys(platform.sessions, keyring, now=clock.now(), new_keys=False)
    with platform.sessions() as db:
        assert to_reencrypt(db.connection()) == 0
        for message_id, body in written.items():
            assert db.get_one(BoothChatMessage, message_id).body == body
    current = {k.key_id for k in _keys(platform) if k.retired_at is None}
    assert _key_ids_in_use(platform) <= current


def test_p22_destroying_a_scope_destroys_its_retired_keys_too(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.transaction() as db:  # a retired key, still naming a value
        db.execute(
            text("UPDATE data_keys SET retired_at = :now WHERE scope = 'org:1'"),
            {"now": clock.now()},
        )
        keyring.for_scope(db.connection(), "org:1")
    with platform.transaction() as db:
        assert keyring.destroy(db.connection(), "org:1")
    assert all(k.wrapped is None for k in _keys(platform) if k.scope == "org:1")
    with platform.sessions() as db, pytest.raises(keys.KeyDestroyed):
        db.get_one(Participant, world.participant_ids[0])


def test_cli_keys_rotate_data_and_status(
    platform: Platform, keyring: Keyring, clock: FrozenClock, cli: Callable[..., Any]
) -> None:
    world = populate(platform, clock)

    def run(*args: str) -> Any:
        return cli("keys", *args)

    wrong = run("rotate-data", "--scope", "org:999")
    assert wrong.exit_code == 2 and "no live data key has the scope org:999" in wrong.output
    assert "Traceback" not in wrong.output
    rotated = run("rotate-data", "--scope", "org:1", "--batch", "1")
    assert rotated.exit_code == 0, rotated.output
    assert "1 data key(s) replaced; 5 value(s) re-encrypted" in rotated.output
    shown = run("status")
    assert "retired, still readable: 1" in shown.output and "--resume" in shown.output
    assert _read_all(platform, world) == (PHONES, MESSAGES)
