"""A face present on camera (engagement/faces.py) on real images: scikit-image's
photograph of an astronaut, against flat grey and noise, alone and in a WebM video."""

from __future__ import annotations

import functools
import io

import av
import cv2
import numpy as np
import pytest
from skimage import data

from interpreta.engagement.faces import Presence, has_face, presence, sampled_frames

SIDE = 320


def astronaut(side: int = 512) -> np.ndarray:
    """Eileen Collins in her spacesuit, looking at the camera: BGR, `side` pixels square."""
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return image if side == 512 else cv2.resize(image, (side, side))


def grey(side: int = 512) -> np.ndarray:
    """A flat mid-grey BGR image: an empty, evenly lit scene."""
    return np.full((side, side, 3), 128, dtype=np.uint8)


@functools.cache
def video() -> bytes:
    """4 s of WebM (VP8, 10 frames a second): 2 s of the astronaut, then 2 s of grey."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10, options={"deadline": "realtime"})
        stream.width, stream.height, stream.pix_fmt = SIDE, SIDE, "yuv420p"
        for index in range(40):
            image = astronaut(SIDE) if index < 20 else grey(SIDE)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_a_photograph_of_a_face_has_a_face() -> None:
    assert has_face(astronaut())


def test_a_face_is_found_in_a_large_frame_and_in_a_small_one() -> None:
    large = cv2.resize(astronaut(), (1280, 1280))[280:1000]  # 1280x720, scaled down first
    assert has_face(large)
    assert has_face(astronaut(SIDE))


def test_flat_grey_and_noise_have_no_face() -> None:
    assert not has_face(grey())
    noise = np.random.default_rng(7).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    assert not has_face(noise)


def test_a_grey_scale_frame_is_taken_as_it_is() -> None:
    assert has_face(cv2.cvtColor(astronaut(), cv2.COLOR_BGR2GRAY))


def test_a_frame_a_second_of_half_face_half_grey_is_half_present() -> None:
    seen = presence(sampled_frames(video()))
    assert (seen.sampled, seen.with_face, seen.fraction) == (4, 2, 0.5)
    assert seen.times_ms == (0, 1000, 2000, 3000)
    assert seen.faces == (True, True, False, False)
    assert 0 < seen.confidence < 1


def test_more_samples_give_more_confidence_in_the_same_share() -> None:
    few = presence(sampled_frames(video()))
    many = presence(sampled_frames(video(), every_ms=100))
    assert (many.sampled, many.with_face, many.fraction) == (40, 20, 0.5)
    assert few.confidence < many.confidence < 1
    assert few.confidence == pytest.approx(0.30, abs=0.01)  # Wilson: 0.5 ± 0.35 of 4
    assert many.confidence == pytest.approx(0.70, abs=0.01)  # Wilson: 0.5 ± 0.15 of 40


def test_a_span_after_the_face_left_has_no_face() -> None:
    seen = presence(sampled_frames(video(), from_ms=2000))
    assert seen.times_ms == (2000, 3000) and seen.with_face == 0 and seen.fraction == 0


def test_a_span_is_sampled_at_the_multiples_within_it_end_excluded() -> None:
    times = [ms for ms, _ in sampled_frames(video(), from_ms=1_050, to_ms=3_000, every_ms=500)]
    assert times == [1_500, 2_000, 2_500]


def test_sampled_frames_are_bgr_images_of_the_video() -> None:
    (_, frame), *_ = sampled_frames(video(), to_ms=100)
    assert frame.shape == (SIDE, SIDE, 3) and frame.dtype == np.uint8
    assert abs(float(frame.mean()) - float(astronaut(SIDE).mean())) < 8


def test_nothing_sampled_is_no_presence_and_no_confidence() -> None:
    assert presence([]) == Presence(
        sampled=0, with_face=0, fraction=0.0, confidence=0.0, times_ms=(), faces=()
    )
    assert list(sampled_frames(video(), from_ms=10_000)) == []
    with pytest.raises(ValueError):
        next(sampled_frames(video(), every_ms=0))
