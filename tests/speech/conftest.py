"""Speech for the recognisers' tests: sentences spoken by espeak-ng from known text, and
LibriVox readings with their transcripts from Debian's ``pocketsphinx-testdata`` (real
recorded speech; scripts/test installs both)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jiwer
import pytest

from interpreta.speech.pcm import RATE, SAMPLE_BYTES, pcm_from_file
from tests.speech.speech_testkit import speak

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


@dataclass(frozen=True)
class Reading:
    """A recorded sentence and what was said."""

    name: str
    pcm: bytes
    text: str


def readings() -> list[Reading]:
    """The LibriVox readings of ``pocketsphinx-testdata``, with their transcripts."""
    if not (LIBRIVOX / "transcription").exists():
        pytest.fail(f"{LIBRIVOX} is missing: run scripts/test, which installs it")
    found = []
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        match = re.fullmatch(r"<s> (.*) </s> \((.*)\)", line.strip())
        if match:
            text, name = match.groups()
            found.append(Reading(name, pcm_from_file(LIBRIVOX / f"{name}.wav"), text))
    return found


WORDS = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.SubstituteWords({"mr": "mister", "mrs": "missus"}),
        jiwer.RemovePunctuation(),
        jiwer.SubstituteRegexes({r"-": " "}),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)
"""What is compared: words, in lower case, without punctuation ("Mr." is "mister", as
the transcripts write it)."""


def word_error_rate(said: list[str], heard: list[str]) -> float:
    """The share of the words said that were heard wrong, left out or added."""
    return float(jiwer.wer(said, heard, reference_transform=WORDS, hypothesis_transform=WORDS))


def silence(seconds: float) -> bytes:
    """Digital silence."""
    return bytes(int(seconds * RATE) * SAMPLE_BYTES)


@pytest.fixture
def spoken(tmp_path: Path) -> Callable[[str], bytes]:
    """Speech made by espeak-ng (US English) from a text, as 16 kHz PCM."""

    return lambda text: speak(text, tmp_path)
