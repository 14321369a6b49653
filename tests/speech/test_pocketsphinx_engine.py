"""PocketSphinx as a streaming recogniser: partial words while someone speaks, a final
caption once they pause, the same words however the stream is cut, and a word error
rate on real recorded speech within what PocketSphinx is known to reach."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from interpreta.speech.pcm import RATE, SAMPLE_BYTES
from interpreta.speech.pocketsphinx_engine import PocketsphinxRecogniser
from interpreta.speech.recognition import Caption
from tests.conftest import POSTGRES_URL
from tests.speech.conftest import readings, silence, word_error_rate

pytestmark = [
    pytest.mark.speech,
    pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite"),
]

FRAME = RATE * SAMPLE_BYTES // 50
"""20 ms of PCM, as one Opus packet brings."""


def _stream(pcm: bytes, chunk: int = FRAME) -> list[Caption]:
    recogniser = PocketsphinxRecogniser()
    captions: list[Caption] = []
    for offset in range(0, len(pcm), chunk):
        captions += recogniser.feed(pcm[offset : offset + chunk])
    return captions + recogniser.finish()


def test_real_speech_is_recognised_within_pocketsphinx_s_error_rate() -> None:
    found = readings()
    assert len(found) == 5
    said = [r.text for r in found]
    heard = [
        " ".join(c.text for c in _stream(silence(0.5) + r.pcm + silence(0.5)) if c.final)
        for r in found
    ]
    rate = word_error_rate(said, heard)
    assert rate < 0.5, (rate, heard)  # measured 0.39 (0.27 read whole, at once)
    assert "might even have been made" in heard[-1]


def test_partial_words_come_while_speaking_then_one_final_caption() -> None:
    reading = readings()[0]  # 7 s: "and mister john dashwood had then leisure to consider..."
    pcm = silence(1.0) + reading.pcm + silence(1.0)
    captions = _stream(pcm)
    partial = [c for c in captions if not c.final]
    final = [c for c in captions if c.final]
    assert len(partial) >= 5 and final
    assert partial[0].end < final[0].end - 2  # the first words came seconds before the end
    assert all(c.utterance == 1 for c in captions[: len(partial)])
    assert all(a.end <= b.end for a, b in itertools.pairwise(captions))
    assert 0.8 <= final[0].start <= 1.3  # where the speech starts in the stream
    assert final[-1].end <= 1.0 + len(reading.pcm) / (RATE * SAMPLE_BYTES) + 0.5


def test_the_words_do_not_depend_on_how_the_stream_is_cut() -> None:
    pcm = silence(0.5) + readings()[1].pcm + silence(0.5)
    whole = [c.text for c in _stream(pcm, len(pcm)) if c.final]
    odd = [c.text for c in _stream(pcm, 317) if c.final]  # chunks that split samples
    assert whole == odd and whole


def test_silence_gives_no_caption_and_an_open_utterance_is_closed_at_the_end() -> None:
    assert _stream(silence(3.0)) == []
    reading = readings()[4]
    captions = _stream(silence(0.5) + reading.pcm)  # the stream ends while speaking
    assert captions and captions[-1].final


def test_synthetic_speech_gets_captions(spoken: Callable[[str], bytes]) -> None:
    text = "the interpreters will start the session in five minutes please take your seats"
    captions = _stream(silence(1.0) + spoken(text) + silence(1.0))
    final = " ".join(c.text for c in captions if c.final)
    assert any(not c.final for c in captions) and final
    # espeak-ng's voice is hard for PocketSphinx's model: some words come through
    assert set(final.split()) & set(text.split()), final
