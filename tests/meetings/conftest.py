"""Shared set-up of the meeting-content tests: one event, a host and two participants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.events.models import Participant, ParticipantRole
from interpreta.meetings import polls
from interpreta.meetings.people import Person
from interpreta.platform import Platform
from tests.privacy.rights.seed import Person as Seeded
from tests.privacy.rights.seed import World, add_person, seed_world


@dataclass
class Room:
    """The event and its people, as the content rules see them."""

    event_id: int
    host: Person
    ada: Person
    ben: Person
    world: World
    seeded: dict[str, Seeded]

    def poll(
        self,
        platform: Platform,
        question: str = "Coffee or tea?",
        options: tuple[str, ...] = ("Coffee", "Tea", "Water"),
        *,
        by: Person | None = None,
        multiple: bool = False,
        live: bool = False,
    ) -> dict[str, Any]:
        """A poll asked (by the host unless `by`), as :func:`polls.open_poll` returns it."""
        with platform.transaction() as db:
            return polls.open_poll(
                db,
                self.event_id,
                by or self.host,
                question,
                list(options),
                multiple=multiple,
                live_results=live,
                now=platform.clock.now(),
            )


def _person(platform: Platform, seeded: Seeded, event_id: int, *, host: bool) -> Person:
    with platform.transaction() as db:
        participant = db.scalars(
            select(Participant).where(
                Participant.event_id == event_id, Participant.email == seeded.email
            )
        ).one()
        if host:
            participant.role = ParticipantRole.MODERATOR
        return Person(participant.id, participant.anonymous_id, participant.first_name or "", host)


@pytest.fixture
def room(platform: Platform) -> Room:
    """An event with a host (moderating) and two participants, Ada and Ben."""
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now, customers=1)
        seeded = {
            name: add_person(db, world, now, n) for n, name in enumerate(("host", "ada", "ben"), 1)
        }
    with platform.sessions() as db:
        event_id = db.scalars(select(Participant.event_id)).first()
    assert event_id is not None
    people = {
        name: _person(platform, person, event_id, host=name == "host")
        for name, person in seeded.items()
    }
    return Room(event_id, people["host"], people["ada"], people["ben"], world, seeded)
