"""Organisations (the customers), user accounts, memberships and sign-in sessions.

The operator is the controller of all of this (promise P01).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    case,
    exists,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors, SQLExpression
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import Tie, tied
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

ACCOUNT_IDENTITY = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.ACCOUNT_MANAGEMENT, Purpose.PROVIDE_EVENTS, Purpose.SUPPORT),
    basis=LegalBasis.CONTRACT,
    retention=rules.ACCOUNT_IDENTITY,
    scope=Scope.CONTROLLER,
)
ACCOUNT_DATA = Personal(
    category=Category.ACCOUNT,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.ACCOUNT_MANAGEMENT,),
    basis=LegalBasis.CONTRACT,
    retention=rules.ACCOUNT_DATA,
    scope=Scope.CONTROLLER,
)
BILLING_CONTACT = Personal(
    category=Category.IDENTIFIERS,
    subject=Subject.CUSTOMER_CONTACT,
    purposes=(Purpose.BILLING, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.CONTRACT,
    retention=rules.ACCOUNT_DATA,
    scope=Scope.CONTROLLER,
)
CONTRACT_DATA = Personal(
    category=Category.COMMERCIAL,
    subject=Subject.CUSTOMER_CONTACT,
    purposes=(Purpose.SALES, Purpose.BILLING),
    basis=LegalBasis.CONTRACT,
    retention=rules.COMMERCIAL,
    scope=Scope.CONTROLLER,
)
INVITATION = Personal(
    category=Category.ACCOUNT,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.ACCOUNT_MANAGEMENT,),
    basis=LegalBasis.CONTRACT,
    retention=rules.SIGN_IN_SESSIONS,
    scope=Scope.CONTROLLER,
)
SIGN_IN = Personal(
    category=Category.SECURITY,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.SECURITY, Purpose.ACCOUNT_MANAGEMENT),
    basis=LegalBasis.CONTRACT,
    retention=rules.SIGN_IN_SESSIONS,
    scope=Scope.CONTROLLER,
)


class OrganisationStatus(StrEnum):
    """Whether a customer account is in use."""

    ACTIVE = "active"
    CLOSED = "closed"


class MemberRole(StrEnum):
    """What a member may do in an organisation."""

    OWNER = "owner"
    ORGANISER = "organiser"
    INTERPRETER = "interpreter"


class StaffRole(StrEnum):
    """The operator's own staff roles."""

    SUPPORT = "support"
    BILLING = "billing"
    SALES = "sales"
    """Sales and account management: the CRM."""
    DPO = "dpo"
    ADMIN = "admin"


class Organisation(Base):
    """A customer of the operator."""

    __tablename__ = "organisations"
    __anchors__ = Anchors(
        {
            Anchor.ACCOUNT_CLOSURE: lambda: Organisation.closed_at,
            Anchor.CONTRACT_END: lambda: _contract_end_or_closure(),
        }
    )

    id: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        info=not_personal("row number of a customer account", tie=Tie.ORGANISATION),
    )
    name: Mapped[str] = mapped_column(
        String(200),
        info=personal(
            ACCOUNT_DATA,
            "organisation name (may name a sole trader)",
            subject=Subject.CUSTOMER_CONTACT,
        ),
    )
    billing_contact_name: Mapped[str | None] = mapped_column(
        String(200), info=personal(BILLING_CONTACT, "billing contact's name")
    )
    billing_contact_email: Mapped[str | None] = mapped_column(
        String(320),
        info=personal(
            BILLING_CONTACT,
            "billing contact's email address",
            tie=tied(Tie.EMAIL, "billing_contact_name", "billing_contact_email"),
        ),
    )
    plan: Mapped[str] = mapped_column(
        String(40), default="standard", info=personal(CONTRACT_DATA, "purchased plan")
    )
    contract_start: Mapped[date | None] = mapped_column(
        Date, info=personal(CONTRACT_DATA, "contract start date")
    )
    contract_end: Mapped[date | None] = mapped_column(
        Date, info=personal(CONTRACT_DATA, "contract end date")
    )
    status: Mapped[OrganisationStatus] = mapped_column(
        enum_type(OrganisationStatus, 10),
        default=OrganisationStatus.ACTIVE,
        info=not_personal("lifecycle state of a customer account"),
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when a customer account was closed")
    )
    content_retention_days: Mapped[int | None] = mapped_column(
        Integer,
        info=not_personal("the customer's own retention period for meeting content (P16)"),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when a customer account was opened")
    )
    engagement_estimates: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=text("false"),
        info=not_personal("whether the customer turned engagement estimates on (P37)"),
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class User(Base):
    """A person's account: an organiser, an interpreter, or operator staff."""

    __tablename__ = "users"
    __anchors__ = Anchors(
        {
            Anchor.ACCOUNT_CLOSURE: lambda: User.closed_at,
            Anchor.CONTRACT_END: lambda: _contracts_ended(User.id),
        }
    )

    id: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        info=personal(
            ACCOUNT_IDENTITY,
            "user ID",
            tie=Tie.ACCOUNT,
            purposes=(*ACCOUNT_IDENTITY.purposes, Purpose.SECURITY, Purpose.MARKETING),
        ),
    )
    email: Mapped[str] = mapped_column(
        String(320),
        unique=True,
        info=personal(
            ACCOUNT_IDENTITY,
            "email address",
            tie=tied(Tie.EMAIL, proven_by="email_verified_at"),
            purposes=(*ACCOUNT_IDENTITY.purposes, Purpose.SECURITY, Purpose.MARKETING),
        ),
    )
    name: Mapped[str] = mapped_column(
        String(200),
        info=personal(
            ACCOUNT_DATA,
            "name",
            category=Category.IDENTIFIERS,
            purposes=(
                Purpose.ACCOUNT_MANAGEMENT,
                Purpose.PROVIDE_EVENTS,
                Purpose.MARKETING,
                Purpose.SUPPORT,
            ),
        ),
    )
    password_hash: Mapped[str] = mapped_column(
        String(200),
        info=personal(
            ACCOUNT_DATA,
            "password (stored only as an Argon2 hash)",
            category=Category.SECURITY,
            purposes=(Purpose.SECURITY, Purpose.ACCOUNT_MANAGEMENT),
        ),
    )
    locale: Mapped[str] = mapped_column(
        String(20),
        default="en",
        info=personal(ACCOUNT_DATA, "language preference", category=Category.SETTINGS),
    )
    staff_role: Mapped[StaffRole | None] = mapped_column(
        enum_type(StaffRole, 10),
        info=personal(
            ACCOUNT_DATA,
            "operator staff role",
            subject=Subject.STAFF,
            purposes=(Purpose.SECURITY, Purpose.ACCOUNT_MANAGEMENT),
        ),
    )
    email_verified_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            SIGN_IN,
            "when you proved that the email address is yours",
            retention=rules.ACCOUNT_DATA,
            purposes=(Purpose.SECURITY, Purpose.ACCOUNT_MANAGEMENT, Purpose.MARKETING),
        ),
    )
    email_skeleton: Mapped[str | None] = mapped_column(
        String(400),
        index=True,
        info=personal(
            ACCOUNT_IDENTITY,
            "look-alike form of the email address (to refuse confusable addresses)",
            purposes=(Purpose.ACCOUNT_MANAGEMENT, Purpose.SECURITY),
        ),
    )
    totp_secret: Mapped[str | None] = mapped_column(
        EncryptedText,
        info=personal(
            SIGN_IN,
            "two-factor sign-in secret (encrypted)",
            retention=rules.ACCOUNT_DATA,
            confidential=True,
        ),
    )
    totp_enabled_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            SIGN_IN, "when you turned on two-factor sign-in", retention=rules.ACCOUNT_DATA
        ),
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(
            SIGN_IN,
            "the last two-factor code used (so none is accepted twice)",
            retention=rules.ACCOUNT_DATA,
        ),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(ACCOUNT_DATA, "when the account was created")
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            ACCOUNT_DATA,
            "when the account was closed",
            purposes=(Purpose.ACCOUNT_MANAGEMENT, Purpose.MARKETING),
        ),
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def verified_email(self) -> str | None:
        """The email address, once its owner has proved it is theirs; else None.

        Only a proven address may lead to what others tied to it (P01)."""
        return self.email if self.email_verified_at is not None else None

    @property
    def staff_role_in_force(self) -> StaffRole | None:
        """The staff role, once two-factor sign-in is on (required for staff); else None."""
        return self.staff_role if self.totp_enabled_at is not None else None


class Membership(Base):
    """A user's role in an organisation."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, info=not_personal("row number of a membership")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("which customer a membership belongs to", tie=Tie.ORGANISATION),
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        info=personal(
            ACCOUNT_IDENTITY,
            "user ID of a member",
            tie=Tie.ACCOUNT,
        ),
    )
    role: Mapped[MemberRole] = mapped_column(
        enum_type(MemberRole, 12),
        info=personal(ACCOUNT_IDENTITY, "role in the organisation", category=Category.ACCOUNT),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        info=personal(ACCOUNT_IDENTITY, "when the membership began", category=Category.ACCOUNT),
    )

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class SignInSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its hash."""

    __tablename__ = "sign_in_sessions"
    __anchors__ = Anchors(
        {
            Anchor.SESSION_END: lambda: func.coalesce(
                SignInSession.ended_at, SignInSession.expires_at
            )
        }
    )

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, info=not_personal("row number of a sign-in session")
    )
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, info=personal(SIGN_IN, "sign-in session identifier (hashed)")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        info=personal(SIGN_IN, "user ID of a signed-in account", tie=Tie.ACCOUNT),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when you signed in")
    )
    expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when the sign-in expires")
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when you signed out")
    )
    device: Mapped[str | None] = mapped_column(
        String(120),
        info=personal(
            SIGN_IN, "browser and system you signed in with", category=Category.TECHNICAL
        ),
    )

    user: Mapped[User] = relationship()


class LinkPurpose(StrEnum):
    """What a one-time link mailed to an account holder does."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class AccountLink(Base):
    """A one-time link mailed to an account holder: the mail holds a random token, this
    table its hash. Proving an address, or setting a new password."""

    __tablename__ = "account_links"
    __anchors__ = Anchors(
        {Anchor.SESSION_END: lambda: func.coalesce(AccountLink.used_at, AccountLink.expires_at)}
    )

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, info=not_personal("row number of a one-time link")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        info=personal(SIGN_IN, "user ID a one-time link was mailed for", tie=Tie.ACCOUNT),
    )
    purpose: Mapped[LinkPurpose] = mapped_column(
        enum_type(LinkPurpose, 20), info=not_personal("what a one-time link does")
    )
    email: Mapped[str] = mapped_column(
        String(320),
        info=personal(
            SIGN_IN,
            "email address a one-time link was mailed to",
            tie=tied(Tie.EMAIL, proven_by="used_at"),  # following the link proves it
        ),
    )
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, info=personal(SIGN_IN, "one-time link (hashed)")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when a one-time link was mailed")
    )
    expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when a one-time link expires")
    )
    used_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(SIGN_IN, "when a one-time link was followed (never, if not)")
    )


class Invitation(Base):
    """An invitation to join an organisation, mailed to an address; nobody becomes a
    member until they accept it."""

    __tablename__ = "invitations"
    __anchors__ = Anchors(
        {Anchor.SESSION_END: lambda: func.coalesce(Invitation.answered_at, Invitation.expires_at)}
    )

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, info=not_personal("row number of an invitation")
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("which customer an invitation is to", tie=Tie.ORGANISATION),
    )
    email: Mapped[str] = mapped_column(
        String(320),
        index=True,
        info=personal(INVITATION, "email address an invitation was sent to", tie=Tie.EMAIL),
    )
    role: Mapped[MemberRole] = mapped_column(
        enum_type(MemberRole, 12),
        info=personal(INVITATION, "role offered in the organisation", category=Category.ACCOUNT),
    )
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, info=personal(INVITATION, "invitation link (hashed)")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(INVITATION, "when an invitation was sent")
    )
    expires_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(INVITATION, "when an invitation expires")
    )
    answered_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(INVITATION, "when an invitation was accepted or declined")
    )
    accepted: Mapped[bool | None] = mapped_column(
        Boolean, info=personal(INVITATION, "whether an invitation was accepted")
    )


def _contract_end_or_closure() -> ColumnElement[date | None]:
    """When the customer's contract ended: its end date, or the day the account closed."""
    return type_coerce(
        func.coalesce(Organisation.contract_end, func.date(Organisation.closed_at)), Date
    )


def _contracts_ended(user_id: SQLExpression) -> ColumnElement[date | None]:
    """When the user's identity may go (P08): once every organisation they belong to has
    ended its contract (or closed), the last of those days; for a user with no
    organisation left, the day their account was closed. Used in the users table's
    own context (`user_id` is ``User.id``).
    """
    ended = _contract_end_or_closure()
    last_contract_end = (
        select(func.max(ended))
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .having(func.count() == func.count(ended))
        .scalar_subquery()
    )
    has_organisation = exists(select(Membership.id).where(Membership.user_id == user_id))
    return type_coerce(
        case(
            (has_organisation, last_contract_end),
            else_=func.date(User.closed_at),
        ),
        Date,
    )
