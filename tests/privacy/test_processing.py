"""Processing activities enforced where statements execute (P02, P31, P32, consent)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from interpreta.clock import FrozenClock
from interpreta.datamap import activities
from interpreta.datamap.activities import ACTIVITIES, Activity
from interpreta.datamap.ties import email_digest
from interpreta.datamap.vocabulary import LegalBasis, Purpose
from interpreta.events.models import Participant, ParticipantRole
from interpreta.events.statistics import EventStatistic
from interpreta.platform import Platform
from interpreta.privacy.marks import MarkKind, ProcessingMark
from interpreta.privacy.processing import (
    Enforcement,
    ProcessingStopped,
    UndeclaredProcessing,
    processing,
)
from interpreta.schema import all_metadata
from tests.privacy.rights.seed import World, add_person, seed_world

MARKS = ("restricted", "objecting", "unmarked")


@dataclass
class People:
    """One person per mark, each with an account and a participation in event 0."""

    world: World
    user_ids: dict[str, int]
    emails: dict[str, str]


def _mark(db: Session, kind: MarkKind, user_id: int, email: str, purposes: str = "") -> None:
    db.add(
        ProcessingMark(
            kind=kind,
            user_id=user_id,
            email_digest=email_digest(email),
            purposes=purposes,
            created_at=db.info["now"],
        )
    )


def _people(platform: Platform, objection: tuple[MarkKind, str] | None = None) -> People:
    now = platform.clock.now()
    with platform.transaction() as db:
        db.info["now"] = now
        world = seed_world(db, now, customers=1)
        people = [add_person(db, world, now, i + 1, events=(0,)) for i in range(len(MARKS))]
        user_ids = {name: p.user_id for name, p in zip(MARKS, people, strict=True)}
        emails = {name: p.email for name, p in zip(MARKS, people, strict=True)}
        assert all(isinstance(u, int) for u in user_ids.values())
        _mark(db, MarkKind.RESTRICTION, user_ids["restricted"], emails["restricted"])
        kind, purposes = objection or (MarkKind.OBJECTION, "")
        _mark(db, kind, user_ids["objecting"], emails["objecting"], purposes)
    return People(world, user_ids, emails)  # type: ignore[arg-type]


def _objection_to(activity: Activity) -> tuple[MarkKind, str]:
    if Purpose.MARKETING in activity.purposes:
        return MarkKind.MARKETING_OBJECTION, ""
    return MarkKind.OBJECTION, ",".join(p.value for p in activity.purposes)


def _visible(platform: Platform, activity: Activity, people: People) -> set[str]:
    """Whose participation rows a plain Core select sees inside the activity (the row
    keys are not personal, so any activity may select them; the marks decide)."""
    table = all_metadata().tables["participants"]
    with processing(activity), platform.engine.connect() as connection:
        seen = set(connection.scalars(select(table.c.id)))
    with platform.sessions() as db:
        owners = dict(db.execute(select(table.c.id, table.c.user_id)).all())
    return {name for name, uid in people.user_ids.items() if uid in {owners[i] for i in seen}}


@pytest.mark.parametrize("activity", ACTIVITIES, ids=lambda a: a.key)
def test_p31_p32_every_activity_leaves_out_whom_its_marks_stop(
    platform: Platform, activity: Activity
) -> None:
    people = _people(platform, _objection_to(activity))
    visible = _visible(platform, activity, people)
    expected = {"unmarked"}
    if not activity.restrictable:
        expected.add("restricted")
    if not activity.objectionable:
        expected.add("objecting")
    assert visible == expected


@pytest.mark.parametrize("activity", ACTIVITIES, ids=lambda a: a.key)
def test_p32_an_objection_naming_no_purpose_stops_every_legitimate_interest(
    platform: Platform, activity: Activity
) -> None:
    people = _people(platform, (MarkKind.OBJECTION, ""))
    stopped = activity.objectionable and activity.basis is LegalBasis.LEGITIMATE_INTEREST
    assert ("objecting" not in _visible(platform, activity, people)) is stopped
    if activity is activities.CUSTOMER_RELATIONSHIP:
        assert stopped  # the CRM's sales and account management, not only analytics


def test_the_matrix_covers_every_kind_of_activity() -> None:
    assert any(a.restrictable and a.objectionable for a in ACTIVITIES)  # statistics, marketing
    assert any(a.restrictable and not a.objectionable for a in ACTIVITIES)  # contract
    assert any(not a.restrictable for a in ACTIVITIES)  # legal duty, storage


def test_p31_p32_the_marks_hold_on_customer_accounts_too(platform: Platform) -> None:
    people = _people(platform, _objection_to(activities.MARKETING))
    users = all_metadata().tables["users"]
    with processing(activities.MARKETING), platform.engine.connect() as connection:
        seen = set(connection.scalars(select(users.c.id)))
    assert seen & set(people.user_ids.values()) == {people.user_ids["unmarked"]}


def test_p32_overriding_grounds_bring_the_objecting_person_back(platform: Platform) -> None:
    statistics = activities.STATISTICS
    people = _people(platform, _objection_to(statistics))
    assert "objecting" not in _visible(platform, statistics, people)
    with platform.transaction() as db:
        mark = db.scalars(
            select(ProcessingMark).where(ProcessingMark.user_id == people.user_ids["objecting"])
        ).one()
        mark.overriding_grounds = "investigating abuse of the service"
    assert "objecting" in _visible(platform, statistics, people)


CONSENTED = Activity(
    key="test_consented",
    title="A consent-based test activity",
    what="Reads participants' event IDs, with their consent.",
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONSENT,
    subjects=(),
    audiences=(),
    reads=("participants.*",),
)


def test_a_consent_based_activity_stops_when_consent_is_withdrawn(platform: Platform) -> None:
    people = _people(platform)
    with platform.transaction() as db:
        db.info["now"] = platform.clock.now()
        user = people.user_ids["unmarked"]
        _mark(db, MarkKind.CONSENT_WITHDRAWN, user, people.emails["unmarked"], "provide_events")
    assert _visible(platform, CONSENTED, people) == {"objecting"}  # restricted: stopped too
    # the same person is still processed by the contract-based live event
    assert "unmarked" in _visible(platform, activities.LIVE_EVENT, people)


def test_p02_reading_a_column_the_activity_does_not_declare_fails(platform: Platform) -> None:
    _people(platform)
    with processing(activities.MARKETING), platform.sessions() as db:
        db.scalars(select(Participant.id)).all()  # not personal: fine
        with pytest.raises(UndeclaredProcessing, match=r"participants\.email"):
            db.scalars(select(Participant.email)).all()
        with pytest.raises(UndeclaredProcessing, match="participants"):
            db.scalars(select(Participant)).all()  # the whole row: every column
    with processing(activities.MARKETING), platform.engine.connect() as connection:
        table = all_metadata().tables["participants"]
        with pytest.raises(UndeclaredProcessing, match=r"participants\.first_name"):
            connection.execute(select(table.c.id).where(table.c.first_name == "Ann"))


def test_p02_writing_a_column_the_activity_does_not_declare_fails(platform: Platform) -> None:
    people = _people(platform)
    table = all_metadata().tables["participants"]
    with (
        processing(activities.STATISTICS),
        platform.engine.begin() as connection,
        pytest.raises(UndeclaredProcessing, match="writes participants"),
    ):
        connection.execute(
            insert(table).values(
                event_id=1,
                role="listener",
                anonymous_id="p_probe",
                email="x@example.org",
                created_at=platform.clock.now(),
            )
        )
    with processing(activities.LIVE_EVENT), platform.engine.begin() as connection:
        connection.execute(
            insert(table).values(
                event_id=1, role="listener", anonymous_id="p_ok", created_at=platform.clock.now()
            )
        )
    assert people.world.organisations


def test_platform_code_touching_personal_data_outside_any_activity_fails(
    platform: Platform,
) -> None:
    namespace: dict[str, Any] = {"__name__": "interpreta.some_module", "select": select}
    exec(  # a function that sits in the platform's package, as far as the guard can tell
        "def read(db, table):\n    return db.execute(select(table.c.email)).all()\n",
        namespace,
    )
    table = all_metadata().tables["users"]
    with platform.sessions() as db:
        with pytest.raises(UndeclaredProcessing, match=r"interpreta\.some_module:2"):
            namespace["read"](db, table)
        assert db.execute(select(table.c.email)).all() == []  # a test may inspect


def test_in_production_undeclared_processing_is_logged_once(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    from interpreta.privacy.processing import install

    guard = install(platform.engine, all_metadata(), Enforcement.LOG)
    try:
        caplog.set_level(logging.ERROR, "interpreta.privacy.processing")
        message = "activity 'marketing' reads participants.email, which it does not declare"
        guard.enforcement = Enforcement.LOG
        for _ in range(2):
            guard._violation(message)
        assert [r.getMessage() for r in caplog.records].count(f"undeclared processing: {message}")
    finally:
        from sqlalchemy import event

        event.remove(platform.engine, "before_execute", guard.before_execute)


def test_p31_a_restricted_person_cannot_start_a_per_person_activity(platform: Platform) -> None:
    people = _people(platform)
    with platform.sessions() as db:
        with (
            pytest.raises(ProcessingStopped, match="restriction"),
            processing(activities.LIVE_EVENT, session=db, user_id=people.user_ids["restricted"]),
        ):
            pass
        with processing(activities.LIVE_EVENT, session=db, user_id=people.user_ids["objecting"]):
            pass  # an objection does not stop what a contract needs
        with processing(activities.PRIVACY_REQUESTS, session=db, email=people.emails["restricted"]):
            pass  # answering the person's requests is a legal duty (Art. 18(2))


def test_p31_p32_statistics_do_not_count_restricted_or_objecting_listeners(
    platform: Platform, clock: FrozenClock
) -> None:
    people = _people(platform)
    with platform.transaction() as db:
        db.execute(
            Participant.__table__.update()  # type: ignore[attr-defined]
            .where(Participant.user_id.in_(list(people.user_ids.values())))
            .values(role=ParticipantRole.LISTENER)
        )
    clock.advance(timedelta(days=9))
    platform.retention_engine().run(clock.now())
    with platform.sessions() as db:
        figures = {(s.metric, s.dimension): s.value for s in db.scalars(select(EventStatistic))}
    # one listener counted (the unmarked one): suppressed below five, but the cell exists
    assert ("device_share", "desktop") in figures or ("device_share", "unknown") in figures
    assert all(v is None for v in figures.values())


def test_p31_retention_leaves_restricted_people_s_rows(
    platform: Platform, clock: FrozenClock
) -> None:
    people = _people(platform)
    clock.advance(timedelta(days=9))
    platform.retention_engine().run(clock.now())
    with platform.sessions() as db:
        left = set(db.scalars(select(Participant.user_id)))
    assert left == {people.user_ids["restricted"]}


def test_every_activity_is_declared_against_the_schema() -> None:
    assert activities.problems(all_metadata()) == []
    doubled = replace(activities.MARKETING, reads=("participants.email", "nowhere.at_all"))
    found = activities.problems(all_metadata(), [doubled, doubled])
    assert "activity 'marketing' declared twice" in found
    assert "activity 'marketing': 'nowhere.at_all' names no column" in found
    assert any("participants.email, which declares none of its purposes" in p for p in found)


def test_p03_every_personal_column_is_collected_by_some_activity() -> None:
    assert activities.unwritten(all_metadata()) == []
    without_email = replace(
        activities.LIVE_EVENT,
        writes=tuple(w for w in activities.LIVE_EVENT.writes if w != "participants.email"),
    )
    others = [a for a in ACTIVITIES if a is not activities.LIVE_EVENT]
    assert activities.unwritten(all_metadata(), [*others, without_email]) == ["participants.email"]


def test_text_statements_are_not_checked(platform: Platform) -> None:
    """Documented limit: textual SQL is not parsed (the platform uses it only for
    PRAGMAs, locks and the audit chain's head, none of them personal data)."""
    with processing(activities.MARKETING), platform.engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
