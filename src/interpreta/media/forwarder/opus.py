"""Reading an Opus packet's duration from its TOC byte (RFC 6716, section 3.1)."""

from __future__ import annotations

__all__ = ["SAMPLES_PER_20MS", "SAMPLE_RATE", "packet_samples"]

SAMPLE_RATE = 48000
"""Opus RTP clock rate (RFC 7587), whatever the coded bandwidth."""

SAMPLES_PER_20MS = 960
"""One 20 ms frame at 48 kHz, what browsers send."""

# Frame size in 48 kHz samples for each of the 32 TOC configurations.
_FRAME_SAMPLES = (
    (480, 960, 1920, 2880) * 3  # SILK-only NB/MB/WB: 10, 20, 40, 60 ms
    + (480, 960) * 2  # Hybrid SWB/FB: 10, 20 ms
    + (120, 240, 480, 960) * 4  # CELT-only NB/WB/SWB/FB: 2.5, 5, 10, 20 ms
)


def packet_samples(payload: bytes) -> int:
    """The duration of an Opus packet in 48 kHz samples.

    Malformed or empty payloads count as one 20 ms frame, which is what they replace.
    """
    if not payload:
        return SAMPLES_PER_20MS
    toc = payload[0]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code != 3:
        frames = 2
    elif len(payload) > 1:
        frames = payload[1] & 0x3F
    else:
        return SAMPLES_PER_20MS
    samples = _FRAME_SAMPLES[toc >> 3] * frames
    return samples if 0 < samples <= 5760 else SAMPLES_PER_20MS
