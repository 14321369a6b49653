"""Others' texts that name an erased person are found and offered to the customer."""

from __future__ import annotations

from sqlalchemy import select

from interpreta.events.models import BoothChatMessage, Participant
from interpreta.platform import Platform
from interpreta.privacy.rights.models import RequestKind
from interpreta.privacy.rights.requests import Rights
from tests.conftest import RecordingMailer
from tests.privacy.rights.seed import add_person, seed_world


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
        outcomes = {
            part.organisation_id: rights.execute(db, part, actor_user_id=9)
            for part in list(request.parts)
        }
    offered = outcomes[world.organisations[0]]["mentions"]
    assert sorted(m["key"] for m in offered) == sorted([ids["names"], ids["mails"]])
    assert {m["table"] for m in offered} == {"booth_chat_messages"}
    with platform.sessions() as db:  # the writer's messages stay until the customer decides
        assert db.get_one(BoothChatMessage, ids["names"]).body == texts["names"]
