"""Speaking time and turns, measured locally from a person's audio with WebRTC's voice
activity detector (``webrtcvad``).

What is measured: when someone's microphone carried a voice, in 30 ms frames; from
that, how many seconds they spoke, in how many turns, and where the voiced stretches
lie. What is not: who spoke (the audio is one person's channel already), what was
said (nothing is transcribed), how it was said, and never any emotion, mood or
attitude. The detector answers "voice or not" for each frame and nothing more.

The measure is an estimate and says how sure it is: :attr:`Speech.confidence` is the
share of frames on which the detector's most lenient and its strictest settings agree,
so that audio where the decision was borderline (noise, music, a distant voice) shows
as less certain, in terms one can explain to the person measured.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import webrtcvad

__all__ = [
    "AGGRESSIVENESS",
    "BRIDGE_S",
    "FRAME_MS",
    "LENIENT",
    "MIN_TURN_S",
    "RATES",
    "STRICT",
    "TURN_PAUSE_S",
    "WINDOW_FRAMES",
    "Speech",
    "pcm_of",
    "speaking",
]

RATES = (8_000, 16_000, 32_000, 48_000)
"""The sample rates WebRTC's detector takes (Hz)."""
FRAME_MS = 30
"""The length of a frame the detector judges (ms); it takes 10, 20 or 30."""
AGGRESSIVENESS = 2
"""The detector's setting for the decision, from 0 (lenient: more frames are voice) to 3
(strict)."""
LENIENT = 1
"""The lenient setting that :attr:`Speech.confidence` compares with :data:`STRICT`."""
STRICT = 3
"""The strict setting that :attr:`Speech.confidence` compares with :data:`LENIENT`."""
WINDOW_FRAMES = 5
"""The smoothing window (frames, odd): a frame counts as voiced when most frames of the
window centred on it are (150 ms), so a lone click is not speech and a lone dip within
a word is not a pause."""
BRIDGE_S = 0.3
"""Pauses shorter than this (seconds) are breaths between words: they join the voiced
stretches either side and count as speaking time."""
MIN_TURN_S = 0.5
"""The least voiced time (seconds) a turn holds: a cough or a short "hm" is no turn."""
TURN_PAUSE_S = 1.5
"""The least pause (seconds) between two turns; voiced stretches closer together are one
turn."""

_SAMPLE_BYTES = 2


@dataclass(frozen=True)
class Speech:
    """How much a person spoke in some audio: an estimate."""

    seconds: float
    """Voiced time (seconds), with the short pauses between words bridged."""
    turns: int
    """How many turns: groups of voiced stretches apart by :data:`TURN_PAUSE_S` or more,
    each holding at least :data:`MIN_TURN_S` of voice."""
    confidence: float
    """From 0 to 1: the share of frames on which the detector's lenient and strict
    settings agree; 0.0 for empty audio."""
    stretches: tuple[tuple[float, float], ...]
    """The voiced stretches, as (start, end) in seconds from the start of the audio."""


def _frames(pcm: bytes, rate: int) -> Iterator[bytes]:
    size = rate * FRAME_MS // 1000 * _SAMPLE_BYTES
    for start in range(0, len(pcm) - size + 1, size):
        yield pcm[start : start + size]


def _smoothed(voiced: list[bool]) -> list[bool]:
    half = WINDOW_FRAMES // 2
    counts = [0]
    for flag in voiced:
        counts.append(counts[-1] + flag)
    smooth: list[bool] = []
    for index in range(len(voiced)):
        low, high = max(0, index - half), min(len(voiced), index + half + 1)
        smooth.append(2 * (counts[high] - counts[low]) > high - low)
    return smooth


def _runs(voiced: list[bool]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, flag in enumerate([*voiced, False]):
        if flag and start is None:
            start = index
        elif not flag and start is not None:
            runs.append((start, index))
            start = None
    return runs


def _joined(stretches: list[tuple[float, float]], pause: float) -> list[list[tuple[float, float]]]:
    """`stretches` in groups, a new group after each pause of `pause` seconds or more."""
    groups: list[list[tuple[float, float]]] = []
    for stretch in stretches:
        if groups and stretch[0] - groups[-1][-1][1] < pause:
            groups[-1].append(stretch)
        else:
            groups.append([stretch])
    return groups


def speaking(pcm: bytes, rate: int = 16_000) -> Speech:
    """Speaking time and turns in `pcm`: mono signed 16-bit little-endian PCM at `rate`
    (8, 16, 32 or 48 kHz). A last partial frame (under 30 ms) is not judged."""
    if rate not in RATES:
        raise ValueError(f"WebRTC's voice detector takes {RATES} Hz, not {rate}")
    decide, lenient, strict = (
        webrtcvad.Vad(AGGRESSIVENESS),
        webrtcvad.Vad(LENIENT),
        webrtcvad.Vad(STRICT),
    )
    voiced: list[bool] = []
    agreed = 0
    for frame in _frames(pcm, rate):
        voiced.append(decide.is_speech(frame, rate))
        agreed += lenient.is_speech(frame, rate) == strict.is_speech(frame, rate)
    if not voiced:
        return Speech(seconds=0.0, turns=0, confidence=0.0, stretches=())
    frame_s = FRAME_MS / 1000
    runs = [(a * frame_s, b * frame_s) for a, b in _runs(_smoothed(voiced))]
    stretches = [(group[0][0], group[-1][1]) for group in _joined(runs, BRIDGE_S)]
    turns = sum(
        sum(end - start for start, end in group) >= MIN_TURN_S
        for group in _joined(stretches, TURN_PAUSE_S)
    )
    return Speech(
        seconds=round(sum((end - start for start, end in stretches), 0.0), 3),
        turns=turns,
        confidence=agreed / len(voiced),
        stretches=tuple((round(start, 3), round(end, 3)) for start, end in stretches),
    )


def _mono(resampler: Any, frame: Any) -> bytes:
    return b"".join(
        bytes(out.planes[0])[: out.samples * _SAMPLE_BYTES] for out in resampler.resample(frame)
    )


def pcm_of(media: bytes, from_ms: int = 0, to_ms: int | None = None, rate: int = 16_000) -> bytes:
    """The first audio stream of container `media` (Ogg Opus, as recordings are, or
    anything else FFmpeg reads) as mono signed 16-bit PCM at `rate`, from `from_ms` to
    `to_ms` (the end when None), by the decoded frames' timestamps, cut to the sample."""
    if from_ms < 0 or (to_ms is not None and to_ms < from_ms):
        raise ValueError(f"no span from {from_ms} to {to_ms} ms")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    pieces: list[bytes] = []
    began: Fraction | None = None  # when the first frame kept starts (seconds)
    with av.open(io.BytesIO(media), mode="r") as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if frame.pts is None or frame.time_base is None:
                continue
            at = frame.pts * frame.time_base  # seconds
            if (at + Fraction(frame.samples, frame.sample_rate)) * 1000 <= from_ms:
                continue
            if to_ms is not None and at * 1000 >= to_ms:
                break
            began = at if began is None else began
            pieces.append(_mono(resampler, frame))
        pieces.append(_mono(resampler, None))
    pcm = b"".join(pieces)
    if began is None:
        return b""
    start = max(Fraction(from_ms, 1000), began)  # the span's start, or the audio's if later
    pcm = pcm[round((start - began) * rate) * _SAMPLE_BYTES :]
    if to_ms is not None:
        pcm = pcm[: round((Fraction(to_ms, 1000) - start) * rate) * _SAMPLE_BYTES]
    return pcm
