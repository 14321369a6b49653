"""The audio the recognisers take: 16 kHz mono signed 16-bit PCM (little-endian), made
from a channel's Opus packets or from a sound file, with PyAV's decoder and resampler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

__all__ = ["RATE", "SAMPLE_BYTES", "OpusToPcm", "pcm_from_file", "seconds"]

RATE = 16_000
"""Samples a second."""
SAMPLE_BYTES = 2
"""Bytes a sample (signed 16-bit)."""


def seconds(pcm: bytes) -> float:
    """How long `pcm` lasts."""
    return len(pcm) / (RATE * SAMPLE_BYTES)


def _resampler() -> Any:
    return av.AudioResampler(format="s16", layout="mono", rate=RATE)


def _pcm_of(resampler: Any, frame: Any) -> bytes:
    return b"".join(
        bytes(out.planes[0])[: out.samples * SAMPLE_BYTES] for out in resampler.resample(frame)
    )


class OpusToPcm:
    """Decodes a channel's Opus packets (RTP payloads, as a tap hands them over) into
    16 kHz mono PCM. A packet the decoder refuses is skipped: a recogniser hears a short
    gap rather than stopping."""

    def __init__(self) -> None:
        self._decoder: Any = av.CodecContext.create("libopus", "r")
        self._decoder.sample_rate = 48_000
        self._decoder.layout = "stereo"  # as Opus over RTP always is
        self._resampler = _resampler()
        self.last_samples = 0
        """How many 48 kHz samples (RTP timestamp units) the last packet held."""

    def decode(self, payload: bytes) -> bytes:
        """The PCM of one Opus packet (empty when it could not be decoded)."""
        try:
            frames = self._decoder.decode(av.Packet(payload))
        except av.FFmpegError:
            self.last_samples = 0
            return b""
        self.last_samples = sum(frame.samples for frame in frames)
        return b"".join(_pcm_of(self._resampler, frame) for frame in frames)


def pcm_from_file(path: Path) -> bytes:
    """The sound of file `path` (any format FFmpeg reads: WAV, Ogg Opus, ...) as 16 kHz
    mono PCM."""
    resampler = _resampler()
    with av.open(str(path)) as container:
        chunks = [_pcm_of(resampler, frame) for frame in container.decode(audio=0)]
    chunks.append(_pcm_of(resampler, None))
    return b"".join(chunks)
