"""The engagement estimates' API (P37, P33): the customer's switch, making the estimates
of an event, the organisers' list and review queue with its evidence, their reviews
(each bad value named), and the person's own list and request for human review; another
customer sees nothing."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from interpreta.engagement.models import EngagementEstimate, ReviewState
from interpreta.events.models import ParticipantRole
from interpreta.events.participation import join
from interpreta.meetings import chat
from interpreta.meetings.models import ChatAudience
from interpreta.meetings.people import Person
from interpreta.platform import Platform
from interpreta.recordings.models import AUDIO
from tests.api.conftest import EVENT
from tests.conftest import Account
from tests.engagement.conftest import ogg_opus, record
from tests.speech.speech_testkit import speak

SAID = "Good morning everyone and welcome to the budget meeting."


def _event_with_ada_speaking(
    platform: Platform, owner: Account, ada: Account, tmp_path: Path
) -> tuple[int, int]:
    """An event of `owner`'s in which Ada (signed up) spoke on air and chatted; the
    event's and Ada's participant IDs."""
    event = owner.client.post(f"/api/organisations/{owner.organisation_id}/events", json=EVENT)
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]
    now = platform.clock.now()
    with platform.transaction() as db:
        person = join(
            db,
            event_id=event_id,
            role=ParticipantRole.SPEAKER,
            now=now,
            user_id=ada.user_id,
            first_name="Ada",
        )
        ada_id, key = person.id, person.anonymous_id
        chat.send(
            db, event_id, Person(ada_id, key, "Ada", False), "hi", ChatAudience.EVERYONE, None, now
        )
    speech = np.frombuffer(speak(SAID, tmp_path), dtype=np.int16)
    sound = np.concatenate([np.zeros(8000, dtype=np.int16), speech, np.zeros(8000, dtype=np.int16)])
    length_ms = len(sound) // 16
    record(platform, event_id, ogg_opus(sound), AUDIO, length_ms, [(ada_id, 0, length_ms)])
    return event_id, ada_id


def _switch(owner: Account, on: Any) -> Any:
    return owner.client.patch(
        f"/api/organisations/{owner.organisation_id}", json={"engagement_estimates": on}
    )


def test_estimates_are_made_only_once_the_customer_turns_them_on(
    platform: Platform, owner: Account, sign_up: Any, tmp_path: Path
) -> None:
    event_id, _ada = _event_with_ada_speaking(platform, owner, sign_up("ada"), tmp_path)
    refused = owner.client.post(f"/api/events/{event_id}/engagement")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "turn them on" in refused.json()["detail"]

    bad = _switch(owner, "maybe")
    assert bad.status_code == 422 and "engagement_estimates" in bad.text
    assert _switch(owner, None).status_code == 422
    assert _switch(owner, True).json()["engagement_estimates"] is True

    made = owner.client.post(f"/api/events/{event_id}/engagement")
    assert made.status_code == 200, made.text
    body = made.json()
    measures = {e["measure"]: e for e in body["estimates"]}
    assert body["made"] == 3 and set(measures) == {
        "speaking_time",
        "speaking_turns",
        "chat_messages",
    }
    assert all(e["estimate"] is True and 0 <= e["confidence"] <= 1 for e in body["estimates"])
    assert measures["speaking_time"]["participant"] == "Ada"
    assert owner.client.get(f"/api/events/{event_id}/engagement").json() == body["estimates"]


def test_organisers_review_the_queue_against_its_evidence(
    platform: Platform, owner: Account, sign_up: Any, tmp_path: Path
) -> None:
    event_id, _ada = _event_with_ada_speaking(platform, owner, sign_up("ada"), tmp_path)
    _switch(owner, True)
    owner.client.post(f"/api/events/{event_id}/engagement")
    queue = owner.client.get(f"/api/events/{event_id}/engagement/reviews").json()
    assert len(queue) == 1 and queue[0]["measure"].startswith("speaking")
    estimate = queue[0]["id"]
    base = f"/api/events/{event_id}/engagement/{estimate}"

    evidence = owner.client.get(f"{base}/evidence")
    assert evidence.status_code == 200 and evidence.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(evidence.content)) as wav:
        assert wav.getframerate() == 16_000 and wav.getnframes() > 16_000  # the speech

    for body, field in (
        ({"decision": "correct"}, "value"),
        ({"decision": "confirm", "value": 2}, "value"),
        ({"decision": "correct", "value": -1}, "value"),
        ({"decision": "correct", "value": "NaN"}, "value"),
        ({"decision": "perhaps"}, "decision"),
        ({"decision": "confirm", "note": "x" * 2001}, "note"),
    ):
        bad = owner.client.post(f"{base}/review", json=body)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.headers["content-type"] == "application/problem+json"
        assert field in bad.text, (body, bad.text)
    with platform.sessions() as db:
        assert db.get_one(EngagementEstimate, estimate).review is ReviewState.QUEUED  # untouched

    done = owner.client.post(
        f"{base}/review", json={"decision": "correct", "value": 2.5, "note": "ok"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["review"] == "corrected" and done.json()["reviewed_value"] == 2.5
    assert owner.client.get(f"/api/events/{event_id}/engagement/reviews").json() == []
    counted = next(
        e["id"]
        for e in owner.client.get(f"/api/events/{event_id}/engagement").json()
        if e["measure"] == "chat_messages"
    )
    nothing = owner.client.get(f"/api/events/{event_id}/engagement/{counted}/evidence")
    assert nothing.status_code == 404  # a count has no recording to check


def test_the_person_sees_their_estimates_and_asks_for_human_review(
    platform: Platform, owner: Account, sign_up: Any, tmp_path: Path
) -> None:
    ada = sign_up("ada")
    event_id, _ada = _event_with_ada_speaking(platform, owner, ada, tmp_path)
    _switch(owner, True)
    owner.client.post(f"/api/events/{event_id}/engagement")
    mine = ada.client.get("/api/me/engagement").json()
    assert {e["measure"] for e in mine} == {"speaking_time", "speaking_turns", "chat_messages"}
    assert all(e["event_id"] == event_id for e in mine)
    chat_estimate = next(e["id"] for e in mine if e["measure"] == "chat_messages")

    asked = ada.client.post(f"/api/me/engagement/{chat_estimate}/review")
    assert asked.status_code == 200 and asked.json()["review_requested"] is True
    queue = owner.client.get(f"/api/events/{event_id}/engagement/reviews").json()
    assert queue[0]["id"] == chat_estimate and len(queue) == 2  # asked for, first

    assert owner.client.post(f"/api/me/engagement/{chat_estimate}/review").status_code == 404
    assert ada.client.post("/api/me/engagement/999999/review").status_code == 404


def test_another_customer_sees_none_of_it(
    platform: Platform, owner: Account, sign_up: Any, tmp_path: Path
) -> None:
    event_id, _ada = _event_with_ada_speaking(platform, owner, sign_up("ada"), tmp_path)
    _switch(owner, True)
    owner.client.post(f"/api/events/{event_id}/engagement")
    estimate = owner.client.get(f"/api/events/{event_id}/engagement").json()[0]["id"]
    other = sign_up("otto")
    for method, path in (
        ("post", f"/api/events/{event_id}/engagement"),
        ("get", f"/api/events/{event_id}/engagement"),
        ("get", f"/api/events/{event_id}/engagement/reviews"),
        ("get", f"/api/events/{event_id}/engagement/{estimate}/evidence"),
    ):
        assert getattr(other.client, method)(path).status_code == 404, path
    review = other.client.post(
        f"/api/events/{event_id}/engagement/{estimate}/review", json={"decision": "confirm"}
    )
    assert review.status_code == 404
    with platform.sessions() as db:
        assert {e.review for e in db.scalars(select(EngagementEstimate))} <= {
            ReviewState.NONE,
            ReviewState.QUEUED,
        }
