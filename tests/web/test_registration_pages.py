"""The organisers' registration page works without JavaScript: the mode, capacity and
questions, decisions, the survey; bad input is refused with nothing changed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, RecordingMailer

NEXT_WEEK = {"starts_at": "2026-12-01T08:00:00+00:00", "ends_at": "2026-12-01T18:00:00+00:00"}


def _settings(owner: Account, event_id: int) -> Any:
    return owner.client.get(f"/api/events/{event_id}/registration").json()


def test_the_organiser_sets_registration_up_and_decides_with_plain_forms(
    sign_up: Any, app_client: TestClient, outbox: RecordingMailer
) -> None:
    owner: Account = sign_up("olivia")
    event = owner.create_event("Summit", **NEXT_WEEK)
    page = f"/events/{event['id']}/registration"
    assert "How people register" in owner.client.get(page).text
    form = {
        "mode": "approval",
        "capacity": "2",
        "r0-label": "Lunch?",
        "r0-kind": "choice",
        "r0-options": "Meat\nVegetarian\n",
        "r0-required": "yes",
        "r1-label": "",  # an empty row is no question
        "r1-kind": "text",
    }
    saved = owner.client.post(page, data=form, follow_redirects=False)
    assert saved.status_code == 303
    settings = _settings(owner, event["id"])
    assert (settings["mode"], settings["capacity"]) == ("approval", 2)
    (lunch,) = settings["questions"]
    assert lunch["options"] == ["Meat", "Vegetarian"] and lunch["required"]

    registrant = {"first_name": "Ann", "last_name": "T", "email": "ann@example.org"}
    app_client.post(f"/register/{event['code']}", data={**registrant, f"q{lunch['id']}": "Meat"})
    listed = owner.client.get(page).text
    assert "ann@example.org" in listed and "Meat" in listed and "Accept Ann" in listed
    (ann,) = owner.client.get(f"/api/events/{event['id']}/registrations").json()
    decided = owner.client.post(
        f"/events/{event['id']}/registrations/{ann['id']}",
        data={"decision": "accept"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert owner.client.get(f"/api/events/{event['id']}/registrations").json()[0]["status"] == (
        "accepted"
    )
    survey = {"s0-label": "Stars?", "s0-kind": "rating"}
    assert owner.client.post(f"/events/{event['id']}/survey", data=survey).status_code == 200
    assert owner.client.get(f"/api/events/{event['id']}/survey").json()[0]["label"] == "Stars?"


def test_bad_forms_are_refused_and_change_nothing(sign_up: Any) -> None:
    owner: Account = sign_up("olivia")
    event = owner.create_event("Summit", **NEXT_WEEK)
    page = f"/events/{event['id']}/registration"
    bad = [
        {"mode": "sometimes"},
        {"mode": "automatic", "capacity": "0"},
        {"mode": "automatic", "capacity": "many"},
        {"mode": "automatic", "r0-label": "One?", "r0-kind": "choice", "r0-options": "a"},
        {"mode": "automatic", "r0-label": "Stars?", "r0-kind": "rating"},
        {"mode": "automatic", "r0-label": "What?", "r0-kind": "poem"},
    ]
    for form in bad:
        answer = owner.client.post(page, data=form)
        assert answer.status_code == 422 and 'role="alert"' in answer.text, form
    assert _settings(owner, event["id"]) == {
        "mode": "open",
        "capacity": None,
        "accepted": 0,
        "questions": [],
    }
    decision = owner.client.post(
        f"/events/{event['id']}/registrations/1", data={"decision": "maybe"}
    )
    assert decision.status_code == 422
    stranger: Account = sign_up("mallory")
    assert stranger.client.get(page).status_code == 404
    assert stranger.client.post(page, data={"mode": "automatic"}).status_code in (403, 404)
