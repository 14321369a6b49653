"""Ties: how a column ties its row to a person, an event or an organisation.

A column says so in its own declaration, once (``personal(..., tie=Tie.EMAIL)``).
Everything that needs to know whom or what a row belongs to derives it from
these ties by walking foreign keys (:mod:`interpreta.datamap.tiegraph`): the
retention anchors and legal holds, the rights engine's search for a person,
the routing of a request to the customer, and the key scope of encrypted
columns. Nothing restates them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column

TIE_KEY = "privacy_tie"
"""Where a tie is kept in a column's ``info``."""


class Tie(StrEnum):
    """What a column ties its row to."""

    ACCOUNT = "account"
    """The user ID of the person the row is about (``users.id``, or a key referring to it)."""
    EMAIL = "email"
    """The email address of the person the row is about."""
    EMAIL_DIGEST = "email_digest"
    """The SHA-256 of the normalised email address of the person the row is about."""
    PSEUDONYM = "pseudonym"
    """A keyed pseudonym of the person (the audit trail); not reversible without the key."""
    OWNER = "owner"
    """A foreign key to the row this one belongs to: the row is about the same person,
    and happens in the same event and organisation (a connection belongs to its
    participant)."""
    EVENT = "event"
    """The event the row belongs to: ``events.id``, or a foreign key leading to it
    through further columns tied to the event."""
    ORGANISATION = "organisation"
    """The customer organisation the row belongs to: ``organisations.id``, or a key
    leading to it."""

    @property
    def is_person(self) -> bool:
        """Whether the tie names the person a row is about (rather than a context)."""
        return self in _PERSON


_PERSON = frozenset({Tie.ACCOUNT, Tie.EMAIL, Tie.EMAIL_DIGEST, Tie.PSEUDONYM})


@dataclass(frozen=True)
class TieDeclaration:
    """A column's tie, and which of its row's personal columns are about the tied person.

    ``covers`` empty means every personal column of the row; a shared row (an
    organisation) names only the columns about its billing contact.
    """

    kind: Tie
    covers: tuple[str, ...] = ()
    proven_by: str | None = None
    """A column of the row that is set once the person proved the value is theirs (an
    account's email address, once verified). Until then the value finds the row but
    leads nowhere else: a search that starts from the row learns nothing from it."""


def tied(kind: Tie, *covers: str, proven_by: str | None = None) -> TieDeclaration:
    """A tie covering only some columns: ``tie=tied(Tie.EMAIL, "contact_name", ...)``;
    ``proven_by`` names the column that says the value was proven."""
    return TieDeclaration(kind, tuple(covers), proven_by)


def as_declaration(tie: Tie | TieDeclaration) -> TieDeclaration:
    """A plain :class:`Tie` as a declaration covering the whole row."""
    return tie if isinstance(tie, TieDeclaration) else TieDeclaration(tie)


def tie_of(column: Column[Any]) -> TieDeclaration | None:
    """The tie declared on `column`, or None."""
    value = column.info.get(TIE_KEY)
    return value if isinstance(value, TieDeclaration) else None


def normalise_email(address: str) -> str:
    """Email addresses are matched in one form: Unicode NFKC (full-width and styled
    letters become plain ones), case-folded, without surrounding space."""
    return unicodedata.normalize("NFKC", address).casefold().strip()


def email_digest(address: str) -> str:
    """The SHA-256 (hex) of a normalised email address: what suppression marks store."""
    return hashlib.sha256(normalise_email(address).encode("utf-8")).hexdigest()
