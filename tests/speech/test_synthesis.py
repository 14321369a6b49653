"""espeak-ng speaks each machine channel's language; a language without a voice is
refused."""

from __future__ import annotations

import pytest

from interpreta.speech.pcm import seconds
from interpreta.speech.synthesis import VOICES, speak
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite")


@pytest.mark.parametrize("language", sorted(VOICES))
def test_each_voice_speaks(language: str) -> None:
    short, long = speak("uno", language), speak("uno dos tres cuatro cinco seis siete", language)
    assert 0.2 < seconds(short) < seconds(long) < 8


def test_a_text_that_looks_like_an_option_is_spoken_not_obeyed() -> None:
    assert seconds(speak("--version", "en")) > 0.2


def test_no_voice_for_galician() -> None:
    with pytest.raises(KeyError):
        speak("Bo día", "gl")
