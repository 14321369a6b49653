"""Where speech starts and stops: silence opens nothing, a pause closes an utterance,
and speech (or noise taken for it) without a pause is cut at :data:`LONGEST` seconds."""

from __future__ import annotations

import numpy as np
import pytest

from interpreta.speech.utterances import LONGEST, Utterances
from tests.conftest import POSTGRES_URL
from tests.speech.conftest import readings, silence

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite")


def test_silence_opens_nothing() -> None:
    cut = Utterances()
    assert cut.feed(silence(5.0)) + cut.finish() == []


def test_a_pause_closes_the_utterance_and_the_next_speech_opens_another() -> None:
    cut = Utterances()
    reading = readings()[1].pcm
    sounds = cut.feed(silence(1.0) + reading + silence(1.0) + reading + silence(1.0))
    closed = [s for s in sounds if s.closes]
    assert [s.utterance for s in sounds if s.opens] == [1, 2] == [s.utterance for s in closed]
    assert 0.8 < closed[0].start < 1.3 < closed[0].until < closed[1].start


def test_speech_without_a_pause_is_cut() -> None:
    noise = np.random.default_rng(0).normal(0, 8000, 16_000 * 45).astype(np.int16).tobytes()
    cut = Utterances()
    sounds = cut.feed(noise) + cut.finish()
    closed = [s for s in sounds if s.closes]
    assert [s.utterance for s in closed] == [1, 2, 3]
    assert all(s.until - s.start <= LONGEST + 0.1 for s in closed)
    assert closed[1].start == closed[0].until  # the next goes on where the cut was
