"""Apertium translates captions: English to Spanish directly, to Italian, Portuguese,
Catalan, Galician and French through Spanish; a language without a route is refused,
not guessed."""

from __future__ import annotations

import pytest

from interpreta.speech.translation import available, translate
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="no database here: run once, on SQLite")

SENTENCE = "The interpreters will start the session in five minutes."


def test_every_route_debian_has_is_offered() -> None:
    assert available("en") == {"es", "it", "pt", "ca", "gl", "fr"}
    assert available("de") == frozenset()


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("es", {"intérpretes", "sesión", "cinco", "minutos"}),
        ("it", {"interpreti", "sessione", "cinque", "minuti"}),
        ("pt", {"intérpretes", "sessão", "cinco", "minutos"}),
        ("ca", {"intèrprets", "sessió", "cinc", "minuts"}),
        ("gl", {"intérpretes", "sesión", "cinco", "minutos"}),
        ("fr", {"interprètes", "séance", "cinq", "minutes"}),
    ],
)
def test_a_caption_is_translated(target: str, words: set[str]) -> None:
    translated = translate(SENTENCE, "en", target)
    assert words <= set(translated.lower().rstrip(".").split()), translated


def test_unknown_words_pass_through_unmarked() -> None:
    translated = translate("Welcome to Interpreta in Zagreb.", "en", "es")
    assert "Interpreta" in translated and "Zagreb" in translated and "*" not in translated


def test_no_route_no_translation() -> None:
    with pytest.raises(KeyError):
        translate(SENTENCE, "en", "de")
