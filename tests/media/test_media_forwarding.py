"""The embedded media plane end to end, between real aiortc peers over loopback."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCRtpReceiver
from media_testkit import (
    LOOPBACK,
    ListeningSubscriber,
    assert_continuous,
    start_publisher,
    start_subscriber,
)

from interpreta.media import (
    MediaPlane,
    PeerExistsError,
    PeerRole,
    PeerStateChange,
    UnknownChannelError,
    UnknownPeerError,
)
from interpreta.media.forwarder import EmbeddedMediaPlane

LOW, HIGH = 500.0, 1500.0


@pytest.fixture
async def plane() -> AsyncIterator[EmbeddedMediaPlane]:
    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK)
    yield plane
    await plane.shutdown()


def packets_between(sub: ListeningSubscriber, start: float, end: float) -> int:
    return sum(1 for r in sub.rtp if start <= r[0] < end)


def test_embedded_plane_implements_the_interface() -> None:
    assert isinstance(EmbeddedMediaPlane(), MediaPlane)


@pytest.mark.asyncio
async def test_handover_switches_the_tone_gaplessly(plane: EmbeddedMediaPlane) -> None:
    await plane.open_channel("en")
    a = await start_publisher(plane, "en", "booth-a", LOW)
    b = await start_publisher(plane, "en", "booth-b", HIGH)
    await plane.set_source("en", "booth-a")
    listener = await start_subscriber(plane, "en", "listener")

    await listener.wait_for_tone(LOW)
    switched = time.monotonic()
    await plane.set_source("en", "booth-b")
    heard = await listener.wait_for_tone(HIGH, after=switched)
    assert heard - switched < 0.5
    await asyncio.sleep(0.5)

    # One stream for the listener: consecutive sequence numbers, timestamps rising by
    # about one packet each (no gap, no overlap at the handover).
    assert_continuous(listener.rtp, max_step=3 * 960)
    # No overlap: one source's worth of packets (50/s), not two.
    assert packets_between(listener, switched, switched + 0.5) <= 30
    stats = plane.channel_stats("en")
    assert stats.source == "booth-b"
    assert [p.on_air for p in stats.publishers] == [False, True]
    assert all(p.packets_received > 0 for p in stats.publishers)
    assert stats.listener_count == 1
    for peer in (listener, a, b):
        await peer.close()


@pytest.mark.asyncio
async def test_mic_off_keeps_timestamps_in_step_with_the_clock(plane: EmbeddedMediaPlane) -> None:
    await plane.open_channel("fr")
    a = await start_publisher(plane, "fr", "mic", LOW)
    await plane.set_source("fr", "mic")
    listener = await start_subscriber(plane, "fr", "listener")
    await listener.wait_for_tone(LOW)

    await plane.set_source("fr", None)  # cough key
    await asyncio.sleep(0.6)
    silent = len(listener.rtp)
    await asyncio.sleep(0.1)
    assert len(listener.rtp) == silent, "packets forwarded with no source"
    resumed = time.monotonic()
    await plane.set_source("fr", "mic")
    await listener.wait_for_tone(LOW, after=resumed)

    rtp = listener.rtp
    steps = [((b[2] - a[2]) & 0xFFFFFFFF, b[0] - a[0]) for a, b in itertools.pairwise(rtp)]
    ts_step, wall_step = max(steps)
    assert wall_step > 0.5
    assert abs(ts_step / 48000 - wall_step) < 0.1, (ts_step, wall_step)
    assert_continuous(rtp, max_step=ts_step)
    await listener.close()
    await a.close()


@pytest.mark.asyncio
async def test_late_listener_gets_live_audio_not_a_backlog(plane: EmbeddedMediaPlane) -> None:
    await plane.open_channel("de")
    a = await start_publisher(plane, "de", "mic", LOW)
    await plane.set_source("de", "mic")
    await asyncio.sleep(1.5)  # nobody listens

    stats = plane.channel_stats("de")
    assert stats.publishers[0].packets_received >= 40
    assert stats.packets_forwarded >= 40
    # The plane's receiver for the publisher decodes nothing: no frame waits in its queue.
    for receiver in _plane_receivers(plane, "mic"):
        assert receiver.track._queue.qsize() == 0  # type: ignore[attr-defined]

    joined = time.monotonic()
    listener = await start_subscriber(plane, "de", "late")
    await listener.wait_for_tone(LOW)
    first = listener.rtp[0][0]
    assert first - joined < 0.5
    # Live: packets arrive at the source's pace from the start, not in a burst.
    assert packets_between(listener, first, first + 0.2) <= 14

    changed = time.monotonic()
    a.tone.frequency = HIGH
    heard = await listener.wait_for_tone(HIGH, after=changed)
    assert heard - changed < 0.3, "the late listener hears the publisher late"
    await listener.close()
    await a.close()


def _plane_receivers(plane: EmbeddedMediaPlane, peer_id: str) -> list[RTCRtpReceiver]:
    return list(plane._peers[peer_id].pc.getReceivers())


@pytest.mark.asyncio
async def test_switch_subscription_without_renegotiation(plane: EmbeddedMediaPlane) -> None:
    await plane.open_channel("floor")
    await plane.open_channel("en")
    floor = await start_publisher(plane, "floor", "speaker", LOW)
    booth = await start_publisher(plane, "en", "interpreter", HIGH)
    await plane.set_source("floor", "speaker")
    await plane.set_source("en", "interpreter")
    listener = await start_subscriber(plane, "floor", "listener")
    await listener.wait_for_tone(LOW)
    local_sdp = listener.pc.localDescription.sdp

    switched = time.monotonic()
    await plane.switch_subscription("listener", "en")
    heard = await listener.wait_for_tone(HIGH, after=switched)
    assert heard - switched < 0.5
    assert plane.listener_count("floor") == 0
    assert plane.listener_count("en") == 1

    switched = time.monotonic()
    await plane.switch_subscription("listener", "floor")  # and back (relay off)
    await listener.wait_for_tone(LOW, after=switched)
    await asyncio.sleep(0.2)

    assert listener.pc.signalingState == "stable"
    assert listener.pc.localDescription.sdp == local_sdp, "renegotiated"
    assert_continuous(listener.rtp, max_step=4 * 960)
    for peer in (listener, floor, booth):
        await peer.close()


@pytest.mark.asyncio
async def test_peer_state_tells_when_an_interpreter_drops(plane: EmbeddedMediaPlane) -> None:
    changes: list[PeerStateChange] = []
    remove = plane.on_peer_state(changes.append)
    await plane.open_channel("es")
    a = await start_publisher(plane, "es", "booth-a", LOW)
    await plane.set_source("es", "booth-a")
    listener = await start_subscriber(plane, "es", "listener")
    await listener.wait_for_tone(LOW)
    assert any(c.peer_id == "booth-a" and c.state == "connected" for c in changes)

    await a.close()  # the interpreter's browser goes away
    deadline = time.monotonic() + 5
    while not any(c.peer_id == "booth-a" and c.state == "closed" for c in changes):
        assert time.monotonic() < deadline, changes
        await asyncio.sleep(0.05)
    drop = next(c for c in changes if c.peer_id == "booth-a" and c.state == "closed")
    assert drop.channel_id == "es"
    assert drop.role is PeerRole.PUBLISHER
    stats = plane.channel_stats("es")
    assert stats.source is None
    assert stats.publishers == ()

    remove()
    await plane.close_peer("listener")
    assert plane.listener_count("es") == 0
    await listener.close()


@pytest.mark.asyncio
async def test_close_channel_closes_its_peers(plane: EmbeddedMediaPlane) -> None:
    closed: list[str] = []

    async def on_state(change: PeerStateChange) -> None:
        if change.state == "closed":
            closed.append(change.peer_id)

    plane.on_peer_state(on_state)
    await plane.open_channel("it")
    a = await start_publisher(plane, "it", "mic", LOW)
    listener = await start_subscriber(plane, "it", "listener")
    await plane.close_channel("it")
    await asyncio.sleep(0.05)
    assert sorted(closed) == ["listener", "mic"]
    with pytest.raises(UnknownChannelError):
        plane.listener_count("it")
    await listener.close()
    await a.close()


@pytest.mark.asyncio
async def test_wrong_requests_raise(plane: EmbeddedMediaPlane) -> None:
    with pytest.raises(UnknownChannelError):
        await plane.publish("nope", "p", "v=0\r\n")
    with pytest.raises(UnknownChannelError):
        await plane.set_source("nope", None)
    with pytest.raises(UnknownPeerError):
        await plane.switch_subscription("nobody", "nope")
    await plane.open_channel("en")
    await plane.open_channel("en")  # idempotent
    with pytest.raises(UnknownPeerError):
        await plane.set_source("en", "nobody")
    a = await start_publisher(plane, "en", "mic", LOW)
    with pytest.raises(PeerExistsError):
        await start_subscriber(plane, "en", "mic")
    with pytest.raises(UnknownPeerError):
        await plane.switch_subscription("mic", "en")  # a publisher, not a subscriber
    await plane.close_peer("nobody")  # ignored
    await a.close()


async def test_p21_media_travels_as_dtls_srtp(plane: EmbeddedMediaPlane) -> None:
    await plane.open_channel("floor")
    speaker = await start_publisher(plane, "floor", "speaker", LOW)
    try:
        answer = speaker.pc.remoteDescription.sdp
        assert "UDP/TLS/RTP/SAVPF" in answer  # SRTP keyed by DTLS, nothing in clear
        assert "a=fingerprint:sha-256" in answer
        transport = speaker.pc.getTransceivers()[0].sender.transport
        deadline = time.monotonic() + 10
        while transport.state != "connected" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert transport.state == "connected"
    finally:
        await speaker.close()
