"""WHIP room feeds end to end: an aiortc encoder, the WHIP endpoint, the hub, the floor.

The encoder is a real aiortc peer sending a 440 Hz tone over WHIP (RFC 9725) with the
event's ingest key; a listener subscribed to the floor through signaling hears it, on
both media backends. A wrong or missing key, an unreadable offer and PATCH are refused
with problem documents, and nothing is recorded; DELETE, the key's rotation, the event's
end and a host's removal take the feed off the floor.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from interpreta.config import Settings
from interpreta.events.models import ConnectionSession, Event, Participant
from interpreta.live.ingest import FEED_NAMES, FeedKind
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.platform import Platform
from tests.conftest import MEDIA_BACKENDS, on_janus
from tests.live.conftest import Stage, TwoNodes
from tests.live.live_client import LiveClient
from tests.live.whip_client import WhipClient, WhipRefused
from tests.media.media_testkit import LOOPBACK, start_publisher, start_subscriber

WHIP_NAME = FEED_NAMES[FeedKind.WHIP]


@pytest.fixture
def media_backend(request: pytest.FixtureRequest) -> str:
    """The media backend: ``embedded``, or the one a test is parametrised with."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture
def settings(settings: Settings, media_backend: str, request: pytest.FixtureRequest) -> Settings:
    """The test's settings, on the session's Janus when ``media_backend`` is ``janus``."""
    if media_backend == "janus":
        return on_janus(settings, request.getfixturevalue("janus_server"))
    return settings


@pytest.fixture
def addresses(media_backend: str) -> tuple[str, ...]:
    """Where the test peers gather ICE candidates for the backend."""
    return LOOPBACK if media_backend == "embedded" else (ensure_host_address(),)


def ingest_key_of(platform: Platform, event_id: int) -> str:
    """The event's ingest key, as stored."""
    with platform.sessions() as db:
        key = db.scalar(select(Event.ingest_key).where(Event.id == event_id))
    assert key is not None
    return key


def feed_rows(platform: Platform, event_id: int) -> tuple[int, int]:
    """How many room-feed participants the event has, and how many connections they made."""
    with platform.sessions() as db:
        people = db.scalar(
            select(func.count())
            .select_from(Participant)
            .where(Participant.event_id == event_id, Participant.first_name.like("Room feed%"))
        )
        connections = db.scalar(
            select(func.count())
            .select_from(ConnectionSession)
            .join(Participant)
            .where(Participant.event_id == event_id, Participant.first_name.like("Room feed%"))
        )
    return int(people or 0), int(connections or 0)


def floor_of(state: dict[str, Any], floor: int) -> dict[str, Any]:
    """The floor channel in a state message."""
    return next(c for c in state["channels"] if c["id"] == floor)


def feed_present(state: dict[str, Any], name: str = WHIP_NAME) -> bool:
    """Whether a host's view lists the room feed among the participants."""
    return any(p["name"] == name for p in state.get("participants", []))


async def moderator(stage: Stage) -> LiveClient:
    """The event's owner on their live page (a host: sees the participants)."""
    return await LiveClient.join(stage.base_url, stage.code, role="moderator", cookie=stage.owner)


def owner_http(stage: Stage) -> httpx.Client:
    """The owner's HTTP client on the served app (the same hub as the feeds)."""
    return httpx.Client(
        base_url=stage.base_url, headers={"Cookie": f"interpreta_session={stage.owner}"}
    )


@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)
async def test_whip_feed_is_heard_on_the_floor_until_deleted(
    stage: Stage,
    platform: Platform,
    closing: list[Any],
    addresses: tuple[str, ...],
) -> None:
    host = await moderator(stage)
    listener = await LiveClient.join(stage.base_url, stage.code, role="listener")
    closing += [host, listener]
    ear = await start_subscriber(listener, str(stage.floor), "", addresses=addresses)
    closing.append(ear)

    whip = WhipClient(stage.base_url, stage.code, ingest_key_of(platform, stage.event_id))
    encoder = await start_publisher(whip, "", "", 440, addresses=addresses)
    closing.append(encoder)
    created = whip.created
    assert created.headers["content-type"] == "application/sdp"
    assert created.text.startswith("v=0")
    assert created.headers["etag"].startswith('"') and created.headers["etag"].endswith('"')
    assert whip.location.startswith(f"{stage.base_url}/api/live/{stage.code}/whip/")
    assert "PATCH" not in created.headers.get("accept-patch", "")
    assert created.headers["access-control-allow-origin"] == "*"
    assert "Location" in created.headers["access-control-expose-headers"]

    await ear.wait_for_tone(440, timeout=10)
    state = await host.latest_state(
        lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s)
    )
    assert next(p for p in state["participants"] if p["name"] == WHIP_NAME)["role"] == "speaker"
    assert feed_rows(platform, stage.event_id) == (1, 1)

    async with httpx.AsyncClient() as http:
        assert (await http.get(whip.location, headers=whip.headers)).status_code == 204
    deleted = await whip.delete()
    assert deleted.status_code == 200, deleted.text
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s)
    )
    with platform.sessions() as db:
        left = db.scalars(
            select(ConnectionSession.left_at)
            .join(Participant)
            .where(Participant.first_name == WHIP_NAME)
        ).all()
    assert left and all(t is not None for t in left), "the feed's connection was closed"
    again = await whip.delete()
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


async def test_a_wrong_or_missing_key_is_refused_and_nothing_is_recorded(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    host = await moderator(stage)
    closing.append(host)
    right = ingest_key_of(platform, stage.event_id)
    for key, invalid in ((None, False), ("not-the-key", True), (stage.speaker_key, True)):
        whip = WhipClient(stage.base_url, stage.code, key)
        with pytest.raises(WhipRefused) as refused:
            await start_publisher(whip, "", "", 440)
        response = refused.value.response
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer")
        assert ('error="invalid_token"' in challenge) is invalid
    wrong_event = WhipClient(stage.base_url, "ZZZZZZZ", right)
    with pytest.raises(WhipRefused) as unknown:
        await start_publisher(wrong_event, "", "", 440)
    assert unknown.value.response.status_code == 404
    assert feed_rows(platform, stage.event_id) == (0, 0)
    state = await host.latest_state(lambda s: True)
    assert not floor_of(state, stage.floor)["on_air"] and not feed_present(state)


async def test_an_unreadable_offer_is_a_400_problem(stage: Stage, platform: Platform) -> None:
    whip = WhipClient(stage.base_url, stage.code, ingest_key_of(platform, stage.event_id))
    offers = {
        "hello": "not SDP",
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n": "no audio",
        (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
        ): "not Opus",
        (
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\n"
        ): "no ICE credentials",
    }
    for offer, why in offers.items():
        response = await whip.post(offer)
        assert response.status_code == 400, why
        assert response.headers["content-type"] == "application/problem+json", why
        assert response.json()["title"] == "Bad request"
    wrong_type = await whip.post("v=0\r\n", content_type="application/json")
    assert wrong_type.status_code == 415
    assert wrong_type.headers["accept-post"] == "application/sdp"
    assert feed_rows(platform, stage.event_id) == (0, 0)


async def test_patch_is_not_allowed_and_options_answers_cors(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    whip = WhipClient(stage.base_url, stage.code, ingest_key_of(platform, stage.event_id))
    closing.append(await start_publisher(whip, "", "", 440))
    async with httpx.AsyncClient() as http:
        patched = await http.patch(
            whip.location,
            content=b"a=ice-ufrag:abcd\r\na=ice-pwd:efghijklmnopqrstuvwxyz12\r\n",
            headers={
                **whip.headers,
                "Content-Type": "application/trickle-ice-sdpfrag",
                "If-Match": "*",
            },
        )
        assert patched.status_code == 405
        assert patched.headers["content-type"] == "application/problem+json"
        assert "PATCH" not in patched.headers["allow"] and "DELETE" in patched.headers["allow"]

        preflight = await http.options(
            whip.endpoint,
            headers={
                "Origin": "https://encoder.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["accept-post"] == "application/sdp"
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        session_preflight = await http.options(whip.location)
        assert "DELETE" in session_preflight.headers["access-control-allow-methods"]
        assert (await http.get(whip.endpoint)).status_code == 204

        # a page of another origin may end its own session (bearer key, no cookie)
        ended = await http.delete(
            whip.location, headers={**whip.headers, "Origin": "https://encoder.example"}
        )
        assert ended.status_code == 200, ended.text


async def test_rotating_the_ingest_key_ends_the_feed(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    host = await moderator(stage)
    closing.append(host)
    old = ingest_key_of(platform, stage.event_id)
    whip = WhipClient(stage.base_url, stage.code, old)
    closing.append(await start_publisher(whip, "", "", 440))
    await host.latest_state(lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s))

    with owner_http(stage) as owner:
        shown = owner.get(f"/api/events/{stage.event_id}/ingest")
        assert shown.status_code == 200 and shown.json()["key"] == old
        rotated = owner.post(f"/api/events/{stage.event_id}/ingest-key")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["key"]
    assert new != old and new == ingest_key_of(platform, stage.event_id)
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s)
    )

    with pytest.raises(WhipRefused) as refused:
        await start_publisher(WhipClient(stage.base_url, stage.code, old), "", "", 440)
    assert refused.value.response.status_code == 401
    again = WhipClient(stage.base_url, stage.code, new)
    closing.append(await start_publisher(again, "", "", 440))
    await host.latest_state(lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s))


async def test_the_feed_follows_the_event_and_the_hosts(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    """A new speaker link leaves the feed alone; a host's removal ends it and keeps it
    out; ending the event ends it and refuses new ones."""
    host = await moderator(stage)
    closing.append(host)
    key = ingest_key_of(platform, stage.event_id)
    whip = WhipClient(stage.base_url, stage.code, key)
    closing.append(await start_publisher(whip, "", "", 440))
    state = await host.latest_state(lambda s: feed_present(s))

    with owner_http(stage) as owner:
        assert owner.post(f"/api/events/{stage.event_id}/speaker-link").status_code == 200
        await asyncio.sleep(0.5)
        state = await host.latest_state(lambda s: True)
        assert feed_present(state) and floor_of(state, stage.floor)["on_air"]

        feed_key = next(p["key"] for p in state["participants"] if p["name"] == WHIP_NAME)
        await host.request({"type": "participant.remove", "key": feed_key})
        await host.latest_state(
            lambda s: not feed_present(s) and not floor_of(s, stage.floor)["on_air"]
        )
        with pytest.raises(WhipRefused) as removed:
            await start_publisher(WhipClient(stage.base_url, stage.code, key), "", "", 440)
        assert removed.value.response.status_code == 403

        ended = owner.patch(f"/api/events/{stage.event_id}", json={"status": "ended"})
        assert ended.status_code == 200, ended.text
    with pytest.raises(WhipRefused) as refused:
        await start_publisher(WhipClient(stage.base_url, stage.code, key), "", "", 440)
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["detail"] == "The event has ended."


async def test_the_feed_ends_when_the_event_ends(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    host = await moderator(stage)
    closing.append(host)
    whip = WhipClient(stage.base_url, stage.code, ingest_key_of(platform, stage.event_id))
    closing.append(await start_publisher(whip, "", "", 440))
    await host.latest_state(lambda s: feed_present(s))
    with owner_http(stage) as owner:
        ended = owner.patch(f"/api/events/{stage.event_id}", json={"status": "ended"})
    assert ended.status_code == 200, ended.text
    deadline = time.monotonic() + 5
    while open_feeds(platform) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not open_feeds(platform), "the feed's connection ended with the event"


def open_feeds(platform: Platform) -> int:
    """The room feeds' connections still open."""
    with platform.sessions() as db:
        found = db.scalar(
            select(func.count())
            .select_from(ConnectionSession)
            .join(Participant)
            .where(Participant.first_name == WHIP_NAME, ConnectionSession.left_at.is_(None))
        )
    return int(found or 0)


async def test_the_feed_ends_when_its_peer_connection_does(
    stage: Stage, platform: Platform, closing: list[Any]
) -> None:
    host = await moderator(stage)
    closing.append(host)
    whip = WhipClient(stage.base_url, stage.code, ingest_key_of(platform, stage.event_id))
    encoder = await start_publisher(whip, "", "", 440)
    await host.latest_state(lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s))
    await encoder.wait_connected()  # on air counts from the offer; this ends a connection
    await encoder.close()  # no DELETE: the encoder just stops
    # the plane learns it from DTLS's close_notify, or when ICE consent lapses if that was
    # lost (RFC 7675: 30 s without an answer; a loaded machine notices some seconds later)
    await host.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s), timeout=120
    )
    async with httpx.AsyncClient() as http:
        assert (await http.delete(whip.location, headers=whip.headers)).status_code == 404


async def test_a_feed_on_one_node_ends_through_another(
    two_nodes: TwoNodes, platform: Platform, closing: list[Any]
) -> None:
    """DELETE and the key's rotation reach the node that runs the feed (over the bus)."""
    stage = two_nodes.stage
    host_on_b = await LiveClient.join(two_nodes.b, stage.code, role="moderator", cookie=stage.owner)
    closing.append(host_on_b)
    key = ingest_key_of(platform, stage.event_id)
    on_a = WhipClient(two_nodes.a, stage.code, key)
    closing.append(await start_publisher(on_a, "", "", 440))
    await host_on_b.latest_state(lambda s: floor_of(s, stage.floor)["on_air"] and feed_present(s))

    async with httpx.AsyncClient() as http:
        through_b = on_a.location.replace(two_nodes.a, two_nodes.b)
        assert (await http.get(through_b, headers=on_a.headers)).status_code == 204
        deleted = await http.delete(through_b, headers=on_a.headers)
    assert deleted.status_code == 200, deleted.text
    await host_on_b.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s)
    )

    again = WhipClient(two_nodes.a, stage.code, key)
    closing.append(await start_publisher(again, "", "", 440))
    await host_on_b.latest_state(lambda s: feed_present(s))
    with httpx.Client(
        base_url=two_nodes.b, headers={"Cookie": f"interpreta_session={stage.owner}"}
    ) as owner:
        assert owner.post(f"/api/events/{stage.event_id}/ingest-key").status_code == 200
    await host_on_b.latest_state(
        lambda s: not floor_of(s, stage.floor)["on_air"] and not feed_present(s)
    )
