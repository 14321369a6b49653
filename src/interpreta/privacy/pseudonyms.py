"""Pseudonyms: keyed hashes that stand for a person in the audit trail (P17, P21).

``Pseudonyms(key).user(42)`` is HMAC-SHA256 over ``user:42`` under a secret key,
so the same person always gets the same pseudonym, the data protection officer
can find a person's entries by computing it, and the log itself holds no name,
email address or other plain identifier. The key is a data key of the keyring
(scope ``pseudonyms``), random and wrapped by the master key: it survives
master-key rotation, so pseudonyms stay stable.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from interpreta.datamap.ties import normalise_email

PREFIX = "ps1_"
SYSTEM_PREFIX = "system:"
_PATTERN = re.compile(r"^ps1_[0-9a-f]{32}$")
_SYSTEM_PATTERN = re.compile(r"^system:[a-z0-9_.-]{1,50}$")


def is_pseudonym(value: str) -> bool:
    """Whether `value` has the form of a pseudonym (``ps1_`` and 32 hex digits)."""
    return bool(_PATTERN.match(value))


def is_system_actor(value: str) -> bool:
    """Whether `value` names the platform itself (``system:retention``, ``system:cli``)."""
    return bool(_SYSTEM_PATTERN.match(value))


def system(name: str) -> str:
    """The actor name for work the platform does by itself: ``system("retention")``."""
    actor = SYSTEM_PREFIX + name
    if not is_system_actor(actor):
        raise ValueError(f"bad system actor name {name!r}")
    return actor


class Pseudonyms:
    """Computes stable pseudonyms under one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the pseudonym key must have at least 256 bits")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonyms(<key hidden>)"

    def of(self, kind: str, value: str | int) -> str:
        """The pseudonym of ``<kind>:<value>``, e.g. ``of("user", 42)``."""
        if not kind or ":" in kind:
            raise ValueError(f"bad pseudonym kind {kind!r}")
        message = f"{kind}:{value}".encode()
        return PREFIX + hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def user(self, user_id: int) -> str:
        """The pseudonym of a user account (customer user or staff)."""
        return self.of("user", user_id)

    def participant(self, participant_id: int) -> str:
        """The pseudonym of an event participant."""
        return self.of("participant", participant_id)

    def email(self, address: str) -> str:
        """The pseudonym of an email address (in its normalised form)."""
        return self.of("email", normalise_email(address))
