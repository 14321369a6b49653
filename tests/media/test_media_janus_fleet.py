"""A fleet of two Janus servers: listeners spread over both, hear a publisher on either,
and move to the survivor when one server is killed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from media_testkit import start_publisher, start_subscriber
from pydantic import ValidationError

from interpreta.app import media_plane
from interpreta.config import Settings
from interpreta.media.janus import JanusFleet, JanusMediaPlane
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess, janus_binary
from interpreta.media.plane import PeerStateChange

CHANNEL = "de"


@pytest.fixture
def servers() -> Iterator[list[JanusProcess]]:
    """Two Janus servers of this test's own (one gets killed)."""
    if janus_binary() is None:
        pytest.skip("janus is not installed (Debian package 'janus')")
    address = ensure_host_address()
    with JanusProcess(ice_address=address) as one, JanusProcess(ice_address=address) as two:
        yield [one, two]


@pytest.fixture
async def fleet(servers: list[JanusProcess]) -> AsyncIterator[JanusFleet]:
    planes = JanusFleet([JanusMediaPlane(server.url) for server in servers])
    await planes.open_channel(CHANNEL)
    yield planes
    await planes.shutdown()


def test_several_janus_urls_make_a_fleet_whose_servers_forward_to_each_other() -> None:
    urls = "ws://10.0.0.5:8188, ws://10.0.0.6:8188"
    settings = Settings(_env_file=None, media_backend="janus", janus_url=urls)  # type: ignore[call-arg]
    plane = media_plane(settings)
    assert isinstance(plane, JanusFleet)
    assert [m.url for m in plane.members] == ["ws://10.0.0.5:8188", "ws://10.0.0.6:8188"]
    assert [m.forward_host for m in plane.members] == ["10.0.0.5", "10.0.0.6"]
    with pytest.raises(ValidationError, match="ws:// or wss://"):
        Settings(_env_file=None, janus_url="ws://10.0.0.5:8188,http://10.0.0.6")  # type: ignore[call-arg]


def _member(fleet: JanusFleet, peer: str) -> int:
    return next(i for i, m in enumerate(fleet.members) if m.has_peer(peer))


async def test_listeners_spread_over_the_servers_and_all_hear_the_source(
    fleet: JanusFleet, closing: list[Any]
) -> None:
    address = [ensure_host_address()]
    closing.append(await start_publisher(fleet, CHANNEL, "anna", 880, addresses=address))
    await fleet.set_source(CHANNEL, "anna")
    ears = [await start_subscriber(fleet, CHANNEL, f"ear{n}", addresses=address) for n in range(3)]
    closing.extend(ears)
    assert {_member(fleet, f"ear{n}") for n in range(3)} == {0, 1}
    for ear in ears:
        await ear.wait_for_tone(880)
    assert fleet.listener_count(CHANNEL) == 3
    assert fleet.channel_stats(CHANNEL).source == "anna"


async def test_a_killed_server_s_listeners_hear_again_from_the_other_within_3_s(
    fleet: JanusFleet, servers: list[JanusProcess], closing: list[Any]
) -> None:
    address = [ensure_host_address()]
    failed: dict[str, float] = {}

    def note(change: PeerStateChange) -> None:
        if change.state == "failed":
            failed.setdefault(change.peer_id, time.monotonic())

    fleet.on_peer_state(note)
    closing.append(await start_publisher(fleet, CHANNEL, "anna", 880, addresses=address))
    await fleet.set_source(CHANNEL, "anna")
    ear = await start_subscriber(fleet, CHANNEL, "ear1", addresses=address)
    closing.append(ear)
    assert _member(fleet, "anna") != _member(fleet, "ear1")
    await ear.wait_for_tone(880)

    killed = time.monotonic()
    servers[_member(fleet, "ear1")].kill()
    while "ear1" not in failed:  # what the hub turns into media.lost for the page
        assert time.monotonic() - killed < 3, "the loss was not noticed"
        await asyncio.sleep(0.01)
    again = await start_subscriber(fleet, CHANNEL, "ear1-again", addresses=address)
    closing.append(again)
    heard = await again.wait_for_tone(880)
    assert heard - killed <= 3.0
    assert fleet.listener_count(CHANNEL) == 1


async def test_when_the_publisher_s_server_dies_it_publishes_again_on_the_other(
    fleet: JanusFleet, servers: list[JanusProcess], closing: list[Any]
) -> None:
    address = [ensure_host_address()]
    closing.append(await start_publisher(fleet, CHANNEL, "anna", 880, addresses=address))
    await fleet.set_source(CHANNEL, "anna")
    ear = await start_subscriber(fleet, CHANNEL, "ear1", addresses=address)
    closing.append(ear)
    await ear.wait_for_tone(880)

    servers[_member(fleet, "anna")].kill()
    closing.append(await start_publisher(fleet, CHANNEL, "anna2", 660, addresses=address))
    await fleet.set_source(CHANNEL, "anna2")
    assert _member(fleet, "anna2") == _member(fleet, "ear1")
    await ear.wait_for_tone(660, timeout=3)


async def test_a_channel_borrows_a_publisher_on_either_server(
    fleet: JanusFleet, closing: list[Any]
) -> None:
    """The English channel borrows the German booth's microphone (a retour): it is
    forwarded from the German room on its server to the English mountpoints of both."""
    address = [ensure_host_address()]
    await fleet.open_channel("en")
    closing.append(await start_publisher(fleet, CHANNEL, "de-mic", 880, addresses=address))
    ears = [await start_subscriber(fleet, "en", f"ear{n}", addresses=address) for n in range(2)]
    closing.extend(ears)
    assert {_member(fleet, f"ear{n}") for n in range(2)} == {0, 1}
    await fleet.set_source("en", "de-mic")
    for ear in ears:
        await ear.wait_for_tone(880)
    assert fleet.channel_stats("en").source == "de-mic"
    assert fleet.channel_stats("en").publishers == ()

    await fleet.close_peer("de-mic")
    assert fleet.channel_stats("en").source is None
