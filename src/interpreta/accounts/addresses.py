"""Email addresses as accounts hold them: normalised, and refused when they look like
another account's.

Two addresses that render alike belong to one person as far as a reader can tell;
an account opened under a look-alike of someone else's address is how an impostor
would pass as them. Unicode's security mechanisms (UTS #39, section 4) define the
*skeleton* of a string: decompose it, replace every character by the prototype of
its confusable class, decompose again. Two strings are confusable exactly when
their skeletons are equal. The classes come from Unicode's ``confusables.txt`` as
the maintained ``confusable-homoglyphs`` package ships it.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs.confusables import confusables_data

from interpreta.datamap.ties import normalise_email

__all__ = ["normalise_email", "skeleton"]

_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")
"""The data wraps right-to-left characters in direction marks; they are not part of them."""


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype.

    ``confusables.txt`` maps each source character to one prototype (a character or
    a short sequence, never itself a source); the package stores the pairs in both
    directions. So a character whose look-alikes include a sequence maps to that
    sequence, and single characters linked to each other form one class, whose
    prototype is here its smallest member (any fixed choice gives equal skeletons
    for confusable strings).
    """
    links: dict[str, set[str]] = {}
    sequences: dict[str, str] = {}
    for raw, entries in confusables_data.items():
        char = raw.translate(_DIRECTION_MARKS)
        for entry in entries:
            other = entry["c"].translate(_DIRECTION_MARKS)
            if len(char) == 1 and len(other) == 1:
                links.setdefault(char, set()).add(other)
                links.setdefault(other, set()).add(char)
            elif len(char) == 1:
                sequences[char] = other
    prototypes: dict[str, str] = {}
    for start in links:
        if start in prototypes:
            continue
        members, queue = {start}, [start]
        while queue:
            for other in links[queue.pop()]:
                if other not in members:
                    members.add(other)
                    queue.append(other)
        prototype = min(members)
        prototypes.update(dict.fromkeys(members, prototype))
    for char, sequence in sequences.items():
        prototypes[char] = "".join(prototypes.get(c, c) for c in sequence)
    return prototypes


def skeleton(text: str) -> str:
    r"""The UTS #39 skeleton of `text` (after the address normalisation accounts use):
    equal for addresses a reader cannot tell apart, such as ``paypal`` with a
    Cyrillic ``\u0430``, ``he11o`` and ``hello``, or ``rn`` and ``m``."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", normalise_email(text))
    mapped = "".join(prototypes.get(char, char) for char in decomposed)
    return unicodedata.normalize("NFD", mapped)
