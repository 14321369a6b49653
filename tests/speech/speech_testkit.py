"""Speech made by espeak-ng from known text, for the recognisers' tests and the live
captions' tests (scripts/test installs espeak-ng)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from interpreta.speech.pcm import RATE, pcm_from_file


def speak(text: str, folder: Path, voice: str = "en-us") -> bytes:
    """`text` spoken by espeak-ng, as 16 kHz PCM (s16)."""
    wav = folder / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True)
    return pcm_from_file(wav)


def at_48k(pcm: bytes) -> np.ndarray:
    """16 kHz PCM as 48 kHz samples (as a browser's microphone sends), interpolated."""
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    times = np.arange(len(samples) * 3) / 3
    return np.interp(times, np.arange(len(samples)), samples).astype(np.int16)


__all__ = ["RATE", "at_48k", "speak"]
