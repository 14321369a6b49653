"""Tickets, their messages, canned replies and incidents.

A ticket is a conversation with someone who asked for help, by the web form or by mail:
support communications, kept at most three years after the customer's account is closed
or the ticket is, whichever comes first (P13), and never while an incident it is linked
to is open (P14: incident data is kept while the incident is open, then under its
rule). What people write is confidential: encrypted at rest (P22).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.accounts.models import Organisation
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors, SQLExpression
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie, tied
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

SUPPORT_RECORD = Personal(
    category=Category.COMMUNICATIONS,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.SUPPORT,),
    basis=LegalBasis.CONTRACT,
    retention=rules.SUPPORT,
    scope=Scope.CONTROLLER,
)


class TicketStatus(StrEnum):
    """Where a ticket stands."""

    NEW = "new"
    """Nobody has answered yet."""
    OPEN = "open"
    """Answered, and support has the next move."""
    PENDING = "pending"
    """Waiting for the requester."""
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    """How urgent a ticket is: urgent and high halve their SLA targets."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Channel(StrEnum):
    """How a ticket or message came in."""

    WEB = "web"
    EMAIL = "email"


class Incident(Base):
    """Something that affects many customers at once (an outage, a security incident),
    to which their tickets are linked."""

    __tablename__ = "incidents"
    __untied__ = (
        "an incident is about the service, not a person; what it says of people is in "
        "the tickets linked to it, which are tied to their requesters"
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    title: Mapped[str] = mapped_column(
        String(200), info=not_personal("what the incident is", free_text=True)
    )
    description: Mapped[str] = mapped_column(
        Text, info=not_personal("what happened and what is done about it", free_text=True)
    )
    opened_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the incident was opened")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the incident was resolved")
    )


def _sooner(a: SQLExpression, b: SQLExpression) -> ColumnElement[datetime | None]:
    """The earlier of two moments, either of which may be missing."""
    return case((a.is_(None), b), (b.is_(None), a), (a < b, a), else_=b)


def _support_clock() -> ColumnElement[datetime | None]:
    """When a ticket's three years start (P13): its account's closure or its own end
    (closed, or else solved), the sooner; none while an incident it is linked to is open
    (P14). A ticket nobody closes still goes three years after it was solved."""
    account_closed = (
        select(Organisation.closed_at)
        .where(Organisation.id == Ticket.organisation_id)
        .scalar_subquery()
    )
    incident_open = (
        select(Incident.id)
        .where(Incident.id == Ticket.incident_id, Incident.resolved_at.is_(None))
        .exists()
    )
    ended = func.coalesce(Ticket.closed_at, Ticket.solved_at)
    return type_coerce(
        case((incident_open, None), else_=_sooner(account_closed, ended)),
        UTCDateTime,
    )


class Ticket(Base):
    """A request for help and its SLA clocks."""

    __tablename__ = "tickets"
    __anchors__ = Anchors({Anchor.ACCOUNT_CLOSURE: _support_clock})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    reference: Mapped[str] = mapped_column(
        String(16), unique=True, info=not_personal("the ticket's number in mail subjects")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"),
        index=True,
        # no organisation tie: tickets are the operator's own records, encrypted under
        # the operator's key, and requests about them are the operator's to answer
        info=not_personal("the customer the requester belongs to"),
    )
    requester_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info=personal(SUPPORT_RECORD, "your account, when you asked signed in", tie=Tie.ACCOUNT),
    )
    requester_email: Mapped[str] = mapped_column(
        String(320),
        info=personal(
            SUPPORT_RECORD,
            "the email address support answers",
            category=Category.IDENTIFIERS,
            tie=tied(Tie.EMAIL, "requester_name", "requester_email"),
        ),
    )
    requester_name: Mapped[str | None] = mapped_column(
        String(200),
        info=personal(SUPPORT_RECORD, "your name, as you gave it", category=Category.IDENTIFIERS),
    )
    language: Mapped[str] = mapped_column(
        String(5), info=not_personal("the language support answers in")
    )
    subject: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(SUPPORT_RECORD, "the ticket's subject", free_text=True, confidential=True),
    )
    channel: Mapped[Channel] = mapped_column(
        enum_type(Channel, 8), info=not_personal("how the ticket came in")
    )
    status: Mapped[TicketStatus] = mapped_column(
        enum_type(TicketStatus, 10), info=not_personal("where the ticket stands")
    )
    priority: Mapped[Priority] = mapped_column(
        enum_type(Priority, 8), info=not_personal("how urgent the ticket is")
    )
    plan: Mapped[str | None] = mapped_column(
        String(40), info=not_personal("the plan whose SLA the ticket runs under")
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        info=personal(
            SUPPORT_RECORD, "the support agent the ticket is assigned to", subject=Subject.STAFF
        ),
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), info=not_personal("the incident the ticket belongs to")
    )
    first_response_due: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the first answer is due (SLA)")
    )
    resolution_due: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the resolution is due (SLA)")
    )
    first_responded_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when support first answered")
    )
    solved_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the ticket was solved")
    )
    escalation_level: Mapped[int] = mapped_column(
        Integer, default=0, info=not_personal("how often the ticket was escalated")
    )
    escalated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the ticket was last escalated")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the ticket came in")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the ticket last changed")
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the ticket was closed")
    )

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )


class TicketMessage(Base):
    """One message on a ticket: the requester's, support's answer, or an internal note."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the ticket the message is on", tie=Tie.OWNER),
    )
    from_staff: Mapped[bool] = mapped_column(Boolean, info=not_personal("whether support wrote it"))
    internal: Mapped[bool] = mapped_column(
        Boolean, info=not_personal("whether it is a note support keeps to itself")
    )
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        info=personal(SUPPORT_RECORD, "who wrote the message (an account)"),
    )
    body: Mapped[str] = mapped_column(
        EncryptedText,
        info=personal(SUPPORT_RECORD, "the message", free_text=True, confidential=True),
    )
    channel: Mapped[Channel] = mapped_column(
        enum_type(Channel, 8), info=not_personal("how the message came or went")
    )
    mail_id: Mapped[str | None] = mapped_column(
        String(250), index=True, info=not_personal("the mail's Message-ID, to thread replies")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the message was written")
    )

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class CannedReply(Base):
    """A reply support uses often, with the requester's name filled in."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    title: Mapped[str] = mapped_column(
        String(100), unique=True, info=not_personal("what the reply is for")
    )
    body: Mapped[str] = mapped_column(
        Text, info=not_personal("the reply's text, {name} standing for the requester's name")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the reply was written")
    )
