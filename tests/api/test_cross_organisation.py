"""Members see only their own organisation: every endpoint, read and write.

The test walks the application's routes, so an endpoint added later without a
case here fails the test until someone decides what a cross-organisation call
to it must do.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from interpreta.app import create_app
from interpreta.platform import Platform
from tests.conftest import Account, join

PUBLIC = {
    "/api/auth/signup",
    "/api/auth/login",
    "/api/auth/logout",
    "/api/join/{code}",
    "/api/privacy/public-requests",
    "/api/privacy/public-requests/confirm",
    "/api/account/verify",
    "/api/account/password-reset",
    "/api/account/password-reset/complete",
    "/api/invitations/decline",
    "/api/consent",
    "/api/status",
}

KEYED = {
    "/api/live/{code}/whip": "the WHIP ingest key (tests/live/test_whip.py)",
    "/api/live/{code}/whip/{session}": "the WHIP ingest key (tests/live/test_whip.py)",
    "/api/live/{code}/files": "the live session's token (tests/meetings)",
    "/api/live/{code}/files/{file_id}": "the live session's token (tests/meetings)",
    "/api/status/probes": "the prober's token (tests/api/test_status.py)",
}
"""Routes an account opens nothing on: each takes a key of its own, tested where named."""

TERM = {"source_language": "de", "term": "Mallory", "target_language": "en", "equivalent": "x"}

BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/api/organisations/{organisation_id}"): None,
    ("PATCH", "/api/organisations/{organisation_id}"): {"name": "Taken over"},
    ("GET", "/api/organisations/{organisation_id}/members"): None,
    ("POST", "/api/organisations/{organisation_id}/invitations"): {
        "email": "mallory@example.org",
        "role": "owner",
    },
    ("GET", "/api/organisations/{organisation_id}/invitations"): None,
    ("DELETE", "/api/organisations/{organisation_id}/invitations/{invitation_id}"): None,
    ("DELETE", "/api/account/sessions/{session_id}"): None,
    ("PATCH", "/api/organisations/{organisation_id}/members/{user_id}"): {"role": "owner"},
    ("DELETE", "/api/organisations/{organisation_id}/members/{user_id}"): None,
    ("GET", "/api/organisations/{organisation_id}/events"): None,
    ("POST", "/api/organisations/{organisation_id}/events"): {
        "title": "Injected",
        "starts_at": "2026-12-01T09:00:00+00:00",
        "ends_at": "2026-12-01T10:00:00+00:00",
    },
    ("GET", "/api/events/{event_id}"): None,
    ("PATCH", "/api/events/{event_id}"): {"title": "Defaced"},
    ("DELETE", "/api/events/{event_id}"): None,
    ("POST", "/api/events/{event_id}/topics"): {"name": "Injected topic"},
    ("DELETE", "/api/events/{event_id}/topics/{topic_id}"): None,
    ("POST", "/api/events/{event_id}/languages"): {"code": "it"},
    ("DELETE", "/api/events/{event_id}/languages/{code}"): None,
    ("POST", "/api/events/{event_id}/booths/{booth_id}/interpreters"): {"user_id": 0},
    ("DELETE", "/api/events/{event_id}/booths/{booth_id}/interpreters/{user_id}"): None,
    ("GET", "/api/organisations/{organisation_id}/privacy-requests"): None,
    ("GET", "/api/privacy/requests/{request_id}"): None,
    ("GET", "/api/privacy/requests/{request_id}/export.zip"): None,
    ("POST", "/api/privacy/requests/{request_id}/parts/{part_id}/execute"): {},
    ("POST", "/api/privacy/requests/{request_id}/parts/{part_id}/reject"): {"reason": "no"},
    ("POST", "/api/privacy/requests/{request_id}/parts/{part_id}/redact"): {
        "keys": ["booth_chat_messages:1"]
    },
    ("POST", "/api/privacy/requests/{request_id}/extend"): {
        "until": "2027-01-01T00:00:00+00:00",
        "reason": "complex",
    },
    ("GET", "/api/organisations/{organisation_id}/billing"): None,
    ("PUT", "/api/organisations/{organisation_id}/billing/address"): {
        "street": "1 Hijack Road",
        "postcode": "1000",
        "city": "Brussels",
        "country": "BE",
    },
    ("GET", "/api/organisations/{organisation_id}/invoices"): None,
    ("GET", "/api/organisations/{organisation_id}/invoices/{number}.pdf"): None,
    ("POST", "/api/staff/organisations/{organisation_id}/contracts"): {
        "plan": "standard",
        "starts_on": "2026-12-01",
    },
    ("POST", "/api/staff/contracts/{contract_id}/close"): {"reason": "takeover"},
    ("POST", "/api/staff/plans/{plan_code}/retire"): None,
    ("POST", "/api/staff/organisations/{organisation_id}/invoices"): {
        "lines": [{"description": "x", "quantity": "1", "unit": "C62", "unit_price": "1"}]
    },
    ("POST", "/api/staff/invoices/{invoice_id}/credit-notes"): {},
    ("POST", "/api/staff/invoices/{invoice_id}/payments"): {
        "amount": "1",
        "received_on": "2026-12-01",
        "processor": "bank",
        "reference": "x",
    },
    ("GET", "/api/staff/invoices/{invoice_id}.pdf"): None,
    ("GET", "/api/support/tickets/{ticket_id}"): None,
    ("POST", "/api/support/tickets/{ticket_id}/messages"): {"body": "Mallory was here"},
    ("GET", "/api/staff/tickets/{ticket_id}"): None,
    ("POST", "/api/staff/tickets/{ticket_id}/replies"): {"body": "Closed by Mallory"},
    ("PATCH", "/api/staff/tickets/{ticket_id}"): {"status": "closed"},
    ("POST", "/api/staff/incidents/{incident_id}/resolve"): None,
    ("GET", "/api/organisations/{organisation_id}/webhooks"): None,
    ("POST", "/api/organisations/{organisation_id}/webhooks"): {
        "url": "https://93.184.216.34/hijack",
        "events": ["event.created"],
    },
    ("POST", "/api/organisations/{organisation_id}/webhooks/{endpoint_id}/test"): None,
    ("POST", "/api/organisations/{organisation_id}/webhooks/{endpoint_id}/secret"): None,
    ("DELETE", "/api/organisations/{organisation_id}/webhooks/{endpoint_id}"): None,
    ("POST", "/api/events/{event_id}/speaker-link"): None,
    ("GET", "/api/events/{event_id}/ingest"): None,
    ("POST", "/api/events/{event_id}/ingest-key"): None,
    ("GET", "/api/events/{event_id}/recordings"): None,
    ("GET", "/api/events/{event_id}/recordings/{recording_id}/audio"): None,
    ("GET", "/api/events/{event_id}/recordings/{recording_id}/media"): None,
    ("GET", "/api/events/{event_id}/transcript"): None,
    ("POST", "/api/events/{event_id}/engagement"): None,
    ("GET", "/api/events/{event_id}/engagement"): None,
    ("GET", "/api/events/{event_id}/engagement/reviews"): None,
    ("GET", "/api/events/{event_id}/engagement/{estimate_id}/evidence"): None,
    ("POST", "/api/events/{event_id}/engagement/{estimate_id}/review"): {"decision": "confirm"},
    ("POST", "/api/me/engagement/{estimate_id}/review"): None,
    ("GET", "/api/events/{event_id}/registration"): None,
    ("PUT", "/api/events/{event_id}/registration"): {"mode": "open"},
    ("GET", "/api/events/{event_id}/registrations"): None,
    ("POST", "/api/events/{event_id}/registrations/{registration_id}/decision"): {"accept": False},
    ("GET", "/api/events/{event_id}/survey"): None,
    ("PUT", "/api/events/{event_id}/survey"): {"questions": []},
    ("GET", "/api/events/{event_id}/survey/results"): None,
    ("GET", "/api/events/{event_id}/glossary"): None,
    ("GET", "/api/events/{event_id}/glossary.csv"): None,
    ("POST", "/api/events/{event_id}/glossary"): TERM,
    ("POST", "/api/events/{event_id}/glossary.csv"): None,
    ("PUT", "/api/events/{event_id}/glossary/{term_id}"): TERM,
    ("DELETE", "/api/events/{event_id}/glossary/{term_id}"): None,
    ("GET", "/api/events/{event_id}/on-air"): None,
    ("GET", "/api/events/{event_id}/on-air.csv"): None,
    ("GET", "/api/organisations/{organisation_id}/usage"): None,
    ("GET", "/api/staff/organisations/{organisation_id}/usage"): None,
    ("POST", "/api/staff/organisations/{organisation_id}/usage/invoice"): {"month": "2026-11"},
    ("POST", "/api/staff/disclosures/{disclosure_id}/release"): None,
    ("GET", "/api/staff/organisations/{organisation_id}/crm"): None,
    ("POST", "/api/staff/organisations/{organisation_id}/contacts"): {
        "name": "Mallory",
        "email": "mallory@example.org",
    },
    ("PATCH", "/api/staff/contacts/{contact_id}"): {"name": "Mallory"},
    ("DELETE", "/api/staff/contacts/{contact_id}"): None,
    ("POST", "/api/staff/organisations/{organisation_id}/notes"): {"body": "Mallory was here"},
    ("POST", "/api/staff/organisations/{organisation_id}/deals"): {"title": "x", "value": 1},
    ("POST", "/api/staff/deals/{deal_id}/stage"): {"stage": "lost", "lost_reason": "x"},
}


def _routes(platform: Platform) -> list[tuple[str, str]]:
    """(method, path) of every API route, included routers' too (FastAPI keeps an
    included router whole, as one route of the app)."""
    found = []
    pending = list(create_app(platform).routes)
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
        elif isinstance(route, APIRoute) and route.path.startswith("/api"):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path))
    assert len(found) > 100, "the app's routes were not found"
    return found


@pytest.fixture
def victim(platform: Platform, sign_up: Any) -> dict[str, Any]:
    """Organisation A: an owner, an interpreter member, an event with two topics."""
    owner: Account = sign_up("alice", "Alice Events")
    interpreter: Account = sign_up("ivan", "Ivan Freelance")
    client = owner.client
    org = owner.organisation_id
    join(owner, interpreter)
    event = client.post(
        f"/api/organisations/{org}/events",
        json={
            "title": "Alice's summit",
            "starts_at": "2026-12-01T09:00:00+01:00",
            "ends_at": "2026-12-01T17:00:00+01:00",
            "timezone": "Europe/Paris",
            "languages": [{"code": "de"}, {"code": "fr"}],
            "topics": ["Plenary", "Room B"],
        },
    ).json()
    booth = event["topics"][0]["channels"][1]["booth_id"]
    assigned = client.post(
        f"/api/events/{event['id']}/booths/{booth}/interpreters",
        json={"user_id": interpreter.user_id},
    )
    assert assigned.status_code == 201, assigned.text
    invited = client.post(
        f"/api/organisations/{org}/invitations", json={"email": "nina@example.org", "role": "owner"}
    )
    assert invited.status_code == 202, invited.text
    invitation = client.get(f"/api/organisations/{org}/invitations").json()[0]["id"]
    session = client.get("/api/account/sessions").json()[0]["id"]
    endpoint = client.post(
        f"/api/organisations/{org}/webhooks",
        json={"url": "https://93.184.216.34/alice", "events": ["event.created"]},
    )
    assert endpoint.status_code == 201, endpoint.text
    ticket = client.post("/api/support/tickets", json={"subject": "Help", "body": "Please"})
    assert ticket.status_code == 201, ticket.text
    asked = interpreter.client.post("/api/privacy/requests", json={"kind": "erasure"})
    assert asked.status_code == 201, asked.text
    return {
        "client": client,
        "params": {
            "organisation_id": org,
            "event_id": event["id"],
            "topic_id": event["topics"][1]["id"],
            "booth_id": booth,
            "user_id": interpreter.user_id,
            "code": "de",
            "request_id": asked.json()["id"],
            "part_id": asked.json()["parts"][-1]["id"],
            "invitation_id": invitation,
            "session_id": session,
            "number": "2026-00001",
            "contract_id": 1,
            "plan_code": "standard",
            "invoice_id": 1,
            "ticket_id": ticket.json()["id"],
            "incident_id": 1,
            "endpoint_id": endpoint.json()["id"],
            "session": "whip-session",
            "file_id": 1,
            "recording_id": 1,
            "registration_id": 1,
            "term_id": 1,
            "contact_id": 1,
            "deal_id": 1,
            "disclosure_id": 1,
            "estimate_id": 1,
        },
        "interpreter": interpreter,
    }


def _snapshot(victim: dict[str, Any]) -> list[Any]:
    client, p = victim["client"], victim["params"]
    return [
        client.get(f"/api/organisations/{p['organisation_id']}").json(),
        client.get(f"/api/organisations/{p['organisation_id']}/members").json(),
        client.get(f"/api/organisations/{p['organisation_id']}/events").json(),
        client.get(f"/api/organisations/{p['organisation_id']}/invitations").json(),
        client.get("/api/account/sessions").json(),
        client.get("/api/support/tickets").json(),
        client.get(f"/api/organisations/{p['organisation_id']}/webhooks").json(),
    ]


def _fill(path: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)


def test_every_api_route_is_covered_here(platform: Platform) -> None:
    routes = _routes(platform)
    private = [r for r in routes if r[1] not in PUBLIC | KEYED.keys() and "{" in r[1]]
    missing = [r for r in private if r not in BODIES]
    assert missing == [], f"add these routes to BODIES: {missing}"


def test_cross_organisation_reads_and_writes_are_denied_everywhere(
    platform: Platform, sign_up: Any, victim: dict[str, Any]
) -> None:
    mallory: Account = sign_up("mallory", "Mallory Ltd")
    before = _snapshot(victim)
    body_for = dict(BODIES)
    body_for[("POST", "/api/events/{event_id}/booths/{booth_id}/interpreters")] = {
        "user_id": mallory.user_id
    }
    for (method, path), body in body_for.items():
        url = _fill(path, victim["params"])
        response = mallory.client.request(method, url, json=body)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
    assert _snapshot(victim) == before


def test_members_without_the_role_get_403_and_change_nothing(victim: dict[str, Any]) -> None:
    interpreter: Account = victim["interpreter"]
    p = victim["params"]
    before = _snapshot(victim)
    assert interpreter.client.get(f"/api/events/{p['event_id']}").status_code == 200
    for method, path in [
        ("PATCH", "/api/events/{event_id}"),
        ("DELETE", "/api/events/{event_id}"),
        ("POST", "/api/organisations/{organisation_id}/events"),
        ("PATCH", "/api/organisations/{organisation_id}"),
        ("POST", "/api/organisations/{organisation_id}/invitations"),
        ("GET", "/api/organisations/{organisation_id}/invitations"),
        ("DELETE", "/api/organisations/{organisation_id}/invitations/{invitation_id}"),
        ("GET", "/api/organisations/{organisation_id}/members"),
    ]:
        response = interpreter.client.request(method, _fill(path, p), json=BODIES[(method, path)])
        assert response.status_code == 403, (method, path, response.text)
    assert _snapshot(victim) == before


def test_signed_out_callers_get_401_on_every_private_route(
    platform: Platform, victim: dict[str, Any]
) -> None:
    from fastapi.testclient import TestClient

    anonymous = TestClient(create_app(platform), base_url="https://testserver")
    for method, path in _routes(platform):
        if path in PUBLIC | KEYED.keys():
            continue
        url = _fill(path, victim["params"])
        response = anonymous.request(method, url, json=BODIES.get((method, path)))
        assert response.status_code == 401, (method, path)
