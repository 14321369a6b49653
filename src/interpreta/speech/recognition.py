"""What every speech recogniser does, whichever engine runs it: it takes a stream of
16 kHz mono PCM (:mod:`interpreta.speech.pcm`) as it arrives and answers with
:class:`Caption` s: partial words while someone speaks, revised as more is heard, then
one final caption for the stretch of speech once they pause.

An engine is a class with this shape (:class:`Recogniser`); which engines exist and
which languages each understands is :mod:`interpreta.speech.engines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Caption", "Recogniser"]


@dataclass(frozen=True)
class Caption:
    """Words recognised in one stretch of speech (an utterance)."""

    utterance: int
    """Counts the stream's utterances from 1: a later caption of the same utterance
    replaces the earlier ones."""
    text: str
    final: bool
    """False for partial words (more may follow and change them), True once the
    utterance is over: every utterance ends with a final caption, whose empty text takes
    back partial words that turned out to be no words."""
    start: float
    """Seconds from the start of the stream to where the utterance begins."""
    end: float
    """Seconds from the start of the stream to the last sound heard for it."""


class Recogniser(Protocol):
    """A speech recogniser working on one stream."""

    def feed(self, pcm: bytes) -> list[Caption]:
        """Take the next stretch of the stream (any length); the captions it produced,
        oldest first."""
        ...

    def finish(self) -> list[Caption]:
        """The stream has ended: the final caption of an utterance still open, if any."""
        ...
