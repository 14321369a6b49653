"""Ties, declared once per column, and everything derived from them by walking foreign keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select
from sqlalchemy.orm import Session

from interpreta.clock import FrozenClock
from interpreta.datamap import completeness
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import TIE_KEY, Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base
from interpreta.platform import Platform
from interpreta.privacy import holds, retention
from interpreta.privacy.encrypted import scope_expression
from interpreta.privacy.rights.subjects import Identity, find, parts
from interpreta.schema import all_metadata
from tests.privacy.rights.seed import add_person, seed_world

ANSWER = Personal(
    category=Category.REGISTRATION,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    retention=rules.PARTICIPATION,
    scope=Scope.PROCESSOR,
)


def test_the_platform_schema_has_no_tie_problems() -> None:
    assert completeness.problems(all_metadata()) == []
    assert retention.problems(all_metadata()) == []


def test_ties_lead_through_foreign_keys_to_event_organisation_and_person() -> None:
    graph = TieGraph.of(all_metadata())
    usage = all_metadata().tables["usage_events"]
    (event,) = graph.values(usage, Tie.EVENT)  # usage -> connection -> participant -> event
    assert "participants.event_id" in str(event)
    (organisation,) = graph.values(usage, Tie.ORGANISATION)
    assert "events.organisation_id" in str(organisation)
    assert {str(e) for e in graph.values(usage, Tie.EMAIL)} != set()
    assert "coalesce(events.ended_at, events.ends_at)" in str(graph.anchor(usage, Anchor.EVENT_END))
    # a person tie is never followed through an event: an organisation's billing contact
    # is not the person a participant row is about
    assert graph.values(all_metadata().tables["participants"], Tie.EMAIL)[0].key == "email"
    assert graph.values(all_metadata().tables["topics"], Tie.EMAIL) == []


def _probe(*columns: Column) -> MetaData:  # type: ignore[type-arg]
    metadata = MetaData()
    Table("probe", metadata, Column("id", Integer, primary_key=True), *columns)
    return metadata


def test_a_personal_table_tied_to_no_one_is_reported() -> None:
    metadata = _probe(Column("nickname", String, info=personal(ANSWER, "nickname")))
    (problem,) = TieGraph(metadata, {}).problems()
    assert problem.startswith("probe: personal columns (nickname) but no tie leads")


def test_free_text_about_no_one_in_particular_needs_no_tie() -> None:
    metadata = _probe(Column("note", String, info=personal(ANSWER, "note", free_text=True)))
    assert TieGraph(metadata, {}).problems() == []


def test_an_unknown_tie_or_one_leading_nowhere_is_reported() -> None:
    metadata = MetaData()
    Table("target", metadata, Column("id", Integer, primary_key=True))
    Table(
        "probe",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("a", String, info={**personal(ANSWER, "a", tie=Tie.EMAIL), TIE_KEY: "gossip"}),
        Column("b", Integer, info=personal(ANSWER, "b", tie=Tie.OWNER)),
        Column("c", ForeignKey("target.id"), info=not_personal("c", tie=Tie.EVENT)),
    )
    found = TieGraph(metadata, {}).problems()
    assert "probe.a: unknown tie 'gossip'" in found
    assert "probe.b: an owner tie must be a foreign key" in found
    assert "probe.c: the event tie leads to no event" in found


@pytest.fixture
def answers() -> Iterator[Table]:
    """A new personal table in the platform's schema, declared one column at a time.

    This is the worked example of ARCHITECTURE.md: nothing else is declared anywhere,
    yet retention, holds, access, erasure routing and encryption scopes all find it.
    """
    table = Table(
        "probe_answers",
        Base.metadata,
        Column("id", Integer, primary_key=True, info=not_personal("row number")),
        Column(
            "participant_id",
            ForeignKey("participants.id", ondelete="CASCADE"),
            info=personal(ANSWER, "who answered", tie=Tie.OWNER),
        ),
        Column("answer", String(200), info=personal(ANSWER, "answer to a question")),
    )
    try:
        yield table
    finally:
        Base.metadata.remove(table)


def test_a_new_table_needs_only_its_column_declarations(
    platform: Platform, clock: FrozenClock, answers: Table
) -> None:
    metadata = all_metadata()
    answers.create(platform.engine)
    try:
        assert completeness.problems(metadata) == []
        assert retention.problems(metadata) == []
        assert scope_expression(answers) is not None  # encrypted under the customer's key
        now = clock.now()
        with platform.transaction() as db:
            world = seed_world(db, now)
            person = add_person(db, world, now, 1, account=False, events=(0,))
            participant = _participant_of(db, person.email)
            db.execute(answers.insert().values(participant_id=participant, answer="vegetarian"))
        with platform.sessions() as db:
            found = find(db, metadata, Identity.of(email=person.email))
            assert found.rows["probe_answers"]
            assert {p.label for p in parts(db, metadata, found)} == {
                f"processor:{world.organisations[0]}"
            }
        # a hold on the event keeps the answer past its rule; releasing it lets it go
        with platform.transaction() as db:
            hold = holds.place(
                db,
                scope=holds.HoldScope.EVENT,
                target=str(_event_of(db, participant)),
                reason="audit",
                placed_by="dpo",
                now=now,
            )
        clock.advance(timedelta(days=8, hours=9))
        platform.retention_engine().run(clock.now())
        with platform.sessions() as db:
            assert db.scalar(select(answers.c.answer)) == "vegetarian"
        with platform.transaction() as db:
            holds.release(db, hold.id, released_by="dpo", reason="done", now=clock.now())
        platform.retention_engine().run(clock.now())
        with platform.sessions() as db:
            assert db.scalar(select(answers.c.answer)) is None  # gone one week after the event
    finally:
        answers.drop(platform.engine)


def _participant_of(db: Session, email: str) -> int:
    participants = all_metadata().tables["participants"]
    found = db.scalar(select(participants.c.id).where(participants.c.email == email).limit(1))
    assert found is not None
    return int(found)


def _event_of(db: Session, participant_id: int) -> int:
    participants = all_metadata().tables["participants"]
    return int(
        db.scalar(select(participants.c.event_id).where(participants.c.id == participant_id))
    )
