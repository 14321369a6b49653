"""Contacts imported from a connected CardDAV address book, to invite them.

An import replaces what the connection held with what the address book holds now: one row
per email address (a contact is kept under their first address; a second contact with the
same address is left out), at most `MAX_CONTACTS`. Contacts without an email address are
not imported: nothing could be sent to them, so there is no reason to keep them (P03).
Addresses are kept in the one form the rights engine compares (`normalise_email`), so a
contact asking what we hold about them finds their row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from interpreta.calendar_integration.models import (
    MAX_CONTACTS,
    CalendarConnection,
    ImportedContact,
)
from interpreta.calendars.dav import AddressBook
from interpreta.calendars.vcards import Contact
from interpreta.datamap.activities import CALENDAR
from interpreta.datamap.ties import normalise_email
from interpreta.privacy.processing import runs_in


@dataclass(frozen=True)
class ContactEntry:
    """An imported contact, as the organiser picks whom to invite."""

    name: str
    email: str
    organisation: str | None


def kept(found: Iterable[Contact]) -> list[ContactEntry]:
    """The contacts to keep of those an address book gave: those with an email address,
    one per address (the first), at most `MAX_CONTACTS`."""
    entries: dict[str, ContactEntry] = {}
    for contact in found:
        if not contact.emails:
            continue
        email = normalise_email(contact.emails[0])
        if email not in entries:
            entries[email] = ContactEntry(contact.name, email, contact.organisation)
        if len(entries) == MAX_CONTACTS:
            break
    return list(entries.values())


@runs_in(CALENDAR)
def import_contacts(db: Session, connection_id: int, book: AddressBook, *, now: datetime) -> int:
    """Replace the connection's contacts with those `book` holds now; how many were kept.

    Raises the address book's `DavError` (nothing is changed then)."""
    return store(db, connection_id, kept(book.contacts()), now=now)


@runs_in(CALENDAR)
def store(db: Session, connection_id: int, entries: list[ContactEntry], *, now: datetime) -> int:
    """Replace the connection's contacts with `entries`; how many."""
    forget_contacts(db, connection_id)
    if entries:
        db.execute(
            insert(ImportedContact),
            [
                {
                    "connection_id": connection_id,
                    "name": entry.name,
                    "email": entry.email,
                    "organisation": entry.organisation,
                    "imported_at": now,
                }
                for entry in entries
            ],
        )
    return len(entries)


@runs_in(CALENDAR)
def forget_contacts(db: Session, connection_id: int) -> int:
    """Delete every contact imported for the connection; how many there were."""
    result = db.execute(
        delete(ImportedContact)
        .where(ImportedContact.connection_id == connection_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@runs_in(CALENDAR)
def count(db: Session, connection_id: int) -> int:
    """How many contacts the connection holds."""
    found = db.scalar(
        select(func.count())
        .select_from(ImportedContact)
        .where(ImportedContact.connection_id == connection_id)
    )
    return int(found or 0)


@runs_in(CALENDAR)
def listing(db: Session, user_id: int) -> list[ContactEntry]:
    """The contacts imported for `user_id`'s connection, by name (none when not connected)."""
    rows = db.execute(
        select(ImportedContact.name, ImportedContact.email, ImportedContact.organisation)
        .join(CalendarConnection, CalendarConnection.id == ImportedContact.connection_id)
        .where(CalendarConnection.user_id == user_id)
        .order_by(ImportedContact.name, ImportedContact.email)
    )
    return [ContactEntry(name, email, organisation) for name, email, organisation in rows]
