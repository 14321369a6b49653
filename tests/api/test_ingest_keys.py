"""The organiser's view of an event's ingest key: shown, rotated, kept from others.

Each event has its own random ingest key (the WHIP bearer token; with the event's code,
the RTMP stream key), distinct from its speaker key. Owners and organisers see and
rotate it; an interpreter of the organisation, another organisation and nobody do not.
(What a rotation does to running feeds: ``tests/live/test_whip.py``.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from interpreta.api.events import ingest_out
from interpreta.events.models import Event
from interpreta.platform import Platform
from tests.conftest import Account, join, speaker_key_of


def test_owners_see_and_rotate_the_ingest_key(platform: Platform, sign_up: Any) -> None:
    owner: Account = sign_up("olivia")
    first = owner.create_event("Summit", ["de"])
    second = owner.create_event("Workshop")
    url = f"/api/events/{first['id']}/ingest"
    shown = owner.client.get(url)
    assert shown.status_code == 200, shown.text
    ingest = shown.json()
    assert len(ingest["key"]) >= 24
    assert ingest["whip_url"] == f"{platform.settings.base_url}/api/live/{first['code']}/whip"
    assert ingest["rtmp_url"] is None and ingest["rtmp_stream_key"] is None  # RTMP is off
    assert ingest["key"] != speaker_key_of(platform, first["id"])
    assert ingest["key"] != owner.client.get(f"/api/events/{second['id']}/ingest").json()["key"]
    assert ingest["key"] not in owner.client.get(f"/api/events/{first['id']}").text

    rotated = owner.client.post(f"/api/events/{first['id']}/ingest-key")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["key"] != ingest["key"]
    assert owner.client.get(url).json() == rotated.json()
    with platform.sessions() as db:
        stored = db.scalar(select(Event.ingest_key).where(Event.id == first["id"]))
    assert stored == rotated.json()["key"]


def test_only_the_organisers_see_it(platform: Platform, sign_up: Any) -> None:
    owner: Account = sign_up("olivia")
    interpreter: Account = sign_up("ivan")
    stranger: Account = sign_up("mallory")
    join(owner, interpreter)
    event = owner.create_event("Summit")
    before = owner.client.get(f"/api/events/{event['id']}/ingest").json()
    for account, status in ((interpreter, 403), (stranger, 404)):
        for method, path in (("GET", "ingest"), ("POST", "ingest-key")):
            response = account.client.request(method, f"/api/events/{event['id']}/{path}")
            assert response.status_code == status, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    owner.client.post("/api/auth/logout")
    assert owner.client.get(f"/api/events/{event['id']}/ingest").status_code == 401
    with platform.sessions() as db:
        stored = db.scalar(select(Event.ingest_key).where(Event.id == event["id"]))
    assert stored == before["key"]


def test_the_rtmp_address_and_stream_key_when_rtmp_is_on(platform: Platform, sign_up: Any) -> None:
    owner: Account = sign_up("olivia")
    created = owner.create_event("Summit")
    settings = platform.settings.model_copy(
        update={"rtmp_port": 1935, "public_url": "https://events.example.org"}
    )
    with platform.sessions() as db:
        event = db.get(Event, created["id"])
        assert event is not None
        ingest = ingest_out(settings, event)
    assert ingest.whip_url == f"https://events.example.org/api/live/{created['code']}/whip"
    assert ingest.rtmp_url == "rtmp://events.example.org:1935/live"
    assert ingest.rtmp_stream_key == f"{created['code']}-{ingest.key}"
