"""The default recogniser: PocketSphinx, whose Python package ships its US English model
(an acoustic model, a language model and a dictionary), so it runs anywhere offline.

Each utterance (:mod:`interpreta.speech.utterances`) is decoded as its sound comes: its
partial hypothesis is offered every :attr:`PocketsphinxRecogniser.partial_every` seconds
when it changed, and its final hypothesis once the utterance closes. ``bench/captions.py``
measures the word error rate on real recorded speech: about a third to a half of the
words are wrong on LibriVox readings, so captions are labelled as automatic.
"""

from __future__ import annotations

from typing import Any

from pocketsphinx import Decoder

from interpreta.speech.pcm import RATE
from interpreta.speech.recognition import Caption
from interpreta.speech.utterances import Sound, Utterances

__all__ = ["PocketsphinxRecogniser"]


class PocketsphinxRecogniser:
    """A :class:`~interpreta.speech.recognition.Recogniser` on PocketSphinx's packaged
    US English model."""

    def __init__(self, partial_every: float = 0.2, utterances: Utterances | None = None) -> None:
        """`utterances`: the stream's cutter when another engine shares it (which then
        calls :meth:`hear`); a cutter of its own by default."""
        self.partial_every = partial_every
        self._decoder: Any = Decoder(samprate=RATE, loglevel="FATAL")
        self._utterances = utterances or Utterances()
        self._shown = ""
        self._shown_at = 0.0

    def feed(self, pcm: bytes) -> list[Caption]:
        """Take the next stretch of the stream; the captions it produced."""
        return [c for sound in self._utterances.feed(pcm) for c in self.hear(sound)]

    def finish(self) -> list[Caption]:
        """The stream has ended: the last utterance's final caption, if one is open."""
        return [c for sound in self._utterances.finish() for c in self.hear(sound)]

    def hear(self, sound: Sound) -> list[Caption]:
        """Decode the next stretch of an utterance cut elsewhere (another engine may
        share the stream's :class:`~interpreta.speech.utterances.Utterances`)."""
        if sound.opens:
            self._shown, self._shown_at = "", sound.start
            self._decoder.start_utt()
        if sound.pcm:
            self._decoder.process_raw(sound.pcm)
        if sound.closes:
            self._decoder.end_utt()
            if not self._text() and not self._shown:
                return []  # nothing was said, nothing shown
            return [Caption(sound.utterance, self._text(), True, sound.start, sound.until)]
        if sound.until - self._shown_at < self.partial_every:
            return []
        self._shown_at = sound.until
        text = self._text()
        if not text or text == self._shown:
            return []
        self._shown = text
        return [Caption(sound.utterance, text, False, sound.start, sound.until)]

    def _text(self) -> str:
        hypothesis = self._decoder.hyp()
        return "" if hypothesis is None else str(hypothesis.hypstr).strip()
