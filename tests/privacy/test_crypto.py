"""Encryption at rest of confidential fields (P22), on the real database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.clock import FrozenClock
from interpreta.db.engine import make_sessionmaker
from interpreta.events.actions import LanguageSpec, booths_of, create_event
from interpreta.events.models import BoothChatMessage, Participant, ParticipantRole
from interpreta.platform import Platform
from interpreta.privacy.crypto import (
    DecryptionError,
    Envelope,
    PlaintextRefused,
    Sealed,
    aead_open,
    aead_seal,
    new_key,
)
from interpreta.privacy.encrypted import (
    EncryptionMisconfigured,
    encrypt_existing,
    encrypted_columns,
)
from interpreta.privacy.keys import Keyring
from interpreta.schema import all_metadata

PHONES = ["+49 170 5550101", "+33 6 55 50 10 22", "+1 202 555 0199"]
MESSAGES = ["Slow down, the speaker skipped slide 12 xyzzy", "Switching at 10:30 plugh"]


@dataclass
class World:
    """Two organisations' worth of confidential data."""

    participant_ids: list[int]
    message_ids: list[int]
    other_participant_id: int


def _event(db: Session, clock: FrozenClock, name: str) -> tuple[int, int]:
    now = clock.now()
    organisation = Organisation(name=name, created_at=now)
    db.add(organisation)
    db.flush()
    event = create_event(
        db,
        organisation_id=organisation.id,
        title=f"{name} summit",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        timezone="UTC",
        now=now,
        language_specs=[LanguageSpec("fr")],
    )
    return event.id, booths_of(event)[0].id


def _participant(event_id: int, phone: str | None, clock: FrozenClock, n: int) -> Participant:
    return Participant(
        event_id=event_id,
        role=ParticipantRole.INTERPRETER,
        anonymous_id=f"anon-{event_id}-{n}",
        first_name="Ada",
        phone=phone,
        created_at=clock.now(),
    )


def populate(platform: Platform, clock: FrozenClock) -> World:
    """Participants with phone numbers and booth chat, in two organisations."""
    with platform.transaction() as db:
        event_id, booth_id = _event(db, clock, "Acme")
        people = [_participant(event_id, phone, clock, n) for n, phone in enumerate(PHONES)]
        db.add_all(people)
        db.flush()
        messages = [
            BoothChatMessage(
                booth_id=booth_id, participant_id=people[0].id, body=body, sent_at=clock.now()
            )
            for body in MESSAGES
        ]
        db.add_all(messages)
        other_event, _ = _event(db, clock, "Globex")
        other = _participant(other_event, "+44 20 7946 0321", clock, 0)
        db.add(other)
        db.flush()
        assert people[0].phone == PHONES[0] and messages[0].body == MESSAGES[0]
        return World([p.id for p in people], [m.id for m in messages], other.id)


def _is_sqlite(platform: Platform) -> bool:
    return platform.engine.dialect.name == "sqlite"


def test_p22_no_plaintext_of_confidential_fields_in_the_raw_database_file(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.transaction() as db:  # an update goes through the same hooks
        db.get_one(Participant, world.participant_ids[1]).phone = "+33 6 55 50 99 88"
    secrets = [*PHONES, *MESSAGES, "+33 6 55 50 99 88", "5550101", "xyzzy", "plugh"]
    if _is_sqlite(platform):
        database = Path(make_url(platform.settings.resolved_database_url).database or "")
        files = [p for p in (database, Path(f"{database}-wal")) if p.exists()]
        assert files and files[0].stat().st_size > 0
        raw = b"".join(p.read_bytes() for p in files)
        assert b"Acme summit" in raw  # the scan does see what is stored in clear
        for secret in secrets:
            assert secret.encode() not in raw, secret
    with platform.engine.connect() as connection:
        stored = [
            *connection.execute(text("SELECT phone FROM participants WHERE phone IS NOT NULL")),
            *connection.execute(text("SELECT body FROM booth_chat_messages")),
        ]
    assert len(stored) == len(PHONES) + 1 + len(MESSAGES)
    for (value,) in stored:
        assert value.startswith("v1:") and Envelope.parse(value)
        assert not any(secret in value for secret in secrets)


def test_p22_models_read_plaintext_back(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.sessions() as db:
        phones = db.scalars(
            select(Participant.phone)
            .where(Participant.id.in_(world.participant_ids))
            .order_by(Participant.id)
        ).all()
        assert all(isinstance(p, Sealed) for p in phones)  # column-only: still sealed
        people = db.scalars(
            select(Participant)
            .where(Participant.id.in_(world.participant_ids))
            .order_by(Participant.id)
        ).all()
        assert [p.phone for p in people] == PHONES
        assert not db.dirty  # decrypting on load changes nothing
        bodies = [db.get_one(BoothChatMessage, i).body for i in world.message_ids]
        assert bodies == MESSAGES
        people[0].phone = None
        db.commit()
    with platform.sessions() as db:
        assert db.get_one(Participant, world.participant_ids[0]).phone is None


def test_p22_ciphertext_moved_to_another_row_or_column_does_not_decrypt(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    first, second = world.participant_ids[:2]
    with platform.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE participants SET phone = (SELECT phone FROM participants WHERE id = :b) "
                "WHERE id = :a"
            ),
            {"a": first, "b": second},
        )
        connection.execute(
            text(
                "UPDATE booth_chat_messages SET body = "
                "(SELECT phone FROM participants WHERE id = :b) WHERE id = :m"
            ),
            {"b": second, "m": world.message_ids[0]},
        )
    with platform.sessions() as db:
        assert db.get_one(Participant, second).phone == PHONES[1]
        with pytest.raises(DecryptionError, match=r"participants\.phone of row"):
            db.get_one(Participant, first)
    with platform.sessions() as db, pytest.raises(DecryptionError):
        db.get_one(BoothChatMessage, world.message_ids[0])


def test_p22_organisations_have_separate_data_keys(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.engine.connect() as connection:
        ours = connection.execute(
            text("SELECT phone FROM participants WHERE id = :i"), {"i": world.participant_ids[0]}
        ).scalar_one()
        theirs = connection.execute(
            text("SELECT phone FROM participants WHERE id = :i"), {"i": world.other_participant_id}
        ).scalar_one()
        scopes = set(connection.execute(text("SELECT scope FROM data_keys")).scalars())
    assert Envelope.parse(ours).key_id != Envelope.parse(theirs).key_id
    assert {"org:1", "org:2"} <= scopes or len([s for s in scopes if s.startswith("org:")]) == 2


def test_p22_plaintext_is_refused_without_encryption(
    platform: Platform, clock: FrozenClock
) -> None:
    bare = make_sessionmaker(platform.engine)  # a session factory without the hooks
    with pytest.raises(StatementError) as raised, bare.begin() as db:
        event_id, _ = _event(db, clock, "Initech")
        db.add(_participant(event_id, "+49 30 5550000", clock, 0))
        db.flush()
    assert isinstance(raised.value.orig, PlaintextRefused)


def test_p22_failed_flush_keeps_the_plaintext_on_the_object(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    with platform.sessions() as db:
        event_id, _ = _event(db, clock, "Hooli")
        db.commit()
        first = _participant(event_id, "+1 555 0100", clock, 0)
        clash = _participant(event_id, "+1 555 0101", clock, 0)  # same anonymous ID
        db.add_all([first, clash])
        with pytest.raises(Exception, match=r"UNIQUE|unique|duplicate"):
            db.flush()
        db.rollback()
        assert (first.phone, clash.phone) == ("+1 555 0100", "+1 555 0101")


def test_p22_rows_stored_before_encryption_are_encrypted_at_start(
    platform: Platform, keyring: Keyring, clock: FrozenClock
) -> None:
    world = populate(platform, clock)
    with platform.engine.begin() as connection:  # as a database from before revision 0002
        connection.execute(
            text("UPDATE participants SET phone = :p WHERE id = :i"),
            {"p": "+49 170 5550177", "i": world.participant_ids[2]},
        )
    assert encrypt_existing(platform.sessions, keyring) == 1
    assert encrypt_existing(platform.sessions, keyring) == 0
    with platform.sessions() as db:
        assert db.get_one(Participant, world.participant_ids[2]).phone == "+49 170 5550177"


def test_p22_every_confidential_column_is_encrypted() -> None:
    names = [f"{t.name}.{c.name}" for t, c in encrypted_columns(all_metadata())]
    assert sorted(names) == [
        "booth_chat_messages.body",
        "calendar_connections.secret",
        "chat_messages.body",
        "crm_notes.body",
        "engagement_estimates.review_note",
        "glossary_terms.equivalent",
        "glossary_terms.note",
        "glossary_terms.term",
        "participants.phone",
        "poll_options.text",
        "polls.question",
        "questions.body",
        "recording_chunks.data",
        "registration_answers.value",
        "shared_files.content",
        "shared_files.name",
        "survey_answers.value",
        "ticket_messages.body",
        "tickets.subject",
        "transcript_segments.text",
        "users.totp_secret",
    ]


def test_a_confidential_column_without_the_encrypted_type_is_refused() -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    from interpreta.datamap.declarations import not_personal, personal
    from interpreta.events.models import PARTICIPATION

    metadata = MetaData()
    Table(
        "probe",
        metadata,
        Column("id", Integer, primary_key=True, info=not_personal("row number")),
        Column("secret", String, info=personal(PARTICIPATION, "secret", confidential=True)),
    )
    with pytest.raises(EncryptionMisconfigured, match="not EncryptedText"):
        encrypted_columns(metadata)


def test_aead_binds_associated_data() -> None:
    key = new_key()
    blob = aead_seal(key, b"secret", b"a|b|1")
    assert aead_open(key, blob, b"a|b|1") == b"secret"
    with pytest.raises(DecryptionError):
        aead_open(key, blob, b"a|b|2")
    with pytest.raises(DecryptionError):
        aead_open(new_key(), blob, b"a|b|1")
    with pytest.raises(DecryptionError):
        Envelope.parse("v0:abc:def:ghi")
