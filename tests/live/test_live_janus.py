"""A live event end to end on the Janus media backend: signaling, the hub, Janus.

The same stage as ``test_live_session.py`` (German and French booths, real aiortc peers,
real tones), served by an app whose settings choose ``INTERPRETA_MEDIA_BACKEND=janus``.
The peers gather ICE candidates on the private address Janus uses.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from interpreta.config import Settings
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess
from tests.conftest import janus_handles, on_janus
from tests.live.conftest import Stage, TwoNodes
from tests.live.live_client import LiveClient
from tests.media.media_testkit import start_publisher, start_subscriber


@pytest.fixture
def settings(settings: Settings, janus_server: JanusProcess) -> Settings:
    """The test's settings, choosing the session's Janus."""
    return on_janus(settings, janus_server)


async def test_handover_relay_and_language_switch_on_janus(
    stage: Stage,
    closing: list[Any],
    janus_server: JanusProcess,
) -> None:
    here = (ensure_host_address(),)
    join = LiveClient.join
    speaker = await join(stage.base_url, stage.code, role="speaker", key=stage.speaker_key)
    anna, bernd, chloe = [
        await join(stage.base_url, stage.code, role="interpreter", cookie=stage.interpreters[n])
        for n in ("anna", "bernd", "chloe")
    ]
    listener = await join(stage.base_url, stage.code, role="listener")
    closing += [speaker, anna, bernd, chloe, listener]

    closing.append(await start_publisher(speaker, "", "", 440, addresses=here))
    closing.append(await start_publisher(anna, "", "", 880, addresses=here))
    closing.append(await start_publisher(bernd, "", "", 1320, addresses=here))
    await anna.request({"type": "mic", "on": True})
    ear = await start_subscriber(listener, str(stage.german), "", addresses=here)
    closing.append(ear)
    await ear.wait_for_tone(880, timeout=8)

    asked = time.monotonic()
    await listener.request({"type": "switch", "channel_id": stage.floor})
    assert await ear.wait_for_tone(440, after=asked) - asked < 0.5
    await listener.request({"type": "switch", "channel_id": stage.german})
    await ear.wait_for_tone(880, after=time.monotonic())

    await anna.request({"type": "handover", "action": "request"})
    await bernd.next_message("handover.requested")
    handed = time.monotonic()
    await bernd.request({"type": "handover", "action": "accept"})
    assert await ear.wait_for_tone(1320, after=handed) - handed < 0.5

    relay = await start_subscriber(chloe, str(stage.german), "", addresses=here)
    closing.append(relay)
    await relay.wait_for_tone(1320, timeout=8)
    state = await anna.latest_state(
        lambda s: any(c["id"] == stage.german and c.get("listeners") == 2 for c in s["channels"])
    )
    german = next(c for c in state["channels"] if c["id"] == stage.german)
    assert german["on_air"] and german["on_air_name"] == "Bernd"

    # the media went through Janus: the app's session there holds the peers' handles
    assert await janus_handles(janus_server) >= 2 + 5  # three publishers, two subscribers


async def test_two_app_nodes_drive_one_janus(
    two_nodes: TwoNodes, closing: list[Any], janus_server: JanusProcess
) -> None:
    """A listener on node B hears the speaker on node A; a handover from an interpreter on
    node A to one on node B is heard on both nodes without a gap; one room per channel."""
    here = (ensure_host_address(),)
    stage = two_nodes.stage
    speaker = await LiveClient.join(two_nodes.a, stage.code, role="speaker", key=stage.speaker_key)
    anna = await two_nodes.interpreter(two_nodes.a, "anna")
    bernd = await two_nodes.interpreter(two_nodes.b, "bernd")
    on_a = await LiveClient.join(two_nodes.a, stage.code, role="listener")
    on_b = await LiveClient.join(two_nodes.b, stage.code, role="listener")
    closing += [speaker, anna, bernd, on_a, on_b]
    closing.append(await start_publisher(speaker, "", "", 440, addresses=here))
    closing.append(await start_publisher(anna, "", "", 880, addresses=here))
    closing.append(await start_publisher(bernd, "", "", 1320, addresses=here))
    floor_on_b = await start_subscriber(on_b, str(stage.floor), "", addresses=here)
    german_on_a = await start_subscriber(on_a, str(stage.german), "", addresses=here)
    closing += [floor_on_b, german_on_a]
    await floor_on_b.wait_for_tone(440, timeout=8)

    await anna.request({"type": "mic", "on": True})
    await german_on_a.wait_for_tone(880, timeout=8)
    await anna.request({"type": "handover", "action": "request"})
    await bernd.next_message("handover.requested")
    handed = time.monotonic()
    await bernd.request({"type": "handover", "action": "accept"})
    assert await german_on_a.wait_for_tone(1320, after=handed) - handed < 0.5

    await on_b.request({"type": "switch", "channel_id": stage.german})
    switched = time.monotonic()
    assert await floor_on_b.wait_for_tone(1320, after=switched) - switched < 0.5
