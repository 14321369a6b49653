"""Contacts out of vCards (RFC 2426 vCard 3.0, RFC 6350 vCard 4.0), read with vobject.

The text comes from someone else's address book, so nothing in it is trusted: each card is
read on its own and one that vobject cannot read is left out (its neighbours still count);
names are cut to `MAX_NAME_LENGTH` characters, and a card keeps at most `MAX_PER_CARD`
e-mail addresses and phone numbers. A card with no FN takes its name from N, then from its
first e-mail address, its organisation or its first phone number; a card with none of
these is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import vobject

__all__ = ["MAX_NAME_LENGTH", "MAX_PER_CARD", "Contact", "contacts"]

MAX_NAME_LENGTH = 200
"""The longest name (and organisation) kept, in characters; longer ones are cut."""

MAX_PER_CARD = 10
"""The most e-mail addresses, and the most phone numbers, kept of one card."""

_MAX_UID_LENGTH = 255
_MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path


@dataclass(frozen=True)
class Contact:
    """One person (or organisation) of an address book, as far as invitations need it."""

    uid: str | None
    name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    organisation: str | None


def contacts(text: str) -> list[Contact]:
    """The contacts of the vCards in `text` (one or many, 3.0 or 4.0), in their order.

    Never raises on bad input: unreadable cards, and cards without anything to call the
    contact by, are left out.
    """
    found: list[Contact] = []
    for card_text in _card_texts(text):
        contact = _contact(card_text)
        if contact is not None:
            found.append(contact)
    return found


def _card_texts(text: str) -> Iterator[str]:
    """Each ``BEGIN:VCARD`` … ``END:VCARD`` block of `text`; an unclosed one is dropped."""
    block: list[str] | None = None
    for line in text.splitlines():
        marker = line.strip().upper()
        if marker == "BEGIN:VCARD":
            block = [line]
        elif block is not None:
            block.append(line)
            if marker == "END:VCARD":
                yield "\r\n".join(block) + "\r\n"
                block = None


def _contact(card_text: str) -> Contact | None:
    """The contact of one card, or None when vobject cannot read it or it has no name."""
    try:
        card = vobject.readOne(card_text)
    except Exception:  # vobject raises ParseError, binascii.Error, ValueError...
        return None
    if getattr(card, "name", "").upper() != "VCARD":
        return None
    emails = _first(_emails(_values(card, "email")), MAX_PER_CARD)
    phones = _first(_phones(_values(card, "tel")), MAX_PER_CARD)
    organisation = _organisation(card)
    name = (
        _one_line(_text(_values(card, "fn")[:1]))
        or _name_from_n(card)
        or (emails[0] if emails else "")
        or (organisation or "")
        or (phones[0] if phones else "")
    )
    if not name:
        return None
    return Contact(
        uid=_uid(card),
        name=name[:MAX_NAME_LENGTH],
        emails=emails,
        phones=phones,
        organisation=organisation,
    )


def _values(card: Any, name: str) -> list[Any]:
    """The values of every property `name` of `card`, grouped ones (``item1.EMAIL``) too."""
    return [line.value for line in card.contents.get(name, [])]


def _text(values: Iterable[Any]) -> str:
    """The values as one string; list values (structured properties) joined by spaces."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            parts.extend(str(part) for part in value)
        elif value is not None:
            parts.append(str(value))
    return " ".join(parts)


def _one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) collapsed to one space."""
    return " ".join(text.split())


def _name_from_n(card: Any) -> str:
    """A name built from the N property: given, additional and family names."""
    names = _values(card, "n")
    if not names:
        return ""
    n = names[0]
    parts = [getattr(n, field, "") for field in ("given", "additional", "family")]
    return _one_line(_text(parts))


def _emails(values: Iterable[Any]) -> Iterator[str]:
    """The usable e-mail addresses among `values` (a ``mailto:`` prefix removed)."""
    for value in values:
        email = str(value).strip()
        if email.lower().startswith("mailto:"):
            email = email[len("mailto:") :]
        if "@" in email and len(email) <= _MAX_EMAIL_LENGTH and not any(c.isspace() for c in email):
            yield email


def _phones(values: Iterable[Any]) -> Iterator[str]:
    """The phone numbers among `values` (a vCard 4 ``tel:`` URI prefix removed)."""
    for value in values:
        phone = _one_line(str(value))
        if phone.lower().startswith("tel:"):
            phone = phone[len("tel:") :]
        if phone:
            yield phone[:MAX_NAME_LENGTH]


def _first(values: Iterable[str], limit: int) -> tuple[str, ...]:
    """The first `limit` distinct values, in order."""
    kept: list[str] = []
    for value in values:
        if value not in kept:
            kept.append(value)
            if len(kept) == limit:
                break
    return tuple(kept)


def _organisation(card: Any) -> str | None:
    """The organisation (ORG's name and units, joined by commas), or None."""
    values = _values(card, "org")
    if not values:
        return None
    value = values[0]
    units = value if isinstance(value, list | tuple) else [value]
    organisation = ", ".join(_one_line(str(unit)) for unit in units if str(unit).strip())
    return organisation[:MAX_NAME_LENGTH] or None


def _uid(card: Any) -> str | None:
    """The card's UID, or None when it has none (or one too long to be an identifier)."""
    uid = _one_line(_text(_values(card, "uid")[:1]))
    return uid if 0 < len(uid) <= _MAX_UID_LENGTH else None
