"""The speech recognisers this installation has, and the languages each understands.

PocketSphinx is always there: its package ships a US English model. Whisper (tiny.en,
on faster-whisper) is there with the ``whisper`` extra. An engine whose package or model
is missing is simply not offered; nothing is downloaded. The packaged
engines understand English only, so captions run on English channels (usually the floor
or an English booth); an engine for more languages joins :data:`ENGINES` with its codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interpreta.speech import whisper_engine
from interpreta.speech.pocketsphinx_engine import PocketsphinxRecogniser
from interpreta.speech.recognition import Recogniser

__all__ = ["ENGINES", "Engine", "NoEngine", "engine_for", "languages"]


class NoEngine(LookupError):
    """No installed engine understands the language asked for."""


@dataclass(frozen=True)
class Engine:
    """A speech recogniser that can run here."""

    name: str
    languages: frozenset[str]
    """Language codes (ISO 639-1) it understands."""
    start: Callable[[], Recogniser]
    """A new recogniser, for one stream."""


WHISPER = Engine("whisper", frozenset({"en"}), whisper_engine.WhisperRecogniser)
POCKETSPHINX = Engine("pocketsphinx", frozenset({"en"}), PocketsphinxRecogniser)

ENGINES: tuple[Engine, ...] = (
    (WHISPER, POCKETSPHINX) if whisper_engine.installed() else (POCKETSPHINX,)
)
"""Every installed engine, the preferred first: Whisper when its package is here (it
gets far more words right), PocketSphinx always."""


def engine_for(language: str, name: str | None = None) -> Engine:
    """The engine to caption `language` with: engine `name` if given, else the first
    that understands it.

    :raises NoEngine: when none does (or engine `name` is not installed or does not).
    """
    for engine in ENGINES:
        if (name is None or engine.name == name) and language in engine.languages:
            return engine
    raise NoEngine(f"no speech recogniser for {language!r}" + (f" named {name!r}" if name else ""))


def languages() -> frozenset[str]:
    """The languages (ISO 639-1 codes) some installed engine understands."""
    return frozenset().union(*(engine.languages for engine in ENGINES))
