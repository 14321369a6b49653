"""Where speech starts and stops in a stream: the endpointer every engine shares.

PocketSphinx's endpointer (WebRTC's voice activity detection over a sliding window)
takes the stream in 30 ms frames and hands back the frames of speech, a window late: a
stretch of speech opens an utterance once it has lasted most of the window, and a pause
as long closes it. :class:`Utterances` turns that into what a recogniser needs: an
utterance opening, its sound as it comes, and its close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pocketsphinx import Endpointer

from interpreta.speech.pcm import RATE, SAMPLE_BYTES

__all__ = ["PAUSE", "Sound", "Utterances"]

PAUSE = 0.3
"""Seconds of the endpointer's window: a pause this long ends an utterance (and speech
this long starts one)."""
LONGEST = 20.0
"""Seconds an utterance may last: speech (or noise the detector takes for it) without a
pause is cut here, so its final caption comes and the recogniser's memory stays small."""


@dataclass(frozen=True)
class Sound:
    """A stretch of an utterance's sound."""

    utterance: int
    """Counts the stream's utterances from 1."""
    pcm: bytes
    opens: bool
    """The utterance starts with this stretch."""
    closes: bool
    """The utterance ends with this stretch (a pause followed, or the stream ended)."""
    start: float
    """Seconds from the start of the stream to where the utterance begins."""
    until: float
    """Seconds from the start of the stream to the end of this stretch."""


class Utterances:
    """Cuts one stream into utterances."""

    def __init__(self, pause: float = PAUSE) -> None:
        self._endpointer: Any = Endpointer(window=pause, sample_rate=RATE)
        self._frame_bytes: int = self._endpointer.frame_bytes
        self._pending = b""
        self._count = 0
        self._start = 0.0
        self._until = 0.0
        self._open = False
        self._cut = False

    def feed(self, pcm: bytes) -> list[Sound]:
        """Take the next stretch of the stream (any length); the speech in it."""
        sounds: list[Sound] = []
        data = self._pending + pcm
        whole = len(data) - len(data) % self._frame_bytes
        self._pending = data[whole:]
        for offset in range(0, whole, self._frame_bytes):
            was_in_speech = self._endpointer.in_speech
            speech = self._endpointer.process(data[offset : offset + self._frame_bytes])
            if speech is None:
                continue
            opens = not was_in_speech or self._cut
            closes = not self._endpointer.in_speech
            sounds.append(self._sound(speech, opens, closes))
        return sounds

    def finish(self) -> list[Sound]:
        """The stream has ended: the rest of an utterance still open, which it closes."""
        pending, self._pending = self._pending, b""
        speech = self._endpointer.end_stream(pending or bytes(SAMPLE_BYTES))  # not empty
        if not self._open:
            return []
        return [self._sound(speech or b"", False, True)]

    def _sound(self, pcm: bytes, opens: bool, closes: bool) -> Sound:
        if opens:
            self._count += 1
            # after a cut the next utterance goes on where the last one stopped
            self._start = self._until if self._cut else float(self._endpointer.speech_start)
            self._until = self._start
        self._until += len(pcm) / (RATE * SAMPLE_BYTES)
        if closes:
            self._until = max(self._until, float(self._endpointer.speech_end))
        self._cut = not closes and self._until - self._start >= LONGEST
        self._open = not (closes or self._cut)
        return Sound(self._count, pcm, opens, closes or self._cut, self._start, self._until)
