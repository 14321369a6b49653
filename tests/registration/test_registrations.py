"""Registering: the organiser's questions, automatic acceptance while places last, the
waiting list, approval, cancelling, and the invitations (RFC 5546) each step mails."""

from __future__ import annotations

from sqlalchemy import func, select

from interpreta.platform import Platform
from interpreta.registration.models import Registration, RegistrationAnswer
from tests.registration.conftest import Organised, calendar_of

QUESTIONS = [
    {"kind": "choice", "label": "Lunch?", "options": ["Meat", "Vegetarian"], "required": True},
    {"kind": "text", "label": "Anything we should know?"},
    {"kind": "consent", "label": "Photos may show me", "required": True},
]


def _statuses(organised: Organised) -> dict[str, str]:
    return {r["first_name"]: r["status"] for r in organised.registrations()}


def test_automatic_acceptance_while_places_last_then_the_waiting_list(
    organised: Organised,
) -> None:
    settings = organised.settings("automatic", 1, questions=QUESTIONS)
    q = {question["label"]: f"q{question['id']}" for question in settings["questions"]}
    answers = {q["Lunch?"]: "Vegetarian", q["Photos may show me"]: "yes"}
    first = organised.register("ann", **answers, **{q["Anything we should know?"]: "Wheelchair"})
    assert first.status_code == 200 and "We mailed you" in first.text
    organised.register("ben", **answers)
    assert _statuses(organised) == {"Ann": "accepted", "Ben": "waitlisted"}
    listed = {r["first_name"]: r for r in organised.registrations()}
    assert listed["Ann"]["answers"][q["Lunch?"]] == "Vegetarian"
    assert listed["Ann"]["answers"][q["Anything we should know?"]] == "Wheelchair"

    (accepted,) = organised.mails_to("ann")
    invitation = calendar_of(accepted)
    assert invitation is not None and str(invitation["METHOD"]) == "REQUEST"
    vevent = invitation.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Summit" and int(vevent["SEQUENCE"]) == 0
    assert f"/join/{organised.event['code']}?ticket=" in str(vevent["URL"])
    assert calendar_of(organised.mails_to("ben")[0]) is None  # waiting: no invitation

    # Ann cancels from her page: Ben is let in, Ann's calendar entry is cancelled
    token = organised.token("ann")
    page = organised.visitor.get(f"/registration?token={token}")
    assert page.status_code == 200 and "You are registered." in page.text
    done = organised.visitor.post("/registration/cancel", data={"token": token})
    assert done.status_code == 200 and "You cancelled your registration." in done.text
    assert _statuses(organised) == {"Ann": "cancelled", "Ben": "accepted"}
    cancelled = calendar_of(organised.mails_to("ann")[-1])
    assert cancelled is not None and str(cancelled["METHOD"]) == "CANCEL"
    assert cancelled.walk("VEVENT")[0]["UID"] == vevent["UID"]
    assert int(cancelled.walk("VEVENT")[0]["SEQUENCE"]) > int(vevent["SEQUENCE"])
    let_in = calendar_of(organised.mails_to("ben")[-1])
    assert let_in is not None and str(let_in["METHOD"]) == "REQUEST"


def test_approval_keeps_registrations_pending_until_an_organiser_decides(
    organised: Organised,
) -> None:
    organised.settings("approval")
    organised.register("cleo")
    organised.register("dan")
    assert _statuses(organised) == {"Cleo": "pending", "Dan": "pending"}
    ids = {r["first_name"]: r["id"] for r in organised.registrations()}
    base = f"/api/events/{organised.event['id']}/registrations"
    client = organised.owner.client
    assert client.post(f"{base}/{ids['Cleo']}/decision", json={"accept": True}).status_code == 204
    assert client.post(f"{base}/{ids['Dan']}/decision", json={"accept": False}).status_code == 204
    assert _statuses(organised) == {"Cleo": "accepted", "Dan": "declined"}
    first = calendar_of(organised.mails_to("cleo")[-1])
    assert first is not None
    assert "declined" in organised.mails_to("dan")[-1].subject

    # declined after all, then accepted again: a new calendar entry, not an old REQUEST
    # that calendars would ignore after the CANCEL
    assert client.post(f"{base}/{ids['Cleo']}/decision", json={"accept": False}).status_code == 204
    cancel = calendar_of(organised.mails_to("cleo")[-1])
    assert client.post(f"{base}/{ids['Cleo']}/decision", json={"accept": True}).status_code == 204
    again = calendar_of(organised.mails_to("cleo")[-1])
    assert cancel is not None and again is not None
    uid = first.walk("VEVENT")[0]["UID"]
    assert str(cancel["METHOD"]) == "CANCEL" and cancel.walk("VEVENT")[0]["UID"] == uid
    assert str(again["METHOD"]) == "REQUEST" and again.walk("VEVENT")[0]["UID"] != uid


def test_registering_twice_mails_the_registration_again_and_tells_nobody(
    organised: Organised, platform: Platform
) -> None:
    organised.settings("automatic")
    first, again = organised.register("eve"), organised.register("eve")
    assert first.text.count("We mailed you") == again.text.count("We mailed you") == 1
    assert len(organised.mails_to("eve")) == 2
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Registration)) == 1


def test_bad_input_is_refused_with_nothing_stored(organised: Organised, platform: Platform) -> None:
    settings = organised.settings("automatic", questions=QUESTIONS)
    q = {question["label"]: f"q{question['id']}" for question in settings["questions"]}
    good = {q["Lunch?"]: "Meat", q["Photos may show me"]: "yes"}
    code = organised.event["code"]
    refused = [
        {**good, q["Lunch?"]: "Fish"},  # not an option
        {q["Lunch?"]: "Meat"},  # the required box not ticked
        {**good, q["Photos may show me"]: "no"},
        {**good, q["Anything we should know?"]: "x" * 2001},
    ]
    for answers in refused:
        answer = organised.register("fay", **answers)
        assert answer.status_code == 422, answers
        assert 'role="alert"' in answer.text
    base = {"first_name": "Fay", "last_name": "T", **good}
    for form in (
        {**base, "email": "not-an-address"},
        {**base, "email": "f@x.org", "first_name": " "},
    ):
        assert organised.visitor.post(f"/register/{code}", data=form).status_code == 422
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Registration)) == 0
        assert db.scalar(select(func.count()).select_from(RegistrationAnswer)) == 0
    assert organised.outbox.sent == organised.outbox.sent[:0] + [
        m for m in organised.outbox.sent if "fay" not in m.to and "f@x.org" not in m.to
    ]
    bad_settings = [
        {"mode": "automatic", "questions": [{"kind": "choice", "label": "One?", "options": ["a"]}]},
        {"mode": "automatic", "questions": [{"kind": "rating", "label": "Stars?"}]},
        {"mode": "sometimes"},
        {"mode": "automatic", "capacity": 0},
        {"mode": "automatic", "questions": [{"kind": "text", "label": ""}]},
    ]
    for body in bad_settings:
        answer = organised.owner.client.put(
            f"/api/events/{organised.event['id']}/registration", json=body
        )
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"


def test_an_event_without_registration_has_no_form(organised: Organised) -> None:
    page = organised.visitor.get(f"/register/{organised.event['code']}")
    assert page.status_code == 404
    assert organised.register("gil").status_code == 404


def test_saving_the_settings_again_keeps_the_answers_given(
    organised: Organised, platform: Platform
) -> None:
    settings = organised.settings("automatic", 5, questions=QUESTIONS)
    lunch, _notes, photos = settings["questions"]
    organised.register("hal", **{f"q{lunch['id']}": "Meat", f"q{photos['id']}": "yes"})
    same = [{**q, "id": q["id"]} for q in settings["questions"][:2]]  # the consent box goes
    again = organised.settings("automatic", 9, questions=same)
    assert [q["id"] for q in again["questions"]] == [q["id"] for q in same]
    (hal,) = organised.registrations()
    assert hal["answers"] == {f"q{lunch['id']}": "Meat"}  # the photos' answer went with it
    form = {
        "mode": "automatic",
        "capacity": "9",
        "r0-id": str(lunch["id"]),
        "r0-label": "Lunch, please?",
        "r0-kind": "choice",
        "r0-options": "Meat\nVegetarian",
    }
    page = f"/events/{organised.event['id']}/registration"
    assert organised.owner.client.post(page, data=form, follow_redirects=False).status_code == 303
    (hal,) = organised.registrations()
    assert hal["answers"] == {f"q{lunch['id']}": "Meat"}
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(RegistrationAnswer)) == 1
