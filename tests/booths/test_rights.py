"""The booths' data in the access export of the people it is about, and gone with their
erasure, while everyone else's stays (P27, P28): glossary entries by their author,
stints on air by their interpreter."""

from __future__ import annotations

from sqlalchemy import select

from interpreta.booths import glossary, on_air
from interpreta.booths.models import GlossaryTerm, OnAirStint
from interpreta.events.models import Channel, Participant
from interpreta.platform import Platform
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person, add_person, seed_world


def _seed(platform: Platform) -> tuple[Person, Person]:
    now = platform.clock.now()
    with platform.transaction() as db:
        world = seed_world(db, now, customers=1)
        ada, ben = (add_person(db, world, now, n) for n in (1, 2))
        channel = db.scalars(select(Channel)).one()
        event = channel.topic.event_id
        for person, word in ((ada, "ada"), (ben, "ben")):
            glossary.add(
                db,
                event,
                [glossary.TermIn("de", f"term-{word}", "en", f"equivalent-{word}", f"note-{word}")],
                person.user_id,
                now,
            )
            key = db.scalars(
                select(Participant.anonymous_id).where(Participant.user_id == person.user_id)
            ).first()
            on_air.record_changes(db, event, {channel.id: key}, now)
    return ada, ben


def test_glossary_entries_and_time_on_air_are_exported_and_erased(platform: Platform) -> None:
    ada, ben = _seed(platform)
    values, _archive = exported(platform, ada)
    found = {str(v) for v in values}
    assert {"term-ada", "equivalent-ada", "note-ada"} <= found
    assert not {"term-ben", "equivalent-ben"} & found
    with platform.sessions() as db:
        ada_stint = db.scalars(
            select(OnAirStint).join(Participant).where(Participant.user_id == ada.user_id)
        ).one()
    assert ada_stint.started_at.isoformat() in found or str(ada_stint.started_at) in found

    erased(platform, ada)
    with platform.sessions() as db:
        assert [t.term for t in db.scalars(select(GlossaryTerm))] == ["term-ben"]
        interpreters = set(
            db.scalars(
                select(Participant.user_id).join(
                    OnAirStint, OnAirStint.participant_id == Participant.id
                )
            )
        )
    assert interpreters == {ben.user_id}
