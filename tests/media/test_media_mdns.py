"""Peers whose offers name no address, only mDNS host candidates (``<uuid>.local``), as
a browser's do when the page has not asked for the microphone: without any STUN or TURN
server they still connect, on both planes, and their answer does not wait for an mDNS
lookup that cannot succeed.
"""

from __future__ import annotations

import asyncio
import time

from conftest import Backend
from media_testkit import (
    LOOPBACK,
    hide_host_addresses,
    new_peer_connection,
    start_publisher,
    start_subscriber,
)

from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.forwarder.aiortc_hooks import host_addresses
from interpreta.media.forwarder.mdns import without_mdns_candidates
from interpreta.media.plane import MediaPlane


async def test_peers_offering_only_mdns_names_connect_at_once(
    plane: MediaPlane, backend: Backend
) -> None:
    await plane.open_channel("floor")
    asked = time.monotonic()
    speaker = await start_publisher(
        plane,
        "floor",
        "speaker:mic:1",
        440,
        addresses=backend.addresses,
        rewrite_offer=hide_host_addresses,
    )
    listener = await start_subscriber(
        plane,
        "floor",
        "listener:ear:1",
        addresses=backend.addresses,
        rewrite_offer=hide_host_addresses,
    )
    answered = time.monotonic() - asked
    try:
        await plane.set_source("floor", "speaker:mic:1")
        await listener.wait_for_tone(440, timeout=5)
        assert answered < 0.8, f"two answers took {answered:.2f} s (an mDNS lookup is 1 s)"
    finally:
        await listener.close()
        await speaker.close()


def test_mdns_candidates_are_dropped_and_the_rest_kept() -> None:
    host = "a=candidate:1 1 udp 2122260223 4b1c9c8e-7d7a-4c5e-9a4e-3f1f0b6a1d2c.local 5000 typ host"
    relay = "a=candidate:2 1 udp 16777215 192.0.2.7 6000 typ relay raddr 0.0.0.0 rport 9"
    end = "a=end-of-candidates"
    both = without_mdns_candidates("\r\n".join(["v=0", host, relay, end, ""]))
    assert both.sdp == "\r\n".join(["v=0", relay, end, ""]) and not both.awaits_checks
    alone = without_mdns_candidates("\r\n".join(["v=0", host, end, ""]))
    assert alone.sdp == "v=0\r\n" and alone.awaits_checks
    plain = "\r\n".join(["v=0", relay, end, ""])
    assert without_mdns_candidates(plain).sdp == plain


async def test_the_embedded_plane_closes_a_peer_that_named_no_address_and_never_came() -> None:
    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK, connect_timeout=0.5)
    states: list[str] = []
    plane.on_peer_state(lambda change: states.append(change.state))
    await plane.open_channel("floor")
    pc = new_peer_connection()
    pc.addTransceiver("audio", direction="recvonly")
    with host_addresses(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    # the answer never reaches the peer, so it sends no checks
    await plane.subscribe("floor", "listener:ear:1", hide_host_addresses(pc.localDescription.sdp))
    assert plane.listener_count("floor") == 1
    deadline = time.monotonic() + 3
    try:
        while plane.listener_count("floor") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert plane.listener_count("floor") == 0
        assert states[-1] == "closed"
    finally:
        await pc.close()
        await plane.shutdown()
