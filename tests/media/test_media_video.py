"""Video channels, end to end between real aiortc peers, on every backend.

A camera publishes a solid colour; viewers decode what reaches them. A frame decoded in
the right colour proves the plane forwarded whole frames, a key frame first, without
transcoding (the viewer's codec is the camera's). Tests of the embedded plane's internals
are marked as such.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from conftest import Peers
from media_testkit import LOOPBACK
from video_testkit import start_camera, start_viewer

from interpreta.media import MediaKind, MediaPlane, MediaPlaneError, UnknownPeerError
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusMediaPlane
from interpreta.media.plane import VideoLayer


async def _video_channels(plane: MediaPlane, *channel_ids: str) -> None:
    for channel_id in channel_ids:
        await plane.open_channel(channel_id, MediaKind.VIDEO)


async def test_a_viewer_sees_the_camera_on_air(plane: MediaPlane, peers: Peers) -> None:
    await _video_channels(plane, "cam")
    camera = await peers.camera("cam", "speaker:cam", "red")
    await plane.set_source("cam", "speaker:cam")
    viewer = await peers.viewer("cam", "listener:video")
    try:
        await viewer.wait_for("red", timeout=8)
        assert viewer.codec == "VP8"
        stats = plane.channel_stats("cam")
        assert stats.kind is MediaKind.VIDEO
        assert stats.source == "speaker:cam"
        assert plane.listener_count("cam") == 1
    finally:
        await viewer.close()
        await camera.close()


async def test_nothing_is_shown_while_no_camera_is_on_air(plane: MediaPlane, peers: Peers) -> None:
    await _video_channels(plane, "cam")
    camera = await peers.camera("cam", "speaker:cam", "red")
    viewer = await peers.viewer("cam", "listener:video")
    try:
        await asyncio.sleep(2.0)
        assert viewer.seen == []
        await plane.set_source("cam", "speaker:cam")
        await viewer.wait_for("red", timeout=8)
    finally:
        await viewer.close()
        await camera.close()


async def test_a_new_source_is_shown_from_its_next_key_frame(
    plane: MediaPlane, peers: Peers
) -> None:
    """The active speaker changes: the viewer's picture follows within a second, whole
    (the plane asks the new camera for a key frame rather than waiting for one)."""
    await _video_channels(plane, "floor-video")
    red = await peers.camera("floor-video", "a:cam", "red")
    blue = await peers.camera("floor-video", "b:cam", "blue")
    await plane.set_source("floor-video", "a:cam")
    viewer = await peers.viewer("floor-video", "listener:video")
    try:
        await viewer.wait_for("red", timeout=8)
        await asyncio.sleep(1.5)  # long after both cameras' first key frames
        switched = time.monotonic()
        await plane.set_source("floor-video", "b:cam")
        shown = await viewer.wait_for("blue", after=switched, timeout=5)
        assert shown - switched < 1.5
        assert "red" not in {s.colour for s in viewer.seen if s.at > shown}
    finally:
        await viewer.close()
        await red.close()
        await blue.close()


async def test_a_late_viewer_gets_a_picture_at_once(plane: MediaPlane, peers: Peers) -> None:
    await _video_channels(plane, "cam")
    camera = await peers.camera("cam", "speaker:cam", "green")
    await plane.set_source("cam", "speaker:cam")
    first = await peers.viewer("cam", "early:video")
    try:
        await first.wait_for("green", timeout=8)
        await asyncio.sleep(2.0)
        joined = time.monotonic()
        late = await peers.viewer("cam", "late:video")
        try:
            shown = await late.wait_for("green", timeout=5)
            assert shown - joined < 2.0
        finally:
            await late.close()
    finally:
        await first.close()
        await camera.close()


async def test_switching_a_viewer_between_video_channels(plane: MediaPlane, peers: Peers) -> None:
    """A listener pins the sign-language interpreter instead of the speaker: the same
    connection, another channel, no renegotiation."""
    await _video_channels(plane, "speaker", "sign")
    speaker = await peers.camera("speaker", "speaker:cam", "red")
    sign = await peers.camera("sign", "sign:cam", "green")
    await plane.set_source("speaker", "speaker:cam")
    await plane.set_source("sign", "sign:cam")
    viewer = await peers.viewer("speaker", "listener:video")
    try:
        await viewer.wait_for("red", timeout=8)
        switched = time.monotonic()
        await plane.switch_subscription("listener:video", "sign")
        await viewer.wait_for("green", after=switched, timeout=5)
        assert plane.listener_count("sign") == 1
        assert plane.listener_count("speaker") == 0
    finally:
        await viewer.close()
        await speaker.close()
        await sign.close()


async def test_video_and_audio_channels_do_not_mix(plane: MediaPlane, peers: Peers) -> None:
    await plane.open_channel("floor")
    await _video_channels(plane, "cam")
    with pytest.raises(MediaPlaneError):
        await plane.open_channel("floor", MediaKind.VIDEO)
    subscriber = await peers.subscriber("floor", "listener:ear")
    try:
        with pytest.raises(MediaPlaneError):
            await plane.switch_subscription("listener:ear", "cam")
        with pytest.raises(UnknownPeerError):
            await plane.switch_subscription("nobody", "cam")
    finally:
        await subscriber.close()


async def test_a_viewer_chooses_a_layer_of_a_camera_with_one(
    plane: MediaPlane, peers: Peers
) -> None:
    """A camera without simulcast (aiortc sends none) has one layer: a viewer that chose
    another still sees it, through a switch too. Only Janus takes simulcast."""
    assert plane.simulcast is isinstance(plane, JanusMediaPlane)
    await _video_channels(plane, "cam", "sign")
    camera = await peers.camera("cam", "speaker:cam", "red")
    sign = await peers.camera("sign", "sign:cam", "green")
    await plane.set_source("cam", "speaker:cam")
    await plane.set_source("sign", "sign:cam")
    viewer = await peers.viewer("cam", "tile:video")
    try:
        await plane.choose_layer("tile:video", VideoLayer.LOW)
        await viewer.wait_for("red", timeout=8)
        chosen = time.monotonic()
        await plane.choose_layer("tile:video", VideoLayer.MEDIUM)
        await plane.choose_layer("tile:video", "high")  # type: ignore[arg-type]
        await viewer.wait_for("red", after=chosen, timeout=5)
        switched = time.monotonic()
        await plane.switch_subscription("tile:video", "sign")
        await viewer.wait_for("green", after=switched, timeout=5)
    finally:
        await viewer.close()
        await camera.close()
        await sign.close()


async def test_layers_are_chosen_for_video_viewers_only(plane: MediaPlane, peers: Peers) -> None:
    await plane.open_channel("floor")
    await _video_channels(plane, "cam")
    camera = await peers.camera("cam", "speaker:cam", "red")
    ear = await peers.subscriber("floor", "listener:ear")
    viewer = await peers.viewer("cam", "listener:video")
    try:
        with pytest.raises(MediaPlaneError, match="audio"):
            await plane.choose_layer("listener:ear", VideoLayer.LOW)
        for nobody in ("nobody", "speaker:cam"):  # no peer; a publisher
            with pytest.raises(UnknownPeerError):
                await plane.choose_layer(nobody, VideoLayer.LOW)
        with pytest.raises(ValueError, match="huge"):
            await plane.choose_layer("listener:video", "huge")  # type: ignore[arg-type]
    finally:
        await viewer.close()
        await ear.close()
        await camera.close()


def test_layers_go_from_the_smallest_picture_up() -> None:
    assert [layer.number for layer in VideoLayer] == [0, 1, 2]
    assert [layer.value for layer in VideoLayer] == ["low", "medium", "high"]


# --- the embedded plane --------------------------------------------------------------


@pytest.fixture
async def h264_plane() -> AsyncIterator[EmbeddedMediaPlane]:
    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK, video_codec="H264")
    yield plane
    await plane.shutdown()


async def test_embedded_forwards_h264_as_it_was_encoded(h264_plane: EmbeddedMediaPlane) -> None:
    await _video_channels(h264_plane, "cam")
    camera = await start_camera(h264_plane, "cam", "speaker:cam", "blue", codec="H264")
    await h264_plane.set_source("cam", "speaker:cam")
    viewer = await start_viewer(h264_plane, "cam", "listener:video")
    try:
        await viewer.wait_for("blue", timeout=8)
        assert viewer.codec == "H264"
    finally:
        await viewer.close()
        await camera.close()


def test_embedded_refuses_an_unknown_video_codec() -> None:
    with pytest.raises(ValueError, match="VP9"):
        EmbeddedMediaPlane(video_codec="VP9")
