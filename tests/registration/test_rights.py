"""A registration, its answers and its feedback: in the registrant's access export, gone
with their erasure, and kept for the customer's period after the event (30 days by
default); and only an accepted registration's personal link lets a listener in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from interpreta.clock import FrozenClock
from interpreta.events.models import Event, ParticipantRole
from interpreta.live.access import AccessDenied, authorise
from interpreta.platform import Platform
from interpreta.registration.models import Registration, RegistrationAnswer, SurveyAnswer
from interpreta.registration.registrations import ticket_holder
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person
from tests.registration.conftest import Organised

LUNCH = [{"kind": "text", "label": "Lunch?"}]
RATING = [{"kind": "rating", "label": "How was it?"}]


def _counts(platform: Platform) -> tuple[int, int, int]:
    with platform.sessions() as db:
        return tuple(  # type: ignore[return-value]
            db.scalar(select(func.count()).select_from(m)) or 0
            for m in (Registration, RegistrationAnswer, SurveyAnswer)
        )


def _registered_with_feedback(organised: Organised, clock: FrozenClock, *who: str) -> None:
    lunch = organised.settings("automatic", questions=LUNCH)["questions"][0]["id"]
    rating = organised.owner.client.put(
        f"/api/events/{organised.event['id']}/survey", json={"questions": RATING}
    ).json()[0]["id"]
    for name in who:
        organised.register(name, **{f"q{lunch}": f"{name}-soup"})
    clock.advance(timedelta(days=8))  # the event is over
    for name in who:
        form = {"token": organised.token(name), f"q{rating}": "4"}
        assert organised.visitor.post("/survey", data=form).status_code == 200


def test_registration_data_is_exported_and_erased_with_its_person(
    organised: Organised, platform: Platform, clock: FrozenClock
) -> None:
    _registered_with_feedback(organised, clock, "ann", "ben")
    assert _counts(platform) == (2, 2, 2)
    ann = Person(0, None, "ann@example.org")
    values, _archive = exported(platform, ann)
    assert {"ann@example.org", "Ann", "ann-soup", "4"} <= set(values)
    assert "ben-soup" not in values
    erased(platform, ann)
    assert _counts(platform) == (1, 1, 1)


def test_registration_data_goes_30_days_after_the_event(
    organised: Organised, platform: Platform, clock: FrozenClock
) -> None:
    _registered_with_feedback(organised, clock, "cleo")
    engine = platform.retention_engine()
    clock.advance(timedelta(days=29))  # 29 days and 15 hours after the end
    engine.run(clock.now())
    assert _counts(platform) == (1, 1, 1)
    clock.advance(timedelta(days=1))
    engine.run(clock.now())
    assert _counts(platform) == (0, 0, 0)


def test_only_an_accepted_registrations_link_lets_a_listener_in(
    organised: Organised, platform: Platform
) -> None:
    organised.settings("automatic", 1)
    organised.register("dan")
    organised.register("eve")  # waiting list
    key = platform.secrets.session_key
    with platform.sessions() as db:
        event = db.get_one(Event, organised.event["id"])
        dan = ticket_holder(db, key, event.id, organised.ticket("dan"))
        assert dan is not None and dan.email == "dan@example.org"
        eve_token = organised.token("eve")
        for bad in (eve_token, "1.forged", "", None, 12, "x" * 200):
            assert ticket_holder(db, key, event.id, bad) is None
        assert ticket_holder(db, key, event.id + 1, organised.ticket("dan")) is None
        authorise(db, event, ParticipantRole.LISTENER, None, None, registered=True)
        with pytest.raises(AccessDenied, match="needs registration"):
            authorise(db, event, ParticipantRole.LISTENER, None, None)
