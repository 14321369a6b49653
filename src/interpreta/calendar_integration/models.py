"""The calendar integration's tables: an organiser's connection (the CalDAV calendar and
CardDAV address book they connected, the user name, the password encrypted), and the
contacts imported from the address book.

All of it exists only because the organiser connected (consent, P19), and all of it goes
when they disconnect: the connection row, its password and every imported contact, in one
transaction. An imported contact is tied to the organiser (through the connection) and to
the contact's own email address, so either of them finds it with a privacy request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.accounts.models import User
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors, SQLExpression
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime
from interpreta.privacy.crypto import EncryptedText

CONNECTION = Personal(
    category=Category.SETTINGS,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.CALENDAR,),
    basis=LegalBasis.CONSENT,
    retention=rules.ACCOUNT_DATA,
    scope=Scope.CONTROLLER,
)
CONTACT = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.CONTACT,
    purposes=(Purpose.CALENDAR,),
    basis=LegalBasis.CONSENT,
    retention=rules.ACCOUNT_DATA,
    scope=Scope.CONTROLLER,
)

MAX_URL = 500
"""The longest calendar or address book URL kept."""
MAX_USERNAME = 200
"""The longest user name at the calendar server."""
MAX_ERROR = 300
"""The longest message kept of the last failed synchronisation."""
MAX_CONTACTS = 5_000
"""The most contacts imported for one connection."""


def _account_closure() -> SQLExpression:
    """When the connecting account was closed (the connection's retention anchor)."""
    return select(User.closed_at).where(User.id == CalendarConnection.user_id).scalar_subquery()


class CalendarConnection(Base):
    """An organiser's connected calendar and address book (at least one of them)."""

    __tablename__ = "calendar_connections"
    __anchors__ = Anchors({rules.Anchor.ACCOUNT_CLOSURE: _account_closure})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        unique=True,
        info=personal(
            CONNECTION,
            "account that connected a calendar",
            category=Category.IDENTIFIERS,
            tie=Tie.ACCOUNT,
        ),
    )
    calendar_url: Mapped[str | None] = mapped_column(
        String(MAX_URL), info=personal(CONNECTION, "address of your connected calendar")
    )
    addressbook_url: Mapped[str | None] = mapped_column(
        String(MAX_URL), info=personal(CONNECTION, "address of your connected address book")
    )
    username: Mapped[str] = mapped_column(
        String(MAX_USERNAME),
        info=personal(
            CONNECTION, "your user name at the calendar server", category=Category.IDENTIFIERS
        ),
    )
    secret: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(
            CONNECTION,
            "password or app token for the calendar server (encrypted)",
            category=Category.SECURITY,
            confidential=True,
        ),
    )
    connected_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(CONNECTION, "when you connected the calendar")
    )
    synced_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(CONNECTION, "when the calendar was last synchronised")
    )
    last_error: Mapped[str | None] = mapped_column(
        String(MAX_ERROR),
        info=not_personal("the calendar server's last failure, as our client words it"),
    )


class ImportedContact(Base):
    """A contact of the connected address book, kept to invite them."""

    __tablename__ = "imported_contacts"
    __table_args__ = (UniqueConstraint("connection_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"),
        index=True,
        info=personal(CONTACT, "whose address book a contact was imported from", tie=Tie.OWNER),
    )
    name: Mapped[str] = mapped_column(
        String(200), info=personal(CONTACT, "name of an imported contact")
    )
    email: Mapped[str] = mapped_column(
        String(320),
        index=True,
        info=personal(CONTACT, "email address of an imported contact", tie=Tie.EMAIL),
    )
    organisation: Mapped[str | None] = mapped_column(
        String(200), info=personal(CONTACT, "organisation of an imported contact")
    )
    imported_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(CONTACT, "when a contact was imported")
    )
