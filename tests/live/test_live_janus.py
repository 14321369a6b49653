"""A live event end to end on the Janus media backend: signaling, the hub, Janus.

The same stage as ``test_live_session.py`` (German and French booths, real aiortc peers,
real tones), served by an app whose settings choose ``INTERPRETA_MEDIA_BACKEND=janus``.
The peers gather ICE candidates on the private address Janus uses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from interpreta.config import Settings
from interpreta.media.janus.admin import JanusAdmin
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess, janus_binary
from tests.live.conftest import Stage, TwoNodes
from tests.live.live_client import LiveClient
from tests.media.media_testkit import start_publisher, start_subscriber


@pytest.fixture(scope="module")
def janus_for_live() -> Iterator[JanusProcess]:
    """A Janus server for this module."""
    if janus_binary() is None:
        pytest.skip("janus is not installed (Debian package 'janus'; scripts/test installs it)")
    with JanusProcess(ice_address=ensure_host_address()) as server:
        yield server


@pytest.fixture
def settings(settings: Settings, janus_for_live: JanusProcess) -> Settings:
    """The test's settings, choosing the Janus backend."""
    return settings.model_copy(
        update={
            "media_backend": "janus",
            "janus_url": janus_for_live.url,
            "janus_admin_url": janus_for_live.admin_url,
            "janus_admin_secret": janus_for_live.admin_secret,
        }
    )


async def test_handover_relay_and_language_switch_on_janus(
    stage: Stage,
    closing: list[Any],
    janus_for_live: JanusProcess,
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
    admin = JanusAdmin(janus_for_live.admin_url, janus_for_live.admin_secret)
    handles = [len(await admin.list_handles(s)) for s in await admin.list_sessions()]
    await admin.close()
    assert max(handles) >= 2 + 5  # the plane's two, three publishers, two subscribers


async def test_two_app_nodes_drive_one_janus(
    two_nodes: TwoNodes, closing: list[Any], janus_for_live: JanusProcess
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
