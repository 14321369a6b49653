"""The webhooks API: owners register public HTTPS endpoints (private and loopback ones
are refused), the events' lifecycle queues signed deliveries for them, and the secret
rotates. (No delivery is sent here: the endpoint is a public address.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.platform import Platform
from interpreta.webhooks.models import WebhookDelivery
from tests.conftest import Account, join

PUBLIC = "https://93.184.216.34/hooks"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _queued(platform: Platform) -> list[tuple[str, dict[str, Any]]]:
    with platform.sessions() as db:
        found = db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        return [(d.event_type, json.loads(d.payload)["data"]) for d in found]


def test_the_event_lifecycle_queues_deliveries(platform: Platform, sign_up: Any) -> None:
    olga: Account = sign_up("olga", "Olga Events")
    org = olga.organisation_id
    endpoint = _ok(
        olga.client.post(
            f"/api/organisations/{org}/webhooks",
            json={"url": PUBLIC, "events": ["event.created", "event.live", "event.ended"]},
        ),
        201,
    )
    assert endpoint["secret"].startswith("whsec_") and endpoint["deliveries"] == []
    event = olga.create_event("Board meeting of Olga's family office", ["de"])
    _ok(olga.client.patch(f"/api/events/{event['id']}", json={"title": "Renamed"}))
    _ok(olga.client.patch(f"/api/events/{event['id']}", json={"status": "live"}))
    _ok(olga.client.patch(f"/api/events/{event['id']}", json={"status": "ended"}))
    queued = _queued(platform)
    assert [kind for kind, _data in queued] == ["event.created", "event.live", "event.ended"]
    assert queued[0][1]["event"]["code"] == event["code"]
    assert "Board meeting" not in json.dumps(queued)  # no title, nobody's name
    listed = _ok(olga.client.get(f"/api/organisations/{org}/webhooks"))
    assert listed[0]["deliveries"][0]["event_type"] == "event.ended"

    test = olga.client.post(f"/api/organisations/{org}/webhooks/{endpoint['id']}/test")
    assert test.status_code == 202 and _queued(platform)[-1][0] == "ping"
    rotated = _ok(olga.client.post(f"/api/organisations/{org}/webhooks/{endpoint['id']}/secret"))
    assert rotated["secret"] != endpoint["secret"]
    removed = olga.client.delete(f"/api/organisations/{org}/webhooks/{endpoint['id']}")
    assert removed.status_code == 204 and _queued(platform) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://127.0.0.1:8443/hooks", "events": ["event.created"]}, "url"),
        ({"url": "https://localhost/hooks", "events": ["event.created"]}, "url"),
        ({"url": "https://192.168.1.20/hooks", "events": ["event.created"]}, "url"),
        ({"url": "http://93.184.216.34/hooks", "events": ["event.created"]}, "url"),
        ({"url": "ftp://93.184.216.34/hooks", "events": ["event.created"]}, "url"),
        ({"url": PUBLIC, "events": ["event.exploded"]}, "events"),
        ({"url": PUBLIC, "events": []}, "events"),
        ({"url": "https://93.184.216.34/\x00", "events": ["event.created"]}, "url"),
    ],
)
def test_a_bad_endpoint_is_refused(sign_up: Any, body: dict[str, Any], field: str) -> None:
    olga: Account = sign_up("olga", "Olga Events")
    org = olga.organisation_id
    refused = olga.client.post(f"/api/organisations/{org}/webhooks", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]]
    assert _ok(olga.client.get(f"/api/organisations/{org}/webhooks")) == []


def test_only_owners_manage_webhooks(sign_up: Any) -> None:
    olga: Account = sign_up("olga", "Olga Events")
    ivan: Account = sign_up("ivan", "Ivan Freelance")
    join(olga, ivan, "organiser")
    org = olga.organisation_id
    body = {"url": PUBLIC, "events": ["event.created"]}
    assert ivan.client.post(f"/api/organisations/{org}/webhooks", json=body).status_code == 403
    assert ivan.client.get(f"/api/organisations/{org}/webhooks").status_code == 403
    missing = olga.client.post(f"/api/organisations/{org}/webhooks/999/test")
    assert missing.status_code == 404
