"""The media plane contract, end to end between real aiortc peers, on every backend.

Each test runs on the embedded forwarder and on Janus (``conftest.py``); tests of the
embedded plane's internals are marked as such and run on it alone.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiortc import RTCRtpReceiver
from conftest import Backend, Peers
from media_testkit import LOOPBACK, ListeningSubscriber, assert_continuous

from interpreta.media import (
    MediaPlane,
    PeerExistsError,
    PeerRole,
    PeerStateChange,
    UnknownChannelError,
    UnknownPeerError,
)
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusMediaPlane

LOW, MID, HIGH = 500.0, 1000.0, 1500.0


@pytest.fixture
async def embedded() -> AsyncIterator[EmbeddedMediaPlane]:
    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK)
    yield plane
    await plane.shutdown()


def packets_between(sub: ListeningSubscriber, start: float, end: float) -> int:
    return sum(1 for r in sub.rtp if start <= r[0] < end)


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until ``check()`` holds: a backend may read its counters in the background."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def silences(sub: ListeningSubscriber, start: float, end: float) -> float:
    """The longest gap in what ``sub`` heard between ``start`` and ``end``: between two
    RTP packets, or spanned by frames decoded as silence."""
    arrivals = [r[0] for r in sub.rtp if start <= r[0] <= end]
    longest = max((b - a for a, b in itertools.pairwise(arrivals)), default=0.0)
    quiet_since: float | None = None
    for heard in sub.heard:
        if not start <= heard.at <= end:
            continue
        if heard.frequency is None:
            quiet_since = heard.at if quiet_since is None else quiet_since
            longest = max(longest, heard.at - quiet_since + 0.020)
        else:
            quiet_since = None
    return longest


@pytest.mark.parametrize("plane_type", [EmbeddedMediaPlane, JanusMediaPlane])
def test_planes_implement_the_interface(plane_type: type[MediaPlane]) -> None:
    plane = EmbeddedMediaPlane() if plane_type is EmbeddedMediaPlane else JanusMediaPlane("ws://x")
    assert isinstance(plane, MediaPlane)


async def test_handover_switches_the_tone_gaplessly(
    plane: MediaPlane, peers: Peers, backend: Backend
) -> None:
    await plane.open_channel("en")
    a = await peers.publisher("en", "booth-a", LOW)
    b = await peers.publisher("en", "booth-b", HIGH)
    await plane.set_source("en", "booth-a")
    listener = await peers.subscriber("en", "listener")

    await listener.wait_for_tone(LOW)
    switched = time.monotonic()
    await plane.set_source("en", "booth-b")
    heard = await listener.wait_for_tone(HIGH, after=switched)
    await asyncio.sleep(0.5)

    gap = silences(listener, switched - 0.5, switched + 0.5)
    print(
        f"\n{backend.name}: handover heard after {heard - switched:.3f} s, longest gap {gap:.3f} s"
    )
    assert heard - switched < 0.5
    # Gapless is proven by the RTP stream below; the arrival gap only catches a real
    # dropout. Its figure (about 20-60 ms) is measured by bench/media_handover.py, not
    # asserted here: a loaded CI machine delays packets without the handover's fault.
    assert gap < 0.25
    # One stream for the listener: consecutive sequence numbers, timestamps rising by
    # about one packet each (no gap, no overlap at the handover).
    assert_continuous(listener.rtp, max_step=3 * 960)
    # No overlap: one source's worth of packets (50/s), not two.
    assert packets_between(listener, switched, switched + 0.5) <= 30
    stats = plane.channel_stats("en")
    assert stats.source == "booth-b"
    assert [p.on_air for p in stats.publishers] == [False, True]
    assert stats.listener_count == 1
    await eventually(
        lambda: all(p.packets_received > 0 for p in plane.channel_stats("en").publishers)
    )
    for peer in (listener, a, b):
        await peer.close()


async def test_mic_off_keeps_timestamps_in_step_with_the_clock(
    plane: MediaPlane, peers: Peers
) -> None:
    await plane.open_channel("fr")
    a = await peers.publisher("fr", "mic", LOW)
    await plane.set_source("fr", "mic")
    listener = await peers.subscriber("fr", "listener")
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


async def test_late_listener_gets_live_audio_not_a_backlog(plane: MediaPlane, peers: Peers) -> None:
    await plane.open_channel("de")
    a = await peers.publisher("de", "mic", LOW)
    await plane.set_source("de", "mic")
    await asyncio.sleep(1.5)  # nobody listens

    await eventually(lambda: plane.channel_stats("de").publishers[0].packets_received >= 40)
    await eventually(lambda: plane.channel_stats("de").packets_forwarded >= 40)

    joined = time.monotonic()
    listener = await peers.subscriber("de", "late")
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


async def test_embedded_publishers_are_drained_undecoded(embedded: EmbeddedMediaPlane) -> None:
    """Internals: the embedded plane's receiver for a publisher decodes nothing."""
    await embedded.open_channel("de")
    a = await Peers(embedded, LOOPBACK).publisher("de", "mic", LOW)
    await embedded.set_source("de", "mic")
    await asyncio.sleep(1.0)
    assert embedded.channel_stats("de").publishers[0].packets_received >= 25
    for receiver in _plane_receivers(embedded, "mic"):
        assert receiver.track._queue.qsize() == 0  # type: ignore[attr-defined]
    await a.close()


def _plane_receivers(plane: EmbeddedMediaPlane, peer_id: str) -> list[RTCRtpReceiver]:
    return list(plane._peers[peer_id].pc.getReceivers())


async def test_switch_subscription_without_renegotiation(plane: MediaPlane, peers: Peers) -> None:
    await plane.open_channel("floor")
    await plane.open_channel("en")
    floor = await peers.publisher("floor", "speaker", LOW)
    booth = await peers.publisher("en", "interpreter", HIGH)
    await plane.set_source("floor", "speaker")
    await plane.set_source("en", "interpreter")
    listener = await peers.subscriber("floor", "listener")
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


async def test_relay_an_interpreter_listens_to_another_booth(
    plane: MediaPlane, peers: Peers
) -> None:
    """The English interpreter takes relay from the German booth while publishing."""
    for channel in ("floor", "de", "en"):
        await plane.open_channel(channel)
    speaker = await peers.publisher("floor", "speaker", LOW)
    german = await peers.publisher("de", "de-mic", HIGH)
    english = await peers.publisher("en", "en-mic", MID)
    for channel, source in (("floor", "speaker"), ("de", "de-mic"), ("en", "en-mic")):
        await plane.set_source(channel, source)
    ear = await peers.subscriber("floor", "en-ear")
    listener = await peers.subscriber("en", "listener")
    await ear.wait_for_tone(LOW)
    await listener.wait_for_tone(MID)

    switched = time.monotonic()
    await plane.switch_subscription("en-ear", "de")  # relay on
    heard = await ear.wait_for_tone(HIGH, after=switched)
    assert heard - switched < 0.5
    assert (plane.listener_count("floor"), plane.listener_count("de")) == (0, 1)
    await listener.wait_for_tone(MID, after=switched)  # the English channel is untouched
    assert_continuous(ear.rtp, max_step=4 * 960)
    for peer in (ear, listener, speaker, german, english):
        await peer.close()


async def test_peer_state_tells_when_an_interpreter_drops(plane: MediaPlane, peers: Peers) -> None:
    changes: list[PeerStateChange] = []
    remove = plane.on_peer_state(changes.append)
    await plane.open_channel("es")
    a = await peers.publisher("es", "booth-a", LOW)
    await plane.set_source("es", "booth-a")
    listener = await peers.subscriber("es", "listener")
    await listener.wait_for_tone(LOW)
    assert any(c.peer_id == "booth-a" and c.state == "connected" for c in changes)
    assert any(c.peer_id == "listener" and c.state == "connected" for c in changes)

    await a.close()  # the interpreter's browser goes away
    deadline = time.monotonic() + 5
    while not any(c.peer_id == "booth-a" and c.state == "closed" for c in changes):
        assert time.monotonic() < deadline, changes
        await asyncio.sleep(0.05)
    drop = next(c for c in changes if c.peer_id == "booth-a" and c.state == "closed")
    assert drop.channel_id == "es"
    assert drop.role is PeerRole.PUBLISHER
    assert [c.state for c in changes if c.peer_id == "booth-a"][-1] == "closed"
    stats = plane.channel_stats("es")
    assert stats.source is None
    assert stats.publishers == ()

    remove()
    await plane.close_peer("listener")
    assert plane.listener_count("es") == 0
    await listener.close()


async def test_embedded_closes_a_publisher_that_went_away_while_connecting() -> None:
    """Internals: a publisher that closes right after the answer (before ICE nominated a
    pair) would leave the plane's side checking for ever; the connect timeout closes it."""
    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK, connect_timeout=0.5)
    changes: list[PeerStateChange] = []
    plane.on_peer_state(changes.append)
    await plane.open_channel("floor")
    try:
        gone = await Peers(plane, LOOPBACK).publisher("floor", "speaker:mic:1", LOW)
        await gone.close()
        assert plane.channel_stats("floor").publishers != ()
        await eventually(lambda: plane.channel_stats("floor").publishers == ())
        states = [c.state for c in changes if c.peer_id == "speaker:mic:1"]
        assert "connected" not in states and states[-1] == "closed"
    finally:
        await plane.shutdown()


async def test_close_peer_stops_its_audio(plane: MediaPlane, peers: Peers) -> None:
    closed: list[str] = []
    plane.on_peer_state(lambda c: closed.append(c.peer_id) if c.state == "closed" else None)
    await plane.open_channel("pt")
    mic = await peers.publisher("pt", "mic", LOW)
    await plane.set_source("pt", "mic")
    listener = await peers.subscriber("pt", "listener")
    other = await peers.subscriber("pt", "other")
    await listener.wait_for_tone(LOW)
    assert plane.listener_count("pt") == 2

    await plane.close_peer("other")
    assert plane.listener_count("pt") == 1
    await plane.close_peer("mic")  # the source: the channel goes quiet
    assert closed == ["other", "mic"]
    assert plane.channel_stats("pt").source is None
    await asyncio.sleep(0.2)
    quiet = len(listener.rtp)
    await asyncio.sleep(0.3)
    assert len(listener.rtp) == quiet, "packets after the source was closed"
    with pytest.raises(UnknownPeerError):
        await plane.set_source("pt", "mic")
    for peer in (listener, other, mic):
        await peer.close()


async def test_close_channel_closes_its_peers(plane: MediaPlane, peers: Peers) -> None:
    closed: list[str] = []

    async def on_state(change: PeerStateChange) -> None:
        if change.state == "closed":
            closed.append(change.peer_id)

    plane.on_peer_state(on_state)
    await plane.open_channel("it")
    a = await peers.publisher("it", "mic", LOW)
    listener = await peers.subscriber("it", "listener")
    await plane.close_channel("it")
    await asyncio.sleep(0.05)
    assert sorted(closed) == ["listener", "mic"]
    with pytest.raises(UnknownChannelError):
        plane.listener_count("it")
    await listener.close()
    await a.close()


async def test_wrong_requests_raise(plane: MediaPlane, peers: Peers) -> None:
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
    a = await peers.publisher("en", "mic", LOW)
    with pytest.raises(PeerExistsError):
        await peers.subscriber("en", "mic")
    with pytest.raises(UnknownPeerError):
        await plane.switch_subscription("mic", "en")  # a publisher, not a subscriber
    await plane.close_peer("nobody")  # ignored
    await a.close()


async def test_p21_media_travels_as_dtls_srtp(plane: MediaPlane, peers: Peers) -> None:
    await plane.open_channel("floor")
    speaker = await peers.publisher("floor", "speaker", LOW)
    listener = await peers.subscriber("floor", "listener")
    try:
        for peer in (speaker, listener):
            answer = peer.pc.remoteDescription.sdp
            assert "UDP/TLS/RTP/SAVPF" in answer  # SRTP keyed by DTLS, nothing in clear
            assert "a=fingerprint:sha-256" in answer
            transport = peer.pc.getTransceivers()[0].sender.transport
            deadline = time.monotonic() + 10
            while transport.state != "connected" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert transport.state == "connected"
    finally:
        await speaker.close()
        await listener.close()
