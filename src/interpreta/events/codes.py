"""Event codes: short, unambiguous, easy to read out and to type on a phone."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Digits and capitals without the look-alikes 0/O and 1/I/L."""

DEFAULT_LENGTH = 7
MIN_LENGTH, MAX_LENGTH = 6, 8


def new_code(length: int = DEFAULT_LENGTH) -> str:
    """A random event code of `length` characters from :data:`ALPHABET`."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"event codes have {MIN_LENGTH} to {MAX_LENGTH} characters")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(code: str) -> str:
    """A code as typed (any case, spaces, dashes) in canonical form."""
    return code.strip().upper().replace(" ", "").replace("-", "")


def is_well_formed(code: str) -> bool:
    """Whether `code` (already normalised) could be an event code."""
    return MIN_LENGTH <= len(code) <= MAX_LENGTH and all(c in ALPHABET for c in code)
