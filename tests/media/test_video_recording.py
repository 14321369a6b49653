"""The video recorder: frames as they were encoded, in Matroska, on the recording's
timeline; a tap recording a camera on either backend; and a person blacked out."""

from __future__ import annotations

import asyncio
import fractions
import io
import time

import av
import numpy as np
import pytest

from interpreta.media import MediaKind
from interpreta.media.forwarder.frames import AssembledFrame
from interpreta.media.plane import MediaPlane
from interpreta.media.video_recording import VideoRecorder, VideoTap, blacked_out
from tests.media.conftest import Backend, Peers
from tests.media.video_testkit import COLOURS, colour_of


def _encoded(
    colours: list[str], codec: str = "VP8", key_every: int = 15
) -> list[tuple[bytes, bool]]:
    """A frame of each colour, encoded (a key frame every `key_every` frames)."""
    encoder = av.CodecContext.create("libvpx" if codec == "VP8" else "libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 320, 180, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.gop_size = key_every
    frames = []
    for index, colour in enumerate(colours):
        pixels = np.zeros((180, 320, 3), dtype=np.uint8)
        pixels[:, :] = COLOURS[colour]
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        frames += [(bytes(p), bool(p.is_keyframe)) for p in encoder.encode(frame)]
    frames += [(bytes(p), bool(p.is_keyframe)) for p in encoder.encode(None)]
    return frames


def _decoded(recording: bytes) -> list[tuple[int, str]]:
    """(milliseconds, colour) of each frame of a recording."""
    with av.open(io.BytesIO(recording)) as container:
        return [
            (int(frame.pts * frame.time_base * 1000), colour_of(frame))
            for frame in container.decode(video=0)
        ]


@pytest.mark.parametrize("codec", ["VP8", "H264"])
def test_frames_are_kept_as_encoded_on_the_recordings_timeline(codec: str) -> None:
    recorder = VideoRecorder(codec)
    frames = _encoded(["red"] * 30 + ["blue"] * 30, codec)
    delta = next(data for data, key in frames if not key)
    recorder.add(delta, False, 0)  # before the first key frame: not decodable, skipped
    for index, (data, key) in enumerate(frames):
        recorder.add(data, key, 500 + index * 33)
    recording = recorder.take() + recorder.finish()
    shown = _decoded(recording)
    assert len(shown) == 60 and recorder.frames == 60
    assert shown[0] == (500, "red") and shown[-1][1] == "blue"
    assert [colour for _, colour in shown[:30]] == ["red"] * 30
    assert recorder.duration_ms == 500 + 59 * 33


def test_a_person_is_blacked_out_and_nothing_of_them_decodes() -> None:
    recorder = VideoRecorder()
    frames = _encoded(["red"] * 90, key_every=30)  # key frames at 0, 1 and 2 s
    for index, (data, key) in enumerate(frames):
        recorder.add(data, key, index * 33)
    original = recorder.finish()
    blacked = blacked_out(original, "VP8", [(400, 1200)])
    shown = _decoded(blacked)
    assert {c for at, c in shown if at < 400} == {"red"}
    assert [c for at, c in shown if 400 <= at < 1200] == ["black"]  # one black key frame
    # after the stretch the frames that needed it are gone, until the next key frame
    assert not [at for at, _ in shown if 1200 <= at < 30 * 33 * 2]
    assert {c for at, c in shown if at >= 30 * 33 * 2} == {"red"}


async def test_a_tap_records_the_camera_on_air(
    plane: MediaPlane, peers: Peers, backend: Backend
) -> None:
    await plane.open_channel("cam", MediaKind.VIDEO)
    camera = await peers.camera("cam", "speaker:cam", "green")
    await plane.set_source("cam", "speaker:cam")
    recorder = VideoRecorder()
    started = time.monotonic()

    def record(frame: AssembledFrame) -> None:
        recorder.add(frame.data, frame.key, int((time.monotonic() - started) * 1000))

    tap = VideoTap(plane, "recorder:cam")
    await tap.start("cam", record, backend.addresses)
    try:
        deadline = time.monotonic() + 10
        while recorder.frames < 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        await tap.close()
        await camera.close()
    shown = _decoded(recorder.finish())
    assert len(shown) >= 30 and {c for _, c in shown} == {"green"}
