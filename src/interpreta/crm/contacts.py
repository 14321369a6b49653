"""Contacts at a customer and the notes of what was said with them.

A contact's address is unique per customer (one person, one card). Notes are written once
and never edited: a correction is a new note. Removing a contact removes the notes about
them; notes about the account as a whole stay with the account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.crm.models import CrmContact, CrmNote
from interpreta.datamap.activities import CUSTOMER_RELATIONSHIP
from interpreta.datamap.ties import normalise_email
from interpreta.errors import conflict, filled, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in

__all__ = [
    "MAX_NOTE",
    "add_contact",
    "add_note",
    "change_contact",
    "contacts",
    "notes",
    "require_open",
]

MAX_NOTE = 10_000
"""The longest note, in characters."""


def require_open(closed_at: datetime | None) -> None:
    """Go on only while the customer account is open (`closed_at` is when it closed):
    nothing is added to the CRM after closure, whose clock deletes it (P10).

    :raises Problem: 409 once the account is closed.
    """
    if closed_at is not None:
        raise conflict(gettext("The customer account is closed."))


def _unique(db: Session) -> None:
    """Write the pending card; an address another card of the customer has (the unique
    constraint sees the cards the read filter hides too: of a person who objected) is a
    409, not a crash."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise conflict(gettext("The customer has a contact with that address."), "email") from None


def _optional(value: str | None) -> str | None:
    """An optional text without surrounding blanks; None when nothing is left."""
    return (value or "").strip() or None


@runs_in(CUSTOMER_RELATIONSHIP)
def add_contact(
    db: Session,
    organisation: Organisation,
    *,
    name: str,
    email: str,
    phone: str | None,
    job_title: str | None,
    now: datetime,
) -> CrmContact:
    """Record a person at `organisation`.

    :raises Problem: 409 when the account is closed or the address is on another contact
        of the customer.
    """
    require_open(organisation.closed_at)
    contact = CrmContact(
        organisation_id=organisation.id,
        name=filled("name", name),
        email=normalise_email(email),
        phone=_optional(phone),
        job_title=_optional(job_title),
        created_at=now,
        updated_at=now,
    )
    db.add(contact)
    _unique(db)
    return contact


@runs_in(CUSTOMER_RELATIONSHIP)
def change_contact(
    db: Session, contact: CrmContact, changes: dict[str, str | None], now: datetime
) -> CrmContact:
    """Change `contact`'s name, email, phone or job title (the keys of `changes`).

    :raises Problem: 409 when the account is closed or the new address is on another
        contact of the customer; 422 for an empty name or address.
    """
    account = db.execute(
        select(Organisation.closed_at).where(Organisation.id == contact.organisation_id)
    ).one_or_none()
    if account is None:  # an account the activity may not see is not an open one
        raise conflict(gettext("The customer account is not open to this change."))
    require_open(account.closed_at)
    for key in ("name", "email"):
        if key in changes:
            changes[key] = filled(key, changes[key] or "")
    if "email" in changes:
        contact.email = normalise_email(str(changes["email"]))
    if "name" in changes:
        contact.name = str(changes["name"]).strip()
    if "phone" in changes:
        contact.phone = _optional(changes["phone"])
    if "job_title" in changes:
        contact.job_title = _optional(changes["job_title"])
    contact.updated_at = now
    _unique(db)
    return contact


@runs_in(CUSTOMER_RELATIONSHIP)
def add_note(
    db: Session,
    organisation: Organisation,
    body: str,
    now: datetime,
    contact: CrmContact | None = None,
) -> CrmNote:
    """Note a conversation with `organisation`, about `contact` if one is given.

    :raises Problem: 409 when the account is closed; 422 for an empty or too long note,
        or a contact of another customer.
    """
    require_open(organisation.closed_at)
    text = body.strip()
    if not text or len(text) > MAX_NOTE:
        raise invalid("body", gettext("A note is 1 to %(n)d characters.", n=MAX_NOTE))
    if contact is not None and contact.organisation_id != organisation.id:
        raise invalid("contact_id", gettext("That contact is not at this customer."))
    note = CrmNote(
        organisation_id=organisation.id,
        contact_id=None if contact is None else contact.id,
        body=text,
        written_at=now,
    )
    db.add(note)
    db.flush()
    return note


@runs_in(CUSTOMER_RELATIONSHIP)
def contacts(db: Session, organisation_id: int) -> list[CrmContact]:
    """A customer's contacts, by name."""
    query = select(CrmContact).where(CrmContact.organisation_id == organisation_id)
    return list(db.scalars(query.order_by(CrmContact.name, CrmContact.id)))


@runs_in(CUSTOMER_RELATIONSHIP)
def notes(db: Session, organisation_id: int) -> list[CrmNote]:
    """A customer's notes, newest first."""
    query = select(CrmNote).where(CrmNote.organisation_id == organisation_id)
    return list(db.scalars(query.order_by(CrmNote.written_at.desc(), CrmNote.id.desc())))
