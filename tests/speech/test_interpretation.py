"""Machine interpretation: an English sentence spoken on a channel is recognised,
translated and spoken again in another language, one final caption at a time; partial
words never are, and an engine's failure is the caller's to see."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from interpreta.speech.interpretation import MachineInterpreter, languages
from interpreta.speech.pcm import seconds
from interpreta.speech.recognition import Caption
from interpreta.speech.translation import TranslationFailed
from interpreta.speech.whisper_engine import WhisperRecogniser
from tests.conftest import POSTGRES_URL
from tests.speech.conftest import silence


def test_machine_channels_are_offered_where_a_route_and_a_voice_exist() -> None:
    assert languages("en") == {"es", "it", "pt", "ca", "fr"}  # no voice for Galician


@pytest.mark.speech
@pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite")
def test_a_spoken_sentence_comes_out_in_italian(spoken: Callable[[str], bytes]) -> None:
    recogniser = WhisperRecogniser()
    pcm = silence(1.0) + spoken("The interpreters will start the session in five minutes.")
    captions = recogniser.feed(pcm + silence(1.0)) + recogniser.finish()
    interpreter = MachineInterpreter("en", "it")
    rendered = [r for r in map(interpreter.render, captions) if r is not None]
    assert len(rendered) == 1 and "session" in rendered[0].said
    assert {"sessione", "cinque", "minuti"} <= set(rendered[0].text.rstrip(".").split())
    assert seconds(rendered[0].pcm) > 1.5


def test_partial_words_are_not_interpreted_and_failures_are_raised() -> None:
    def fail(text: str, source: str, target: str) -> str:
        raise TranslationFailed("apertium crashed")

    interpreter = MachineInterpreter("en", "es", translate=fail)
    assert interpreter.render(Caption(1, "the interpreters", False, 0.0, 1.0)) is None
    with pytest.raises(TranslationFailed):
        interpreter.render(Caption(1, "the interpreters", True, 0.0, 1.0))
    quiet = MachineInterpreter("en", "es", voiced=False)
    rendering = quiet.render(Caption(2, "good morning", True, 0.0, 1.0))
    assert rendering is not None and rendering.pcm == b"" and rendering.text
