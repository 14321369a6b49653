"""The rights engine's own tables: requests, their parts by scope, one-time email
links, and the marks that restrict processing or record an objection.

A request is about one person, known by a user ID and/or an email address. It is
split into *parts*: one for the operator's own (controller-scope) data, handled by
the DPO, and one per customer whose events hold processor-scope data about the
person, handled by that customer's admins (P01).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type

REQUEST_RECORD = Personal(
    category=Category.COMMUNICATIONS,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.AUDIT_LOG,
    scope=Scope.CONTROLLER,
)
"""Records of rights requests: kept to show each was answered (Art. 5(2), 12)."""


class RequestKind(StrEnum):
    """The right a request exercises."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    LIFT_RESTRICTION = "lift_restriction"
    OBJECTION = "objection"
    MARKETING_OBJECTION = "marketing_objection"
    AUTOMATED_OPT_OUT = "automated_opt_out"


class RequestStatus(StrEnum):
    """Where a request (or one part of it) stands."""

    AWAITING_CONFIRMATION = "awaiting_confirmation"
    OPEN = "open"
    DONE = "done"
    REJECTED = "rejected"


class Channel(StrEnum):
    """How a request reached the operator."""

    SELF_SERVICE = "self_service"
    EMAIL_FORM = "email_form"
    STAFF = "staff"


class DataSubjectRequest(Base):
    """One request from one person, with its deadline."""

    __tablename__ = "dsr_requests"
    __anchors__ = Anchors({rules.Anchor.CREATION: lambda: DataSubjectRequest.received_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    kind: Mapped[RequestKind] = mapped_column(
        enum_type(RequestKind, 24), info=personal(REQUEST_RECORD, "right exercised")
    )
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, 24), info=not_personal("lifecycle state of a request")
    )
    channel: Mapped[Channel] = mapped_column(
        enum_type(Channel, 16), info=personal(REQUEST_RECORD, "how the request was made")
    )
    subject_user_id: Mapped[int | None] = mapped_column(
        Integer,
        index=True,
        info=personal(
            REQUEST_RECORD,
            "user ID of the person a request is about",
            category=Category.IDENTIFIERS,
            tie=Tie.ACCOUNT,
        ),
    )
    subject_email: Mapped[str | None] = mapped_column(
        String(320),
        info=personal(
            REQUEST_RECORD,
            "email address of the person a request is about (removed once erased)",
            category=Category.IDENTIFIERS,
        ),
    )
    subject_digest: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info=personal(
            REQUEST_RECORD,
            "SHA-256 of the requester's email address",
            category=Category.IDENTIFIERS,
            tie=Tie.EMAIL_DIGEST,
        ),
    )
    details: Mapped[str] = mapped_column(
        Text, default="", info=personal(REQUEST_RECORD, "what the person asked for", free_text=True)
    )
    logged_by_user_id: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(REQUEST_RECORD, "staff member who logged a request", subject=Subject.STAFF),
    )
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(REQUEST_RECORD, "when a request was received")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REQUEST_RECORD, "when the requester confirmed by email")
    )
    due_at: Mapped[datetime] = mapped_column(
        UTCDateTime, index=True, info=not_personal("answer deadline of a request (P34)")
    )
    extended_due_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("extended deadline (Art. 12(3))")
    )
    extension_reason: Mapped[str | None] = mapped_column(
        Text, info=personal(REQUEST_RECORD, "why the deadline was extended", free_text=True)
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the last part of a request was answered")
    )

    parts: Mapped[list[RequestPart]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestPart.id"
    )

    @property
    def deadline(self) -> datetime:
        """The deadline in force: the extended one, else the original."""
        return self.extended_due_at or self.due_at


class RequestPart(Base):
    """The share of a request one handler answers: the DPO, or one customer (P01)."""

    __tablename__ = "dsr_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    request_id: Mapped[int] = mapped_column(
        ForeignKey("dsr_requests.id", ondelete="CASCADE"),
        index=True,
        info=personal(REQUEST_RECORD, "request a part belongs to", tie=Tie.OWNER),
    )
    scope: Mapped[Scope] = mapped_column(
        enum_type(Scope, 12), info=not_personal("controller or processor part")
    )
    organisation_id: Mapped[int | None] = mapped_column(
        Integer,
        index=True,
        info=not_personal("the customer who handles a processor part", tie=Tie.ORGANISATION),
    )
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, 24), info=not_personal("lifecycle state of a part")
    )
    handled_by_user_id: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(REQUEST_RECORD, "who answered a part", subject=Subject.STAFF),
    )
    handled_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REQUEST_RECORD, "when a part was answered")
    )
    outcome: Mapped[str] = mapped_column(
        Text,
        default="{}",
        info=personal(REQUEST_RECORD, "what was done, kept and notified (no identifiers)"),
    )

    request: Mapped[DataSubjectRequest] = relationship(back_populates="parts")


class EmailToken(Base):
    """A one-time link mailed to a requester to prove the address is theirs."""

    __tablename__ = "dsr_email_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    token_hash: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        info=personal(REQUEST_RECORD, "one-time link (hashed)", category=Category.SECURITY),
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("dsr_requests.id", ondelete="CASCADE"),
        index=True,
        info=personal(REQUEST_RECORD, "request a link confirms", tie=Tie.OWNER),
    )
    expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(REQUEST_RECORD, "when a one-time link expires")
    )
    used_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REQUEST_RECORD, "when a one-time link was used")
    )
