"""Engagement estimates benchmark: how much CPU making an event's estimates costs.

- the voice detector (:func:`interpreta.engagement.speaking.speaking`) over the LibriVox
  readings of Debian's ``pocketsphinx-testdata``, repeated to a minute: milliseconds of
  CPU per minute of recorded sound, and the decode of that minute from Ogg Opus;
- the face detector (:func:`interpreta.engagement.faces.has_face`) on a 640 by 360 frame
  with a face (scikit-image's astronaut) and on a grey one: milliseconds per frame, so
  an hour of stage video sampled once a second costs 3,600 of them.

    python bench/engagement.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.engagement import faces, speaking
from tests.engagement.conftest import ogg_opus
from tests.speech.conftest import readings


def _timed(run: object, repeat: int) -> float:
    """The median CPU time of `repeat` calls, in milliseconds."""
    spent = []
    for _ in range(repeat):
        started = time.process_time()
        run()  # type: ignore[operator]
        spent.append((time.process_time() - started) * 1000)
    return statistics.median(spent)


def main() -> None:
    """Print the figures."""
    pcm = b"".join(r.pcm for r in readings())
    minute = (pcm * (60 * 32_000 // len(pcm) + 1))[: 60 * 32_000]
    speech = speaking.speaking(minute)
    print(f"voice detector: {_timed(lambda: speaking.speaking(minute), 5):.0f} ms CPU per minute")
    print(
        f"  found {speech.seconds:.1f} s of voice in {speech.turns} turns, confidence "
        f"{speech.confidence:.2f}"
    )
    encoded = ogg_opus(np.frombuffer(minute, dtype=np.int16))
    print(f"Ogg Opus decode: {_timed(lambda: speaking.pcm_of(encoded), 3):.0f} ms CPU per minute")

    from skimage import data

    face = np.zeros((360, 640, 3), dtype=np.uint8)
    face[:, 140:500] = cv2.resize(np.ascontiguousarray(data.astronaut()[:, :, ::-1]), (360, 360))
    grey = np.full((360, 640, 3), 128, dtype=np.uint8)
    assert faces.has_face(face) and not faces.has_face(grey)
    print(f"face detector, a face: {_timed(lambda: faces.has_face(face), 20):.0f} ms CPU a frame")
    print(f"face detector, none:   {_timed(lambda: faces.has_face(grey), 20):.0f} ms CPU a frame")


if __name__ == "__main__":
    main()
