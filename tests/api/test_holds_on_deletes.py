"""P15: no delete path cascades past records a legal hold keeps; each is refused
with a clear message until the hold is released."""

from __future__ import annotations

from typing import Any

from interpreta.platform import Platform
from interpreta.privacy import holds
from interpreta.privacy.holds import HoldScope
from tests.conftest import Account, join

SignUp = Any


def _hold(platform: Platform, scope: HoldScope, target: str) -> int:
    with platform.transaction() as db:
        return holds.place(
            db,
            scope=scope,
            target=target,
            reason="litigation",
            placed_by="dpo",
            now=platform.clock.now(),
        ).id


def _release(platform: Platform, hold_id: int) -> None:
    with platform.transaction() as db:
        holds.release(db, hold_id, released_by="dpo", reason="settled", now=platform.clock.now())


def _event(owner: Account) -> dict[str, Any]:
    created = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "Held summit",
            "starts_at": "2026-12-01T09:00:00+00:00",
            "ends_at": "2026-12-01T17:00:00+00:00",
            "languages": [{"code": "de"}, {"code": "fr"}],
            "topics": ["Plenary", "Room B"],
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def _refused(response: Any) -> None:
    assert response.status_code == 409, response.text
    assert "legal hold" in response.json()["detail"]


def test_p15_deletes_inside_a_held_event_are_refused(platform: Platform, sign_up: SignUp) -> None:
    olga, ivy = sign_up("olga"), sign_up("ivy")
    join(olga, ivy)
    event = _event(olga)
    booth = event["topics"][0]["channels"][1]["booth_id"]
    url = f"/api/events/{event['id']}"
    assigned = olga.client.post(f"{url}/booths/{booth}/interpreters", json={"user_id": ivy.user_id})
    assert assigned.status_code == 201, assigned.text
    hold = _hold(platform, HoldScope.ORGANISATION, str(olga.organisation_id))
    _refused(olga.client.delete(f"{url}/topics/{event['topics'][1]['id']}"))
    _refused(olga.client.delete(f"{url}/languages/fr"))
    _refused(olga.client.delete(f"{url}/booths/{booth}/interpreters/{ivy.user_id}"))
    _refused(olga.client.delete(url))  # a draft event
    _refused(olga.client.delete(f"/api/organisations/{olga.organisation_id}/members/{ivy.user_id}"))
    assert len(olga.client.get(url).json()["topics"]) == 2  # nothing went
    _release(platform, hold)
    assert olga.client.delete(f"{url}/topics/{event['topics'][1]['id']}").status_code == 200
    assert olga.client.delete(f"{url}/languages/fr").status_code == 200


def test_p15_a_held_person_keeps_their_membership_and_event_rows(
    platform: Platform, sign_up: SignUp
) -> None:
    olga, ivy = sign_up("olga"), sign_up("ivy")
    join(olga, ivy)
    event = _event(olga)
    booth = event["topics"][0]["channels"][1]["booth_id"]
    url = f"/api/events/{event['id']}"
    olga.client.post(f"{url}/booths/{booth}/interpreters", json={"user_id": ivy.user_id})
    _hold(platform, HoldScope.EMAIL, ivy.email)
    _refused(olga.client.delete(f"/api/organisations/{olga.organisation_id}/members/{ivy.user_id}"))
    _refused(olga.client.delete(f"{url}/languages/de"))  # her assignment is in the de booth
    _refused(olga.client.delete(f"{url}/booths/{booth}/interpreters/{ivy.user_id}"))
