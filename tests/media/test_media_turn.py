"""TURN through a real coturn: our credentials open relay allocations, stale or forged
ones are refused, and peers that can only go through the relay (and show the server
nothing but mDNS host candidates, as browsers do) still publish and hear a channel, on
both media planes; end to end, the welcome's credential is one coturn accepts. (Here
rather than in tests/live, so that it runs once, not again on PostgreSQL: the database
plays no part.)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from aioice import stun
from aioice.turn import create_turn_endpoint
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy
from conftest import Backend
from media_testkit import hide_host_addresses, start_publisher, start_subscriber

from interpreta.app import create_app
from interpreta.clock import FrozenClock, SystemClock
from interpreta.config import Settings
from interpreta.live.ice_servers import turn_credential, turn_password
from interpreta.media.plane import MediaPlane
from interpreta.platform import Platform
from tests.conftest import speaker_key_of
from tests.coturn import TurnServer, turnserver_binary
from tests.live.live_client import LiveClient
from tests.live_server import serving

pytestmark = [
    pytest.mark.turn,
    pytest.mark.skipif(
        turnserver_binary() is None,
        reason="coturn is not installed (Debian package 'coturn'; scripts/test installs it)",
    ),
]

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def turn_servers() -> Iterator[dict[str, TurnServer]]:
    """coturn servers for this module, one per address, started when first asked for."""
    servers: dict[str, TurnServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


def turn_on(servers: dict[str, TurnServer], address: str) -> TurnServer:
    """The module's coturn listening and relaying on ``address``."""
    if address not in servers:
        servers[address] = TurnServer(address)
        servers[address].start()
    return servers[address]


class Echo(asyncio.DatagramProtocol):
    """A UDP peer that sends every datagram back."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)


class Inbox(asyncio.DatagramProtocol):
    """Collects what arrives through the relay."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.put_nowait(data)


async def allocate(server: TurnServer, username: str, password: str, transport: str) -> None:
    """Open an allocation on ``server`` and send a datagram through it to an echo peer
    and back; close it again. Raises what aioice raises when coturn refuses."""
    loop = asyncio.get_running_loop()
    echo_transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(server.address, 0))
    relay, inbox = await create_turn_endpoint(
        Inbox, (server.address, server.port), username, password, transport=transport
    )
    try:
        relayed = relay.get_extra_info("sockname")
        assert relayed[0] == server.address and relayed[1] != server.port
        relay.sendto(b"through the relay", echo_transport.get_extra_info("sockname"))
        assert await asyncio.wait_for(inbox.received.get(), 3) == b"through the relay"
    finally:
        relay.close()
        echo_transport.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_our_credentials_open_a_relay_allocation(
    turn_servers: dict[str, TurnServer], transport: str
) -> None:
    server = turn_on(turn_servers, "127.0.0.1")
    credential = turn_credential(server.secret, now=SystemClock().now(), lifetime=HOUR)
    expiry, opaque = credential.username.split(":")
    assert int(expiry) == int(credential.expires_at.timestamp())
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", opaque)  # random: nothing about the person
    await allocate(server, credential.username, credential.password, transport)


async def test_expired_forged_and_wrongly_signed_credentials_are_refused(
    turn_servers: dict[str, TurnServer],
) -> None:
    server = turn_on(turn_servers, "127.0.0.1")
    now = SystemClock().now()
    expired = turn_credential(server.secret, now=now - 2 * HOUR, lifetime=HOUR)
    wrong_secret = turn_credential("not the shared secret", now=now, lifetime=HOUR)
    # a stale credential whose expiry someone moved forward, keeping its password
    stale = turn_credential(server.secret, now=now - 2 * HOUR, lifetime=HOUR, opaque_id="x")
    moved = f"{int((now + HOUR).timestamp())}:x"
    attempts = {
        "expired": (expired.username, expired.password),
        "wrong secret": (wrong_secret.username, wrong_secret.password),
        "expiry moved": (moved, stale.password),
    }
    for what, (username, password) in attempts.items():
        with pytest.raises(stun.TransactionFailed) as refused:
            await allocate(server, username, password, "udp")
        assert refused.value.response.error_code == 401, what
    # the server is fine: the right password for the moved username works
    await allocate(server, moved, turn_password(server.secret, moved), "udp")


def relay_only(server: TurnServer) -> RTCConfiguration:
    """A peer that may only use relay candidates from ``server`` (a fresh credential)."""
    credential = turn_credential(server.secret, now=SystemClock().now(), lifetime=HOUR)
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(
                urls=server.url, username=credential.username, credential=credential.password
            )
        ],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    )


async def test_peers_behind_the_relay_with_mdns_candidates_publish_and_hear(
    plane: MediaPlane, backend: Backend, turn_servers: dict[str, TurnServer]
) -> None:
    server = turn_on(turn_servers, backend.addresses[0])
    await plane.open_channel("floor")
    speaker = await start_publisher(
        plane,
        "floor",
        "speaker:mic:1",
        440,
        configuration=relay_only(server),
        rewrite_offer=hide_host_addresses,
    )
    listener = await start_subscriber(
        plane,
        "floor",
        "listener:ear:1",
        configuration=relay_only(server),
        rewrite_offer=hide_host_addresses,
    )
    try:
        await plane.set_source("floor", "speaker:mic:1")
        await listener.wait_for_tone(440, timeout=8)
        for pc in (speaker.pc, listener.pc):
            assert pc.connectionState == "connected"
            candidates = pc.localDescription.sdp.count("a=candidate:")
            assert candidates == pc.localDescription.sdp.count(" typ relay") > 0
    finally:
        await listener.close()
        await speaker.close()


# --- end to end, through signaling -----------------------------------------------------


@pytest.fixture
def settings(settings: Settings, turn_servers: dict[str, TurnServer]) -> Settings:
    """The test's settings, naming the module's coturn on loopback (where the embedded
    plane offers its media in the tests) with its shared secret."""
    coturn = turn_on(turn_servers, "127.0.0.1")
    return settings.model_copy(
        update={"turn_urls": [coturn.url], "turn_secret": coturn.secret, "turn_credential_hours": 1}
    )


@pytest.fixture
def event(platform: Platform, sign_up: Any) -> Iterator[tuple[str, str, int, str]]:
    """A served event with only a floor: (base URL, code, floor channel, speaker key)."""
    owner = sign_up("olivia")
    created = owner.create_event("Behind a firewall")
    floor = created["topics"][0]["channels"][0]["id"]
    with serving(create_app(platform)) as base_url:
        yield base_url, created["code"], floor, speaker_key_of(platform, created["id"])


async def test_a_listener_behind_the_relay_hears_the_floor(
    event: tuple[str, str, int, str],
    clock: FrozenClock,
    turn_servers: dict[str, TurnServer],
    closing: list[Any],
) -> None:
    coturn = turn_on(turn_servers, "127.0.0.1")
    base_url, code, floor, key = event
    clock.moment = SystemClock().now()  # coturn checks the credential's expiry by its own clock
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
