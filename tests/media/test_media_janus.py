"""What only the Janus backend has: offers crossed into answers, counters from the Admin
API, payload types per subscriber, a lost connection to Janus, the setting choosing it.

The media contract itself (handover, relay, switch, states) runs on Janus in
``test_media_forwarding.py``.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import Backend, Peers
from media_testkit import ListeningSubscriber, TonePublisher

from interpreta.app import media_plane
from interpreta.child_process import port_open
from interpreta.config import Settings
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusMediaPlane
from interpreta.media.janus.admin import JanusAdmin
from interpreta.media.janus.api import JanusError
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess
from interpreta.media.janus.sdp import (
    OfferError,
    SessionDescription,
    answer_for_janus,
    answer_for_subscriber,
    opus_payload_type,
)
from interpreta.media.plane import (
    MediaPlaneError,
    PeerStateChange,
    UnknownChannelError,
    UnknownPeerError,
)

LOW, HIGH = 500.0, 1500.0

SUBSCRIBER_OFFER = """v=0
o=- 4005137207 4005137207 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=audio 51006 UDP/TLS/RTP/SAVPF 96 0
c=IN IP4 10.77.0.1
a=recvonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=mid:0
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=rtpmap:96 opus/48000/2
a=fmtp:96 minptime=10;useinbandfec=1
a=rtpmap:0 PCMU/8000
a=candidate:41c4 1 udp 2130706431 10.77.0.1 51006 typ host
a=end-of-candidates
a=ice-ufrag:2Tr6
a=ice-pwd:K3H1MXhT8KRF3VrknTR8n6
a=fingerprint:sha-256 C3:F1:D8
a=setup:actpass
m=application 51006 UDP/DTLS/SCTP webrtc-datachannel
a=mid:1
a=sctp-port:5000
"""

JANUS_OFFER = """v=0
o=- 1796148408763622 1 IN IP4 192.0.2.2
s=Mountpoint 777
t=0 0
a=group:BUNDLE a
a=ice-options:trickle
a=fingerprint:sha-256 2D:48:3D
a=msid-semantic: WMS *
m=audio 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 192.0.2.2
a=sendonly
a=mid:a
a=rtcp-mux
a=ice-ufrag:QaDp
a=ice-pwd:Ko9ETNVNDFhVNgI/aK2vB5
a=setup:actpass
a=rtpmap:96 opus/48000/2
a=rtcp-fb:96 transport-cc
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=msid:janus janusa
a=ssrc:9666328 cname:janus
a=candidate:1 1 udp 2015363583 10.77.0.1 37559 typ host
a=end-of-candidates
"""


def _sections(sdp: str) -> list[list[str]]:
    parsed = SessionDescription.parse(sdp)
    return [[f"{n}:{v}" if v is not None else n for n, v in m.attributes] for m in parsed.media]


def test_janus_is_answered_with_the_subscribers_transport() -> None:
    answer = answer_for_janus(SUBSCRIBER_OFFER, JANUS_OFFER)
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n" in answer
    [audio] = _sections(answer)
    assert "mid:a" in audio and "recvonly" in audio and "rtcp-mux" in audio
    assert "ice-ufrag:2Tr6" in audio and "fingerprint:sha-256 C3:F1:D8" in audio
    assert "candidate:41c4 1 udp 2130706431 10.77.0.1 51006 typ host" in audio
    assert "setup:passive" in audio  # Janus connects
    assert "rtpmap:96 opus/48000/2" in audio and "fmtp:96 minptime=10;useinbandfec=1" in audio
    assert not any(a.startswith(("extmap", "rtcp-fb")) for a in audio)  # plain Opus
    assert "a=group:BUNDLE a\r\n" in answer


def test_the_subscriber_is_answered_with_janus_transport_and_ssrc() -> None:
    answer = answer_for_subscriber(SUBSCRIBER_OFFER, JANUS_OFFER)
    audio, data = _sections(answer)
    assert answer.count("m=") == 2
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n" in answer
    assert "mid:0" in audio and "sendonly" in audio
    assert "ice-ufrag:QaDp" in audio and "fingerprint:sha-256 2D:48:3D" in audio
    assert "ssrc:9666328 cname:janus" in audio
    assert "candidate:1 1 udp 2015363583 10.77.0.1 37559 typ host" in audio
    assert "setup:active" in audio
    assert "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n" in answer  # declined
    assert data == ["mid:1"]
    assert "a=group:BUNDLE 0\r\n" in answer


def test_a_subscriber_that_insists_on_connecting_gets_its_way() -> None:
    offer = SUBSCRIBER_OFFER.replace("a=setup:actpass", "a=setup:active")
    assert "a=setup:passive" in answer_for_subscriber(offer, JANUS_OFFER)
    assert "a=setup:active" in answer_for_janus(offer, JANUS_OFFER)


def test_offers_without_opus_or_transport_are_refused() -> None:
    assert opus_payload_type(SUBSCRIBER_OFFER) == 96
    with pytest.raises(OfferError):
        opus_payload_type("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 100\r\na=rtpmap:100 VP8/90000\r\n")
    with pytest.raises(OfferError):
        opus_payload_type("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n")
    without_ice = SUBSCRIBER_OFFER.replace("a=ice-ufrag:2Tr6\n", "")
    with pytest.raises(OfferError):
        answer_for_janus(without_ice, JANUS_OFFER)
    assert issubclass(OfferError, MediaPlaneError)


def test_the_setting_chooses_the_plane() -> None:
    assert isinstance(media_plane(Settings(_env_file=None)), EmbeddedMediaPlane)  # type: ignore[call-arg]
    janus = Settings(_env_file=None, media_backend="janus", janus_url="ws://10.0.0.5:8188")  # type: ignore[call-arg]
    assert isinstance(media_plane(janus), JanusMediaPlane)


async def test_an_unreachable_janus_is_a_media_plane_error() -> None:
    plane = JanusMediaPlane("ws://127.0.0.1:9", timeout=2)
    with pytest.raises(MediaPlaneError) as caught:
        await plane.open_channel("en")
    assert isinstance(caught.value, JanusError)
    await plane.shutdown()


@pytest.fixture
def janus(janus_server: JanusProcess) -> Backend:
    return Backend("janus", (ensure_host_address(),), janus_server)


async def test_janus_counters_come_from_the_admin_api(janus: Backend) -> None:
    plane = janus.new_plane()
    assert isinstance(plane, JanusMediaPlane)
    peers = Peers(plane, janus.addresses)
    await plane.open_channel("en")
    mic = await peers.publisher("en", "mic", LOW)
    await plane.set_source("en", "mic")
    listener = await peers.subscriber("en", "listener")
    await listener.wait_for_tone(LOW)
    await asyncio.sleep(0.5)

    await plane.refresh_stats("en")
    stats = plane.channel_stats("en")
    [publisher] = stats.publishers
    [subscriber] = stats.subscribers
    assert publisher.state == subscriber.state == "connected"
    assert publisher.packets_received >= 25 and publisher.bytes_received > 0
    assert publisher.last_packet_age is not None and publisher.last_packet_age < 1
    assert subscriber.packets_sent >= 20
    assert stats.packets_forwarded > 0
    assert await plane.viewers("en") == plane.listener_count("en") == 1
    # read again in the background while someone looks at the channel
    before = subscriber.packets_sent
    await asyncio.sleep(0.6)
    assert plane.channel_stats("en").subscribers[0].packets_sent > before
    await listener.close()
    await mic.close()
    await plane.shutdown()


async def test_a_peer_closed_while_negotiating_leaves_nothing_in_janus(janus: Backend) -> None:
    assert janus.janus is not None
    plane = janus.new_plane()
    assert isinstance(plane, JanusMediaPlane)
    peers = Peers(plane, janus.addresses)
    admin = JanusAdmin(janus.janus.admin_url, janus.janus.admin_secret)
    await plane.open_channel("en")
    assert plane._session is not None
    session_id = plane._session.session_id
    control = set(await admin.list_handles(session_id))  # the plane's own two
    assert len(control) == 2

    subscribing = asyncio.create_task(peers.subscriber("en", "listener"))
    await _negotiating(plane, "listener")  # in the middle of attach/watch/switch/start
    await plane.close_peer("listener")
    with pytest.raises((UnknownPeerError, JanusError)):
        await subscribing
    publishing = asyncio.create_task(peers.publisher("en", "mic", LOW))
    await _negotiating(plane, "mic")
    await plane.close_channel("en")
    with pytest.raises((UnknownChannelError, UnknownPeerError, JanusError)):
        await publishing
    await asyncio.sleep(0.2)
    assert set(await admin.list_handles(session_id)) == control
    await admin.close()
    await plane.shutdown()


async def _negotiating(plane: JanusMediaPlane, peer_id: str) -> None:
    """Wait until the plane has started negotiating ``peer_id`` with Janus."""
    deadline = time.monotonic() + 5
    while peer_id not in plane._peers:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.001)


async def test_janus_gives_each_subscriber_its_own_payload_type(janus: Backend) -> None:
    """A browser offers Opus on 111, aiortc on 96: both hear the channel, and switch."""
    plane = janus.new_plane()
    peers = Peers(plane, janus.addresses)
    await plane.open_channel("floor")
    await plane.open_channel("en")
    speaker = await peers.publisher("floor", "speaker", LOW)
    booth = await peers.publisher("en", "booth", HIGH)
    await plane.set_source("floor", "speaker")
    await plane.set_source("en", "booth")
    aiortc = await peers.subscriber("floor", "aiortc")
    browser = await _subscriber_offering_opus_as(plane, janus, "floor", "browser", 111)
    await aiortc.wait_for_tone(LOW)
    await browser.wait_for_tone(LOW)
    assert await plane.viewers("floor") == plane.listener_count("floor") == 2
    await plane.switch_subscription("browser", "en")
    await browser.wait_for_tone(HIGH)
    # Janus counts the viewers where the plane does: none stayed on an entry mountpoint
    assert [await plane.viewers(c) for c in ("floor", "en")] == [1, 1]
    assert [plane.listener_count(c) for c in ("floor", "en")] == [1, 1]
    for peer in (aiortc, browser, speaker, booth):
        await peer.close()
    await plane.shutdown()


async def _subscriber_offering_opus_as(
    plane: JanusMediaPlane, janus: Backend, channel_id: str, peer_id: str, pt: int
) -> ListeningSubscriber:
    """A subscriber whose offer gives Opus payload type ``pt`` (aiortc uses 96)."""
    from aiortc import RTCSessionDescription
    from media_testkit import new_peer_connection

    from interpreta.media.forwarder.aiortc_hooks import host_addresses, tap_receiver

    pc = new_peer_connection()
    transceiver = pc.addTransceiver("audio", direction="recvonly")
    subscriber = ListeningSubscriber(pc)
    tap_receiver(transceiver.receiver, subscriber.on_rtp, decode=True)
    with host_addresses(janus.addresses):
        await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp.replace(" 96 ", f" {pt} ").replace(":96 ", f":{pt} ")
    assert opus_payload_type(offer) == pt
    answer = await plane.subscribe(channel_id, peer_id, offer)
    assert f"a=rtpmap:{pt} opus/48000/2" in answer  # aiortc takes the answer's numbering
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    subscriber._task = asyncio.create_task(subscriber.listen(transceiver.receiver.track))
    return subscriber


async def test_losing_janus_loses_the_peers_and_the_channels_recover() -> None:
    address = ensure_host_address()
    server = JanusProcess(ice_address=address)
    server.start()
    try:
        plane = JanusMediaPlane(server.url)
        peers = Peers(plane, (address,))
        changes: list[PeerStateChange] = []
        plane.on_peer_state(changes.append)
        await plane.open_channel("en")
        mic = await peers.publisher("en", "mic", LOW)
        await plane.set_source("en", "mic")
        listener = await peers.subscriber("en", "listener")
        await listener.wait_for_tone(LOW)

        server.stop()  # Janus goes away (crash, restart)
        deadline = time.monotonic() + 5
        while sum(c.state == "closed" for c in changes) < 2:
            assert time.monotonic() < deadline, changes
            await asyncio.sleep(0.05)
        assert {c.peer_id for c in changes if c.state == "failed"} == {"mic", "listener"}
        assert plane.listener_count("en") == 0
        assert plane.channel_stats("en").source is None
        for peer in (mic, listener):
            await peer.close()

        server.start()  # back on the same port: the plane reconnects, the channel is new
        mic2: TonePublisher = await peers.publisher("en", "mic", HIGH)
        await plane.set_source("en", "mic")
        listener = await peers.subscriber("en", "listener")
        await listener.wait_for_tone(HIGH)
        for peer in (mic2, listener):
            await peer.close()
        await plane.shutdown()
    finally:
        server.stop()


def test_a_janus_that_exited_is_started_again_on_its_ports() -> None:
    """What the test session's shared Janus relies on: a crash is told (exit code and
    log), and Janus comes back where its clients look for it."""
    with JanusProcess(ice_address=ensure_host_address()) as server:
        assert server.restart_if_exited() is None
        url, admin_url = server.url, server.admin_url
        server.kill()
        left = server.restart_if_exited()
        assert left is not None and "-9" in left and "Janus" in left
        assert (server.url, server.admin_url) == (url, admin_url)
        host, port = url.removeprefix("ws://").rsplit(":", 1)
        assert port_open(host, int(port))
