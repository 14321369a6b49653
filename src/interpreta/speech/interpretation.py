"""Machine interpretation for a language without a booth: each final caption of an
English channel is translated (:mod:`interpreta.speech.translation`) and spoken
(:mod:`interpreta.speech.synthesis`), sentence by sentence, as a channel of its own
beside the human booths. Its name and the listener's page say it is a machine: machine
translation, synthetic voice (EU AI Act Art. 50).

The translator and the voice are arguments, so better engines can replace Apertium and
espeak-ng without touching the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interpreta.speech import synthesis, translation
from interpreta.speech.recognition import Caption

__all__ = ["MACHINE_LABEL", "MachineInterpreter", "Rendering", "languages"]

MACHINE_LABEL = "machine translation, synthetic voice"
"""What a machine channel's name says it is (the pages translate it)."""

Translate = Callable[[str, str, str], str]
Speak = Callable[[str, str], bytes]


@dataclass(frozen=True)
class Rendering:
    """One sentence rendered in the target language."""

    utterance: int
    said: str
    """What the recogniser heard, in the source language."""
    text: str
    """Its translation."""
    pcm: bytes
    """The translation spoken, 16 kHz mono PCM (empty when only captions are asked)."""


def languages(source: str = "en") -> frozenset[str]:
    """The languages a machine channel can speak here: translated and voiced."""
    return translation.available(source) & frozenset(synthesis.VOICES)


class MachineInterpreter:
    """Renders one channel's final captions into one language."""

    def __init__(
        self,
        source: str,
        target: str,
        *,
        voiced: bool = True,
        translate: Translate = translation.translate,
        speak: Speak = synthesis.speak,
    ) -> None:
        self.source, self.target, self.voiced = source, target, voiced
        self._translate, self._speak = translate, speak

    def render(self, caption: Caption) -> Rendering | None:
        """The rendering of a final caption (None for partial words, which would be
        taken back, and for a caption with nothing to say).

        :raises TranslationFailed: or :class:`~interpreta.speech.synthesis.SynthesisFailed`
            when an engine fails.
        """
        if not caption.final or not caption.text.strip():
            return None
        text = self._translate(caption.text, self.source, self.target)
        pcm = self._speak(text, self.target) if self.voiced and text else b""
        return Rendering(caption.utterance, caption.text, text, pcm)
