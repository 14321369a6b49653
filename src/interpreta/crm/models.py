"""CRM contacts, notes and deals on customer accounts.

A contact is a person at a customer the operator's sales and account managers deal with;
a note records what was said (confidential: encrypted under the operator's key, like a
support ticket, because these are the operator's own records); a deal is an offer under
discussion, won or lost. All of it is commercial data (P10): deleted five years after the
customer's account is closed at the latest, and with the contact when they ask.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    select,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.accounts.models import CONTRACT_DATA, Organisation
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors, SQLExpression
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

RELATIONSHIP = Personal(
    category=Category.COMMERCIAL,
    subject=Subject.CUSTOMER_CONTACT,
    purposes=(Purpose.SALES, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    retention=rules.COMMERCIAL,
    scope=Scope.CONTROLLER,
)
"""A customer's people and what the operator discussed with them (P10)."""


class DealStage(StrEnum):
    """Where a deal stands; ``won`` and ``lost`` end it."""

    LEAD = "lead"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"

    @property
    def is_closed(self) -> bool:
        """Whether the deal is over."""
        return self in (DealStage.WON, DealStage.LOST)


def _account_closure(organisation_id: SQLExpression) -> ColumnElement[datetime | None]:
    """When the customer a row belongs to closed its account (P10's clock)."""
    return type_coerce(
        select(Organisation.closed_at).where(Organisation.id == organisation_id).scalar_subquery(),
        UTCDateTime,
    )


class CrmContact(Base):
    """A person at a customer whom sales or account management deal with."""

    __tablename__ = "crm_contacts"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)
    __anchors__ = Anchors(
        {Anchor.ACCOUNT_CLOSURE: lambda: _account_closure(CrmContact.organisation_id)}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        # no organisation tie: the operator's own records, under the operator's key
        info=not_personal("the customer the contact works for"),
    )
    name: Mapped[str] = mapped_column(String(200), info=personal(RELATIONSHIP, "contact's name"))
    email: Mapped[str | None] = mapped_column(
        # NULL only once erased: the card stays, blank, while a deal points to it
        String(320),
        info=personal(RELATIONSHIP, "contact's email address", tie=Tie.EMAIL),
    )
    phone: Mapped[str | None] = mapped_column(
        String(40), info=personal(RELATIONSHIP, "contact's phone number")
    )
    job_title: Mapped[str | None] = mapped_column(
        String(100), info=personal(RELATIONSHIP, "contact's job title")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(RELATIONSHIP, "when the contact was recorded")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(RELATIONSHIP, "when the contact was last changed")
    )


class CrmNote(Base):
    """What was said with a customer, about one of its contacts or the account."""

    __tablename__ = "crm_notes"
    __anchors__ = Anchors(
        {Anchor.ACCOUNT_CLOSURE: lambda: _account_closure(CrmNote.organisation_id)}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the customer the note is about"),
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"),
        index=True,
        info=personal(RELATIONSHIP, "the contact a note is about", tie=Tie.OWNER),
    )
    body: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(RELATIONSHIP, "note of a conversation", free_text=True, confidential=True),
    )
    written_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(RELATIONSHIP, "when a note was written")
    )


class Deal(Base):
    """An offer to a customer: its value, the plan, where it stands."""

    __tablename__ = "deals"
    __untied__ = (
        "a deal is the operator's offer to a customer organisation, not about one of its "
        "people: a billing contact's request neither sees nor erases the pipeline; the "
        "people it is discussed with are in crm_contacts and crm_notes, tied to each"
    )
    __anchors__ = Anchors({Anchor.ACCOUNT_CLOSURE: lambda: _account_closure(Deal.organisation_id)})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the customer the deal is with"),
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL"),
        info=not_personal("the contact the deal is discussed with"),
    )
    title: Mapped[str] = mapped_column(
        String(200), info=personal(CONTRACT_DATA, "deal title", free_text=True)
    )
    stage: Mapped[DealStage] = mapped_column(
        enum_type(DealStage, 16), info=personal(CONTRACT_DATA, "where a deal stands")
    )
    value: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), info=personal(CONTRACT_DATA, "deal value, net, per year")
    )
    currency: Mapped[str] = mapped_column(String(3), info=not_personal("ISO 4217 currency"))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"),
        info=personal(CONTRACT_DATA, "plan offered in a deal"),
    )
    expected_on: Mapped[date | None] = mapped_column(
        Date, info=personal(CONTRACT_DATA, "when a deal is expected to close")
    )
    lost_reason: Mapped[str | None] = mapped_column(
        String(200), info=personal(CONTRACT_DATA, "why a deal was lost", free_text=True)
    )
    opened_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the deal was opened")
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the deal was won or lost")
    )
