"""TURN end to end: the welcome names the deployment's TURN server with a credential
coturn accepts, and a listener that can only go through that relay hears the floor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from interpreta.app import create_app
from interpreta.clock import FrozenClock
from interpreta.config import Settings
from interpreta.platform import Platform
from tests.conftest import speaker_key_of
from tests.coturn import TurnServer, require_turnserver
from tests.live.live_client import LiveClient
from tests.live_server import serving
from tests.media.media_testkit import hide_host_addresses, start_publisher, start_subscriber

pytestmark = pytest.mark.turn


@pytest.fixture(scope="module")
def coturn() -> Iterator[TurnServer]:
    """coturn on loopback, where the embedded plane offers its media in the tests."""
    require_turnserver()
    with TurnServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def settings(settings: Settings, coturn: TurnServer) -> Settings:
    """The test's settings, naming coturn with its shared secret."""
    return settings.model_copy(
        update={"turn_urls": [coturn.url], "turn_secret": coturn.secret, "turn_credential_hours": 1}
    )


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        await thing.close()


@pytest.fixture
def event(platform: Platform, sign_up: Any) -> Iterator[tuple[str, str, int, str]]:
    """A served event with only a floor: (base URL, code, floor channel, speaker key)."""
    owner = sign_up("olivia")
    created = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        json={
            "title": "Behind a firewall",
            "starts_at": "2026-11-24T08:00:00+00:00",
            "ends_at": "2026-11-24T18:00:00+00:00",
            "languages": [],
        },
    ).json()
    floor = created["topics"][0]["channels"][0]["id"]
    with serving(create_app(platform)) as base_url:
        yield base_url, created["code"], floor, speaker_key_of(platform, created["id"])


async def test_a_listener_behind_the_relay_hears_the_floor(
    event: tuple[str, str, int, str],
    clock: FrozenClock,
    coturn: TurnServer,
    closing: list[Any],
) -> None:
    base_url, code, floor, key = event
    clock.moment = datetime.now(UTC)  # coturn checks the credential's expiry by its own clock
    speaker = await LiveClient.join(base_url, code, role="speaker", key=key)
    listener = await LiveClient.join(base_url, code, role="listener")
    closing += [speaker, listener]

    (server,) = listener.welcome["ice_servers"]
    assert server["urls"] == [coturn.url]
    assert server["username"] != speaker.welcome["ice_servers"][0]["username"]
    closing.append(await start_publisher(speaker, "", "", 440))
    relay_only = RTCConfiguration(
        iceServers=[RTCIceServer(**server)], iceTransportPolicy=RTCIceTransportPolicy.RELAY
    )
    ear = await start_subscriber(
        listener, str(floor), "", configuration=relay_only, rewrite_offer=hide_host_addresses
    )
    closing.append(ear)
    await ear.wait_for_tone(440, timeout=8)
    offered = ear.pc.localDescription.sdp
    assert offered.count("a=candidate:") == offered.count(" typ relay") > 0
