"""A face present on camera, measured locally in video frames sampled about once a
second, with the frontal face Haar cascade that OpenCV ships.

What is measured: whether a frame shows a face turned towards the camera, and so the
share of sampled moments someone was visibly there. What is not: whose face it is (no
recognition, no face descriptor is kept), where they looked, how they looked, and never
any emotion, mood or attention. Nothing leaves this module but a yes or no a frame.

The share is an estimate and says how sure it is: :attr:`Presence.confidence` is one
less the width of the 95 % Wilson score interval of the share, so a few samples give a
low confidence, many a high one.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import cv2
import cv2.data
import numpy

__all__ = [
    "CASCADE",
    "MAX_WIDTH",
    "MIN_FACE",
    "MIN_NEIGHBOURS",
    "SCALE_FACTOR",
    "Z_95",
    "Presence",
    "has_face",
    "presence",
    "sampled_frames",
]

CASCADE = "haarcascade_frontalface_default.xml"
"""The cascade used, from OpenCV's bundled ``cv2.data.haarcascades``."""
MAX_WIDTH = 640
"""Wider frames are scaled down to this width (pixels) first: faster, and a face on a
call fills enough of the frame to stay findable."""
SCALE_FACTOR = 1.1
"""How much the cascade's window grows between scales."""
MIN_NEIGHBOURS = 5
"""How many overlapping detections make a face: fewer find more, and more false ones."""
MIN_FACE = 1 / 10
"""The smallest face looked for, as a share of the frame's shorter side."""
Z_95 = 1.959964
"""The standard normal quantile of a two-sided 95 % interval."""


@dataclass(frozen=True)
class Presence:
    """How often a face was on camera in some sampled frames: an estimate."""

    sampled: int
    """How many frames were looked at."""
    with_face: int
    """How many of them showed a face."""
    fraction: float
    """``with_face / sampled``; 0.0 when nothing was sampled."""
    confidence: float
    """From 0 to 1: one less the width of the 95 % Wilson score interval of
    :attr:`fraction` over :attr:`sampled` frames; 0.0 when nothing was sampled."""
    times_ms: tuple[int, ...]
    """When each sampled frame was (ms, by the video's timestamps)."""
    faces: tuple[bool, ...]
    """Whether each sampled frame showed a face, in the order of :attr:`times_ms`."""


# A classifier each thread, loaded on first use: detectMultiScale changes the classifier's
# state (it is not const), so threads may not share one (opencv/opencv#4287).
_loaded = threading.local()


def _cascade() -> Any:
    cascade = getattr(_loaded, "cascade", None)
    if cascade is None:
        path = Path(cv2.data.haarcascades) / CASCADE
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise RuntimeError(f"OpenCV's face cascade is missing: {path}")
        _loaded.cascade = cascade
    return cascade


def has_face(frame: numpy.ndarray) -> bool:
    """Whether `frame` (a BGR image, 8 bits a channel, or already grey) shows a face
    turned towards the camera."""
    height, width = frame.shape[:2]
    if width > MAX_WIDTH:
        height = max(1, round(height * MAX_WIDTH / width))
        width = MAX_WIDTH
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    grey = cv2.equalizeHist(grey)
    side = max(1, round(min(width, height) * MIN_FACE))
    found = _cascade().detectMultiScale(
        grey, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBOURS, minSize=(side, side)
    )
    return len(found) > 0


def sampled_frames(
    media: bytes, from_ms: int = 0, to_ms: int | None = None, every_ms: int = 1000
) -> Iterator[tuple[int, numpy.ndarray]]:
    """The frames of the first video stream of container `media` (WebM or Matroska with
    VP8, VP9 or H.264, or anything else FFmpeg reads) from `from_ms` to `to_ms` (the
    end when None), by their timestamps: the first frame at or after each multiple of
    `every_ms`, as (ms, BGR image). After a gap longer than `every_ms`, the next frame
    is taken once, not once for each multiple missed."""
    if every_ms <= 0:
        raise ValueError(f"every_ms must be positive, not {every_ms}")
    due = -(-from_ms // every_ms) * every_ms  # the first multiple at or after from_ms
    with av.open(io.BytesIO(media), mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                continue
            ms = math.floor(frame.pts * frame.time_base * 1000)
            if to_ms is not None and ms >= to_ms:
                break
            if ms < due:
                continue
            yield ms, frame.to_ndarray(format="bgr24")
            due = (ms // every_ms + 1) * every_ms


def _wilson_width(successes: int, trials: int) -> float:
    share = successes / trials
    z2 = Z_95 * Z_95
    half = Z_95 / (1 + z2 / trials) * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials**2))
    return 2 * half


def presence(frames: Iterable[tuple[int, numpy.ndarray]]) -> Presence:
    """How often a face was on camera in `frames` (as :func:`sampled_frames` gives)."""
    times: list[int] = []
    faces: list[bool] = []
    for ms, image in frames:
        times.append(ms)
        faces.append(has_face(image))
    sampled, with_face = len(faces), sum(faces)
    return Presence(
        sampled=sampled,
        with_face=with_face,
        fraction=with_face / sampled if sampled else 0.0,
        confidence=1 - _wilson_width(with_face, sampled) if sampled else 0.0,
        times_ms=tuple(times),
        faces=tuple(faces),
    )
