"""The default recogniser: PocketSphinx, whose Python package ships its US English model
(an acoustic model, a language model and a dictionary), so it runs anywhere offline.

Its endpointer (voice activity detection over a sliding window) tells where speech
starts and ends: a stretch of speech is decoded as it comes, its partial hypothesis
offered every :attr:`PocketsphinxRecogniser.partial_every` seconds when it changed, and
its final hypothesis given once the endpointer hears the speaker pause. The word error
rate on real recorded speech is measured by ``bench/captions.py``; about a third of the
words are wrong on LibriVox readings, so captions are labelled as automatic.
"""

from __future__ import annotations

from typing import Any

from pocketsphinx import Decoder, Endpointer

from interpreta.speech.pcm import RATE, SAMPLE_BYTES
from interpreta.speech.recognition import Caption

__all__ = ["PocketsphinxRecogniser"]

PAUSE_WINDOW = 0.3
"""Seconds of the endpointer's window: a pause this long ends an utterance (and speech
this long starts one)."""


class PocketsphinxRecogniser:
    """A :class:`~interpreta.speech.recognition.Recogniser` on PocketSphinx's packaged
    US English model."""

    def __init__(self, partial_every: float = 0.2) -> None:
        self.partial_every = partial_every
        self._decoder: Any = Decoder(samprate=RATE, loglevel="FATAL")
        self._endpointer: Any = Endpointer(window=PAUSE_WINDOW, sample_rate=RATE)
        self._frame_bytes: int = self._endpointer.frame_bytes
        self._pending = b""
        self._utterances = 0
        self._open = False
        self._start = 0.0
        self._shown = ""
        self._shown_at = 0.0
        self._decoded = 0

    def feed(self, pcm: bytes) -> list[Caption]:
        """Take the next stretch of the stream; the captions it produced."""
        captions: list[Caption] = []
        data = self._pending + pcm
        whole = len(data) - len(data) % self._frame_bytes
        self._pending = data[whole:]
        for offset in range(0, whole, self._frame_bytes):
            captions += self._frame(data[offset : offset + self._frame_bytes])
        return captions

    def finish(self) -> list[Caption]:
        """The stream has ended: the last utterance's final caption, if one is open."""
        pending, self._pending = self._pending, b""
        speech = self._endpointer.end_stream(pending or bytes(SAMPLE_BYTES))  # not empty
        if speech is not None and self._open:
            self._decoder.process_raw(speech)
        return self._close(self._endpointer.speech_end) if self._open else []

    def _frame(self, frame: bytes) -> list[Caption]:
        was_in_speech = self._endpointer.in_speech
        speech = self._endpointer.process(frame)
        if speech is None:
            return []
        if not was_in_speech:
            self._utterances += 1
            self._open = True
            self._start = self._endpointer.speech_start
            self._shown, self._shown_at, self._decoded = "", self._start, 0
            self._decoder.start_utt()
        self._decoder.process_raw(speech)
        self._decoded += len(speech)
        if not self._endpointer.in_speech:
            return self._close(self._endpointer.speech_end)
        now = self._start + self._decoded / (RATE * SAMPLE_BYTES)
        if now - self._shown_at < self.partial_every:
            return []
        text = self._text()
        if not text or text == self._shown:
            return []
        self._shown, self._shown_at = text, now
        return [Caption(self._utterances, text, False, self._start, now)]

    def _text(self) -> str:
        hypothesis = self._decoder.hyp()
        return "" if hypothesis is None else str(hypothesis.hypstr).strip()

    def _close(self, end: float) -> list[Caption]:
        self._decoder.end_utt()
        self._open = False
        text = self._text()
        return [Caption(self._utterances, text, True, self._start, float(end))] if text else []
