"""Video channels on Janus: what only the Janus backend has.

The contract tests (``test_media_video.py``) run on Janus too. These cover the two
answers the plane writes for a video viewer, the offers refused before Janus sees them,
H.264 through Janus, Janus's own viewer count, a key frame asked of a camera that joined
through another app node, the simulcast layer a viewer chose as Janus holds it, and a
fleet of two servers whose key frame requests cross from one to the other. Simulcast
from a real browser is in ``tests/web/test_simulcast_browser.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from video_testkit import Camera, Viewer, start_camera, start_viewer

from interpreta.media.janus import JanusFleet, JanusMediaPlane
from interpreta.media.janus.admin import JanusAdmin
from interpreta.media.janus.codecs import H264, OPUS, VP8
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess, janus_binary
from interpreta.media.janus.registry import Forwarder
from interpreta.media.janus.sdp import (
    OfferError,
    SessionDescription,
    answer_for_janus,
    answer_for_subscriber,
    check_publisher_offer,
    codec_payload_type,
    offers_simulcast,
)
from interpreta.media.plane import MediaKind, MediaPlane, MediaPlaneError, VideoLayer

VIEWER_OFFER = """v=0
o=- 4005174176 4005174176 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic:WMS *
m=video 37514 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
c=IN IP4 10.77.0.1
a=recvonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=mid:0
a=rtcp-mux
a=rtpmap:97 VP8/90000
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 goog-remb
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
a=rtpmap:99 H264/90000
a=rtcp-fb:99 nack
a=rtcp-fb:99 nack pli
a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:100 rtx/90000
a=fmtp:100 apt=99
a=rtpmap:101 H264/90000
a=rtcp-fb:101 nack
a=rtcp-fb:101 nack pli
a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:102 rtx/90000
a=fmtp:102 apt=101
a=candidate:41c4 1 udp 2130706431 10.77.0.1 37514 typ host
a=end-of-candidates
a=ice-ufrag:4kth
a=ice-pwd:8HjdSW3Z4HbHVjpFqbi1ep
a=fingerprint:sha-256 DD:3A:B0
a=setup:actpass
"""

JANUS_VIDEO_OFFER = """v=0
o=- 1796185686520885 1 IN IP4 192.0.2.2
s=Mountpoint 41824551965931
t=0 0
a=group:BUNDLE v
a=fingerprint:sha-256 9F:B2:B7
a=msid-semantic: WMS *
m=video 9 UDP/TLS/RTP/SAVPF 97 98
c=IN IP4 192.0.2.2
a=sendonly
a=mid:v
a=rtcp-mux
a=ice-ufrag:Sp8l
a=ice-pwd:H3iVF6mw2l/VlYJ807UlAn
a=setup:actpass
a=rtpmap:97 VP8/90000
a=rtcp-fb:97 ccm fir
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 goog-remb
a=rtcp-fb:97 transport-cc
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
a=ssrc-group:FID 4195540904 554699940
a=msid:janus janusv
a=ssrc:4195540904 cname:janus
a=ssrc:554699940 cname:janus
a=candidate:1 1 udp 2015363583 10.77.0.1 31103 typ host
a=end-of-candidates
"""


def _attributes(sdp: str) -> list[str]:
    [section] = SessionDescription.parse(sdp).media
    return [f"{n}:{v}" if v is not None else n for n, v in section.attributes]


def test_a_video_viewer_is_answered_the_plane_s_codec_alone() -> None:
    answer = answer_for_subscriber(VIEWER_OFFER, JANUS_VIDEO_OFFER, VP8)
    assert "m=video 9 UDP/TLS/RTP/SAVPF 97\r\n" in answer  # no H.264, no RTX
    video = _attributes(answer)
    assert "sendonly" in video and "rtpmap:97 VP8/90000" in video
    assert {a for a in video if a.startswith("rtcp-fb")} == {
        "rtcp-fb:97 nack",
        "rtcp-fb:97 nack pli",  # the viewer can ask for a key frame
    }
    assert [a for a in video if a.startswith("ssrc")] == ["ssrc:4195540904 cname:janus"]
    assert "ice-ufrag:Sp8l" in video and "setup:active" in video


def test_janus_is_answered_for_a_video_viewer_as_the_viewer_would() -> None:
    answer = answer_for_janus(VIEWER_OFFER, JANUS_VIDEO_OFFER, VP8)
    assert "m=video 9 UDP/TLS/RTP/SAVPF 97\r\n" in answer
    video = _attributes(answer)
    assert "recvonly" in video and "mid:v" in video and "setup:passive" in video
    assert {a for a in video if a.startswith("rtcp-fb")} == {
        "rtcp-fb:97 nack",
        "rtcp-fb:97 nack pli",
    }
    assert not any(a.startswith(("extmap", "ssrc")) for a in video)


def test_h264_is_answered_on_the_constrained_baseline_payload_type() -> None:
    assert codec_payload_type(VIEWER_OFFER, H264) == 101  # 42e01f, not 42001f (99)
    assert codec_payload_type(VIEWER_OFFER, VP8) == 97
    without_42e0 = VIEWER_OFFER.replace("42e01f", "640c1f")
    assert codec_payload_type(without_42e0, H264) == 99
    mode_0 = VIEWER_OFFER.replace("packetization-mode=1", "packetization-mode=0")
    with pytest.raises(OfferError, match="H264"):
        codec_payload_type(mode_0, H264)


def test_offers_without_the_channel_s_codec_are_refused() -> None:
    h264_only = VIEWER_OFFER.replace(" 97 98 99", " 99").replace("a=rtpmap:97 VP8/90000\n", "")
    check_publisher_offer(h264_only, H264)
    with pytest.raises(OfferError, match="VP8"):
        check_publisher_offer(h264_only, VP8)
    with pytest.raises(OfferError, match="no audio m-line"):
        codec_payload_type(VIEWER_OFFER, OPUS)
    audio = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
    with pytest.raises(OfferError, match="no video m-line"):
        check_publisher_offer(audio, VP8)


SIMULCAST_OFFER_LINES = """a=rid:l send
a=rid:m send
a=rid:h send
a=simulcast:send l;m;h
"""


def test_a_simulcast_offer_is_told_from_one_of_one_layer() -> None:
    camera = VIEWER_OFFER.replace("a=recvonly", "a=sendonly")
    assert not offers_simulcast(camera, VP8)
    assert offers_simulcast(camera + SIMULCAST_OFFER_LINES, VP8)
    assert not offers_simulcast(camera + "a=simulcast:send h\n", VP8)  # one layer
    assert not offers_simulcast(camera + "a=simulcast:recv l;h\n", VP8)


def test_a_simulcast_forwarder_is_recorded_with_every_layer() -> None:
    forwarder = Forwarder("cam", 1, 10, 5, layers=[11, 12])  # type: ignore[arg-type]
    assert forwarder.layers == (11, 12)  # as read back from JSON
    assert forwarder.stream_ids == (10, 11, 12)
    assert Forwarder("mic", 1, 10).stream_ids == (10,)


def test_a_video_mountpoint_takes_three_layers() -> None:
    medium = VP8.medium(96, "127.0.0.1", feedback=True, simulcast=True)
    assert medium["simulcast"] is True and medium["port2"] == medium["port3"] == 0
    assert "simulcast" not in OPUS.medium(111, "127.0.0.1", simulcast=True)


def test_a_janus_plane_refuses_an_unknown_video_codec() -> None:
    with pytest.raises(ValueError, match="VP9"):
        JanusMediaPlane("ws://127.0.0.1:9", video_codec="VP9")
    assert JanusMediaPlane("ws://127.0.0.1:9", video_codec="H264").video_codec == "H264"


# --- on the session's Janus --------------------------------------------------------------


@pytest.fixture
def address() -> str:
    """Where Janus and the test peers gather ICE candidates."""
    return ensure_host_address()


@pytest.fixture
async def janus(janus_server: JanusProcess) -> AsyncIterator[JanusMediaPlane]:
    """A VP8 plane on the session's Janus."""
    plane = JanusMediaPlane(janus_server.url)
    yield plane
    await plane.shutdown()


async def _camera(plane: MediaPlane, channel: str, peer: str, colour: str, **kw: str) -> Camera:
    return await start_camera(plane, channel, peer, colour, addresses=[ensure_host_address()], **kw)


async def _viewer(plane: MediaPlane, channel: str, peer: str) -> Viewer:
    return await start_viewer(plane, channel, peer, addresses=[ensure_host_address()])


async def _shown_within(viewer: Viewer, colour: str, since: float, seconds: float) -> None:
    shown = await viewer.wait_for(colour, after=since, timeout=5)
    assert shown - since < seconds, f"{colour} shown {shown - since:.2f} s later"


@pytest.fixture
async def h264_janus(janus_server: JanusProcess) -> AsyncIterator[JanusMediaPlane]:
    """An H.264 plane on the session's Janus."""
    plane = JanusMediaPlane(janus_server.url, video_codec="H264")
    yield plane
    await plane.shutdown()


async def test_janus_forwards_h264_as_it_was_encoded(
    h264_janus: JanusMediaPlane, closing: list[object]
) -> None:
    plane = h264_janus
    await plane.open_channel("cam", MediaKind.VIDEO)
    blue = await _camera(plane, "cam", "blue:cam", "blue", codec="H264")
    red = await _camera(plane, "cam", "red:cam", "red", codec="H264")
    closing += [blue, red]
    await plane.set_source("cam", "blue:cam")
    viewer = await _viewer(plane, "cam", "listener:video")
    closing.append(viewer)
    await viewer.wait_for("blue", timeout=8)
    assert viewer.codec == "H264"
    await asyncio.sleep(1.0)
    switched = time.monotonic()
    await plane.set_source("cam", "red:cam")
    await _shown_within(viewer, "red", switched, 1.5)


async def test_a_camera_without_the_plane_s_codec_is_refused_before_janus_sees_it(
    janus: JanusMediaPlane, closing: list[object]
) -> None:
    await janus.open_channel("cam", MediaKind.VIDEO)
    with pytest.raises(OfferError):
        await _camera(janus, "cam", "speaker:cam", "red", codec="H264")
    assert janus.channel_stats("cam").publishers == ()
    camera = await _camera(janus, "cam", "speaker:cam", "red")  # the id is free again
    closing.append(camera)
    await janus.open_channel("floor")
    with pytest.raises(OfferError, match="no audio m-line"):
        await _viewer(janus, "floor", "listener:video")  # video to an audio channel
    assert janus.listener_count("floor") == 0


async def test_janus_counts_the_viewers_of_video_channels_where_the_plane_does(
    janus: JanusMediaPlane, closing: list[object]
) -> None:
    await janus.open_channel("speaker", MediaKind.VIDEO)
    await janus.open_channel("sign", MediaKind.VIDEO)
    closing.append(await _camera(janus, "speaker", "speaker:cam", "red"))
    closing.append(await _camera(janus, "sign", "sign:cam", "green"))
    await janus.set_source("speaker", "speaker:cam")
    await janus.set_source("sign", "sign:cam")
    viewers = [await _viewer(janus, "speaker", f"v{n}") for n in range(2)]
    closing.extend(viewers)
    for viewer in viewers:
        await viewer.wait_for("red", timeout=8)
    assert [await janus.viewers(c) for c in ("speaker", "sign")] == [2, 0]
    switched = time.monotonic()
    await janus.switch_subscription("v1", "sign")
    await _shown_within(viewers[1], "green", switched, 1.5)  # the sign camera was asked
    assert [await janus.viewers(c) for c in ("speaker", "sign")] == [1, 1]
    assert [janus.listener_count(c) for c in ("speaker", "sign")] == [1, 1]
    assert janus.channel_stats("sign").kind is MediaKind.VIDEO


async def test_viewers_of_fresh_channels_see_their_camera_at_once(
    janus: JanusMediaPlane, closing: list[object]
) -> None:
    """Each viewer's picture starts from a key frame the plane asks for when its
    connection is up, not from the Streaming plugin's request (at most one a second), nor
    from a buffered key frame (Janus 1.1.2 buffers a stale frame before it, and a viewer
    could wait seconds for the packets between)."""
    for round_ in range(4):
        cameras, viewers = [], []
        for channel, colour in ((f"stage{round_}", "red"), (f"sign{round_}", "green")):
            await janus.open_channel(channel, MediaKind.VIDEO)
            cameras.append(await _camera(janus, channel, f"{channel}:cam", colour))
            await janus.set_source(channel, f"{channel}:cam")  # before it is connected
        for channel, colour in ((f"stage{round_}", "red"), (f"sign{round_}", "green")):
            joined = time.monotonic()
            viewer = await _viewer(janus, channel, f"{channel}:viewer")
            viewers.append(viewer)
            await _shown_within(viewer, colour, joined, 1.0)
        for peer in [*viewers, *cameras]:
            await peer.close()


async def _substream_target(janus_server: JanusProcess, plane: JanusMediaPlane, peer: str) -> int:
    """The layer Janus sends the viewer `peer` (its Streaming session's target)."""
    admin = JanusAdmin(janus_server.admin_url, janus_server.admin_secret)
    try:
        session, handle = plane._session, plane._peers[peer].handle
        assert session is not None and handle is not None
        info = await admin.handle_info(session.session_id, handle.handle_id)
    finally:
        await admin.close()
    [video] = info["plugin_specific"]["media"]
    return int(video["simulcast"]["substream-target"])


async def test_janus_sends_a_viewer_the_layer_it_chose(
    janus: JanusMediaPlane, janus_server: JanusProcess, closing: list[object]
) -> None:
    """Every video mountpoint takes three layers; a viewer gets the high one until it
    chooses, and keeps its choice across a switch. A camera of one layer (aiortc) is shown
    whatever the viewer chose."""
    assert janus.simulcast
    for channel in ("stage", "sign"):
        await janus.open_channel(channel, MediaKind.VIDEO)
        assert all(janus.mountpoint_layer_ports(channel))
    red = await _camera(janus, "stage", "red:cam", "red")
    green = await _camera(janus, "sign", "green:cam", "green")
    closing += [red, green]
    await janus.set_source("stage", "red:cam")
    await janus.set_source("sign", "green:cam")
    viewer = await _viewer(janus, "stage", "tile")
    closing.append(viewer)
    assert await _substream_target(janus_server, janus, "tile") == 2  # high
    chosen = time.monotonic()
    await janus.choose_layer("tile", VideoLayer.LOW)
    assert await _substream_target(janus_server, janus, "tile") == 0
    await _shown_within(viewer, "red", chosen, 2.0)
    switched = time.monotonic()
    await janus.switch_subscription("tile", "sign")
    await _shown_within(viewer, "green", switched, 1.5)
    assert await _substream_target(janus_server, janus, "tile") == 0  # kept
    await janus.choose_layer("tile", VideoLayer.MEDIUM)
    assert await _substream_target(janus_server, janus, "tile") == 1


# --- a camera on another app node ---------------------------------------------------------


async def test_a_camera_that_joined_through_another_node_is_asked_for_a_key_frame(
    two_nodes: tuple[JanusMediaPlane, JanusMediaPlane], closing: list[object]
) -> None:
    a, b = two_nodes
    for plane in two_nodes:
        await plane.open_channel("stage", MediaKind.VIDEO)
    red = await _camera(a, "stage", "red:cam", "red")  # both cameras join through node A
    blue = await _camera(a, "stage", "blue:cam", "blue")
    closing += [red, blue]
    await b.set_source("stage", "red:cam")  # node B runs the stage
    viewer = await _viewer(b, "stage", "listener:video")
    closing.append(viewer)
    await viewer.wait_for("red", timeout=8)
    await asyncio.sleep(1.5)
    switched = time.monotonic()
    await b.set_source("stage", "blue:cam")  # node A asks the camera for a key frame
    await _shown_within(viewer, "blue", switched, 1.5)
    await a.open_channel("floor")
    with pytest.raises(MediaPlaneError):
        await b.open_channel("floor", MediaKind.VIDEO)  # the same channel, another kind


# --- a fleet -------------------------------------------------------------------------------


@pytest.fixture
def servers(address: str) -> Iterator[list[JanusProcess]]:
    """Two Janus servers of this test's own."""
    if janus_binary() is None:
        pytest.skip("janus is not installed (Debian package 'janus')")
    with JanusProcess(ice_address=address) as one, JanusProcess(ice_address=address) as two:
        yield [one, two]


@pytest.fixture
async def fleet(servers: list[JanusProcess]) -> AsyncIterator[JanusFleet]:
    """A fleet of the two."""
    planes = JanusFleet([JanusMediaPlane(server.url) for server in servers])
    yield planes
    await planes.shutdown()


def _member(fleet: JanusFleet, peer: str) -> int:
    return next(i for i, m in enumerate(fleet.members) if m.has_peer(peer))


async def test_a_fleet_shows_cameras_from_either_server_and_passes_key_frame_requests_on(
    fleet: JanusFleet, closing: list[object]
) -> None:
    for channel in ("speaker", "sign"):
        await fleet.open_channel(channel, MediaKind.VIDEO)
    closing.append(await _camera(fleet, "speaker", "a:cam", "red"))
    closing.append(await _camera(fleet, "sign", "sign:cam", "green"))
    await fleet.set_source("speaker", "a:cam")
    await fleet.set_source("sign", "sign:cam")
    viewer = await _viewer(fleet, "speaker", "listener:video")
    closing.append(viewer)
    assert _member(fleet, "sign:cam") != _member(fleet, "listener:video")
    await viewer.wait_for("red", timeout=8)

    closing.append(await _camera(fleet, "speaker", "b:cam", "blue"))
    assert _member(fleet, "b:cam") != _member(fleet, "listener:video")
    await asyncio.sleep(1.0)
    handed = time.monotonic()
    await fleet.set_source("speaker", "b:cam")  # forwarded from the other server
    await _shown_within(viewer, "blue", handed, 1.5)

    switched = time.monotonic()
    await fleet.switch_subscription("listener:video", "sign")  # its camera is on the other
    await _shown_within(viewer, "green", switched, 1.5)
    stats = fleet.channel_stats("sign")
    assert stats.kind is MediaKind.VIDEO and stats.listener_count == 1

    assert fleet.simulcast
    assert all(m.mountpoint_layer_ports("sign") != (0, 0) for m in fleet.members)
    chosen = time.monotonic()
    await fleet.choose_layer("listener:video", VideoLayer.LOW)  # on its member
    await _shown_within(viewer, "green", chosen, 1.5)  # a camera of one layer: still shown
    await fleet.open_channel("floor")
    with pytest.raises(MediaPlaneError):
        await fleet.switch_subscription("listener:video", "floor")
    with pytest.raises(MediaPlaneError):
        await fleet.open_channel("floor", MediaKind.VIDEO)
