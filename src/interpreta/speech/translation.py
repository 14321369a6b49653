"""Machine translation of captions, with Apertium from Debian's packages (rule-based,
offline, a process per sentence).

Debian has an English pair only with Spanish (``apertium-eng-spa``); the other languages
are reached through Spanish, with the pairs Debian has from it: Italian, Portuguese,
Catalan, Galician and French. A language is offered only when every mode on its route is
installed. Words Apertium does not know are passed through as they were said.
"""

from __future__ import annotations

import subprocess
from functools import cache

__all__ = ["ROUTES", "TranslationFailed", "available", "translate"]

ROUTES: dict[tuple[str, str], tuple[str, ...]] = {
    ("en", "es"): ("eng-spa",),
    ("en", "it"): ("eng-spa", "spa-ita"),
    ("en", "pt"): ("eng-spa", "es-pt"),
    ("en", "ca"): ("eng-spa", "spa-cat"),
    ("en", "gl"): ("eng-spa", "es-gl"),
    ("en", "fr"): ("eng-spa", "es-fr"),
}
"""The Apertium modes that take a text from one language to another, in order."""

TIMEOUT = 10.0
"""Seconds one mode may take for one sentence."""


class TranslationFailed(RuntimeError):
    """Apertium could not translate a text (missing, crashed or too slow)."""


@cache
def _modes() -> frozenset[str]:
    try:
        listed = subprocess.run(
            ["apertium", "-l"], capture_output=True, text=True, timeout=TIMEOUT, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(listed.stdout.split())


def available(source: str = "en") -> frozenset[str]:
    """The languages a text in `source` can be translated into here."""
    return frozenset(
        target
        for (start, target), modes in ROUTES.items()
        if start == source and all(mode in _modes() for mode in modes)
    )


def translate(text: str, source: str, target: str) -> str:
    """`text` in language `target`.

    :raises KeyError: when no route leads from `source` to `target`, or one of its modes
        is not installed.
    :raises TranslationFailed: when Apertium fails.
    """
    if target not in available(source):
        raise KeyError(f"no translation from {source!r} to {target!r} here")
    for mode in ROUTES[(source, target)]:
        try:
            done = subprocess.run(
                ["apertium", "-u", mode],  # -u: unknown words as they are, unmarked
                input=text,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise TranslationFailed(f"apertium {mode}: {exc}") from exc
        text = done.stdout.strip()
    return text
