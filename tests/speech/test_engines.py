"""Which recogniser captions a language: PocketSphinx for English; none for a language no
installed engine understands, rather than a wrong one."""

from __future__ import annotations

import pytest

from interpreta.speech.engines import NoEngine, engine_for
from interpreta.speech.pocketsphinx_engine import PocketsphinxRecogniser


def test_english_is_captioned_by_an_installed_engine() -> None:
    engine = engine_for("en")
    assert "en" in engine.languages
    assert isinstance(engine_for("en", "pocketsphinx").start(), PocketsphinxRecogniser)


@pytest.mark.parametrize(
    ("language", "name"), [("de", None), ("en", "nothing"), ("fr", "pocketsphinx")]
)
def test_no_engine_is_no_engine(language: str, name: str | None) -> None:
    with pytest.raises(NoEngine):
        engine_for(language, name)
