"""Others' texts that name an erased person are found and offered to the customer."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.errors import Problem
from interpreta.events.models import BoothChatMessage, Participant
from interpreta.platform import Platform
from interpreta.privacy.rights.models import DataSubjectRequest, RequestKind, RequestPart
from interpreta.privacy.rights.requests import Rights
from tests.conftest import RecordingMailer
from tests.privacy.rights.seed import add_person, seed_world


def _part(db: Session, request_id: int, organisation_id: int) -> RequestPart:
    request = db.get_one(DataSubjectRequest, request_id)
    return next(p for p in request.parts if p.organisation_id == organisation_id)


def test_p30_messages_by_others_that_name_the_person_are_offered_for_redaction(
    platform: Platform,
) -> None:
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now)
        person = add_person(db, world, now, 1, account=False, events=(0,))
        writer = add_person(db, world, now, 2, account=False, events=(0,))
        writer_id = db.scalar(select(Participant.id).where(Participant.email == writer.email))
        texts = {
            "names": "Ask FIRST1X   last1x about the glossary",  # case and spacing differ
            "mails": "her address is Person1@Example.org",
            "other": "the glossary is in the shared folder",
            "short": "First1x said hello",  # the first name alone is not the name
        }
        ids = {}
        for label, body in texts.items():
            message = BoothChatMessage(
                booth_id=world.booths[0], participant_id=writer_id, body=body, sent_at=now
            )
            db.add(message)
            db.flush()
            ids[label] = message.id
    rights = Rights.of(platform, RecordingMailer())
    with platform.transaction() as db:
        request = rights.logged_by_staff(
            db, staff_user_id=9, kind=RequestKind.ERASURE, email=person.email
        )
        request_id = request.id
        outcomes = {
            part.organisation_id: rights.execute(db, part, actor_user_id=9)
            for part in list(request.parts)
        }
    offered = outcomes[world.organisations[0]]["mentions"]
    assert sorted(m["row"] for m in offered) == sorted([ids["names"], ids["mails"]])
    assert {m["key"] for m in offered} == {
        f"booth_chat_messages:{ids[k]}" for k in ("names", "mails")
    }
    assert {m["table"] for m in offered} == {"booth_chat_messages"}
    with platform.sessions() as db:  # the writer's messages stay until the customer decides
        assert db.get_one(BoothChatMessage, ids["names"]).body == texts["names"]

    with platform.transaction() as db:
        part = next(
            p for p in db.merge(request).parts if p.organisation_id == world.organisations[0]
        )
        assert rights.redact_mentions(db, part, actor_user_id=5, keys=[_key(ids["names"])]) == 1
    with platform.sessions() as db:
        assert db.get_one(BoothChatMessage, ids["names"]).body == "[redacted]"
        assert db.get_one(BoothChatMessage, ids["mails"]).body == texts["mails"]
    for wrong in ([_key(ids["names"])], [_key(ids["other"])]):  # done already; never listed
        with pytest.raises(Problem), platform.transaction() as db:
            part = _part(db, request_id, world.organisations[0])
            rights.redact_mentions(db, part, actor_user_id=5, keys=wrong)
    with platform.sessions() as db:
        assert db.get_one(BoothChatMessage, ids["other"]).body == texts["other"]


def _key(row: int) -> str:
    """A booth chat message's key among the mentions an erasure lists."""
    return f"booth_chat_messages:{row}"
