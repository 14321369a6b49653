"""Synthetic speech with espeak-ng (Debian's package; its voices ship with it), for the
machine interpretation channels. The voice is plainly synthetic: listeners are told, in
the channel's name and on the page, that they hear a machine (EU AI Act Art. 50)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from interpreta.speech.pcm import pcm_from_file

__all__ = ["VOICES", "SynthesisFailed", "speak"]

VOICES = {"en": "en-us", "es": "es", "it": "it", "pt": "pt", "ca": "ca", "fr": "fr-fr"}
"""espeak-ng's voice for each language it speaks here (it has none for Galician)."""

TIMEOUT = 10.0
"""Seconds one sentence may take."""


class SynthesisFailed(RuntimeError):
    """espeak-ng could not speak a text."""


def speak(text: str, language: str, words_per_minute: int = 160) -> bytes:
    """`text` spoken in `language`, as 16 kHz mono PCM.

    :raises KeyError: when there is no voice for `language`.
    :raises SynthesisFailed: when espeak-ng fails.
    """
    voice = VOICES[language]
    with tempfile.TemporaryDirectory(prefix="interpreta-speech-") as folder:
        wav = Path(folder) / "spoken.wav"
        try:
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav), "--", text],
                capture_output=True,
                timeout=TIMEOUT,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise SynthesisFailed(f"espeak-ng: {exc}") from exc
        return pcm_from_file(wav)
