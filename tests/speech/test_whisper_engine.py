"""Whisper tiny.en, from the model its package ships: the final captions are Whisper's
(far more words right than PocketSphinx), the partial words PocketSphinx's, offered as
quickly; and when installed it is the engine English captions get."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from interpreta.speech import whisper_engine
from interpreta.speech.engines import engine_for
from interpreta.speech.recognition import Caption
from tests.conftest import POSTGRES_URL
from tests.speech.conftest import readings, silence, word_error_rate

pytestmark = [
    pytest.mark.speech,
    pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite"),
]


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    if not whisper_engine.installed():
        pytest.fail("faster-whisper is missing: scripts/test installs interpreta[whisper]")


def _stream(pcm: bytes) -> list[Caption]:
    recogniser = whisper_engine.WhisperRecogniser()
    captions: list[Caption] = []
    for offset in range(0, len(pcm), 640):
        captions += recogniser.feed(pcm[offset : offset + 640])
    return captions + recogniser.finish()


def test_whisper_captions_english_when_installed() -> None:
    assert engine_for("en").name == "whisper"


def test_real_speech_is_recognised_far_better_than_by_pocketsphinx() -> None:
    found = readings()
    heard = [
        " ".join(c.text for c in _stream(silence(0.5) + r.pcm + silence(0.5)) if c.final)
        for r in found
    ]
    rate = word_error_rate([r.text for r in found], heard)
    assert rate < 0.2, (rate, heard)  # measured 0.099; PocketSphinx 0.39 on the same cuts


def test_partial_words_come_first_and_the_final_caption_replaces_them() -> None:
    captions = _stream(silence(1.0) + readings()[0].pcm + silence(1.0))
    first_final = next(i for i, c in enumerate(captions) if c.final)
    assert first_final >= 3  # partial words came before it
    assert all(not c.final for c in captions[:first_final])
    assert captions[first_final].utterance == captions[0].utterance
    assert all(a.end <= b.end for a, b in itertools.pairwise(captions))
    assert captions[first_final].text[:1].isupper()  # Whisper writes sentences


def test_synthetic_speech_from_known_text_gets_its_captions(
    spoken: Callable[[str], bytes],
) -> None:
    said = "please take your seats the interpreters will start the session in five minutes"
    captions = _stream(silence(1.0) + spoken(said) + silence(1.0))
    heard = " ".join(c.text for c in captions if c.final)
    assert any(not c.final for c in captions)
    assert word_error_rate([said], [heard]) < 0.4, heard  # measured 0.31 (plurals lost)
