"""The breach register (promise P25): personal-data breaches and their deadlines.

Each breach records when it was discovered, what categories and how many people
it affects, and the notifications sent. The supervisory authority must be told
within 72 hours of discovery (Art. 33 GDPR) unless the breach is unlikely to
result in a risk; people affected must be told when the risk is high (Art. 34);
a customer whose event data (processor scope) is affected is told without undue
delay (Art. 33(2)). Incident data is kept while the incident is open (P14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.errors import conflict, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.privacy.processing import runs_in

AUTHORITY_DEADLINE = timedelta(hours=72)

INCIDENT_RECORD = Personal(
    category=Category.SECURITY,
    subject=Subject.STAFF,
    purposes=(Purpose.LEGAL_COMPLIANCE, Purpose.SECURITY),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.INCIDENT,
    scope=Scope.CONTROLLER,
)


class Risk(StrEnum):
    """The assessed risk to people's rights and freedoms."""

    UNLIKELY = "unlikely"
    RISK = "risk"
    HIGH = "high"


class Recipient(StrEnum):
    """Who a breach notification went to."""

    AUTHORITY = "authority"
    PEOPLE = "people"
    CUSTOMER = "customer"


class Breach(Base):
    """One personal-data breach."""

    __tablename__ = "breaches"
    __anchors__ = Anchors({rules.Anchor.INCIDENT_CLOSURE: lambda: Breach.closed_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    title: Mapped[str] = mapped_column(
        String(200), info=personal(INCIDENT_RECORD, "short description of a breach", free_text=True)
    )
    description: Mapped[str] = mapped_column(
        Text,
        info=personal(
            INCIDENT_RECORD, "what happened in a breach, and its consequences", free_text=True
        ),
    )
    discovered_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when a breach was discovered")
    )
    categories: Mapped[str] = mapped_column(
        String(400), info=not_personal("data categories affected (data-map vocabulary)")
    )
    people_affected: Mapped[int] = mapped_column(
        Integer, info=not_personal("approximate number of people affected")
    )
    risk: Mapped[Risk] = mapped_column(enum_type(Risk, 10), info=not_personal("assessed risk"))
    processor_scope: Mapped[bool] = mapped_column(
        info=not_personal("whether customers' event data (processor scope) is affected")
    )
    measures: Mapped[str] = mapped_column(
        Text,
        default="",
        info=personal(INCIDENT_RECORD, "measures taken or proposed", free_text=True),
    )
    reported_by: Mapped[str] = mapped_column(
        String(200),
        info=personal(INCIDENT_RECORD, "who recorded a breach (as typed by staff)", free_text=True),
    )
    closed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the incident was closed")
    )

    notifications: Mapped[list[BreachNotification]] = relationship(
        back_populates="breach",
        cascade="all, delete-orphan",
        order_by="BreachNotification.id",
        lazy="selectin",  # loaded with the breach, inside the register's activity
    )

    @property
    def authority_deadline(self) -> datetime:
        """72 hours after discovery."""
        return self.discovered_at + AUTHORITY_DEADLINE

    def notified(self, recipient: Recipient) -> datetime | None:
        """When `recipient` was first notified, if ever."""
        return next((n.sent_at for n in self.notifications if n.recipient == recipient), None)

    def owed(self) -> list[Recipient]:
        """The notifications the law requires and that are not sent yet."""
        required = []
        if self.risk is not Risk.UNLIKELY:
            required.append(Recipient.AUTHORITY)
        if self.risk is Risk.HIGH:
            required.append(Recipient.PEOPLE)
        if self.processor_scope:
            required.append(Recipient.CUSTOMER)
        return [r for r in required if self.notified(r) is None]


class BreachNotification(Base):
    """A notification sent about a breach."""

    __tablename__ = "breach_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    breach_id: Mapped[int] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("breach", tie=Tie.OWNER),
    )
    recipient: Mapped[Recipient] = mapped_column(
        enum_type(Recipient, 10), info=not_personal("authority, people or customer")
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, info=not_personal("when it was sent"))
    reference: Mapped[str] = mapped_column(
        String(300),
        info=personal(INCIDENT_RECORD, "reference or note of a notification", free_text=True),
    )

    breach: Mapped[Breach] = relationship(back_populates="notifications")


@dataclass(frozen=True)
class Countdown:
    """Where a breach stands against the 72-hour deadline."""

    deadline: datetime
    remaining: timedelta
    notified_at: datetime | None
    required: bool

    @property
    def overdue(self) -> bool:
        """The authority is owed a notification and the deadline has passed."""
        return self.required and self.notified_at is None and self.remaining <= timedelta(0)

    def words(self) -> str:
        """'notified', 'not required', '41 h 12 min left', 'overdue by 3 h 5 min'."""
        if self.notified_at is not None:
            return "authority notified"
        if not self.required:
            return "no notification required (risk unlikely)"
        minutes = int(abs(self.remaining).total_seconds() // 60)
        span = f"{minutes // 60} h {minutes % 60} min"
        return f"overdue by {span}" if self.overdue else f"{span} left"


def countdown(breach: Breach, now: datetime) -> Countdown:
    """The authority-notification countdown of `breach` at `now`."""
    return Countdown(
        deadline=breach.authority_deadline,
        remaining=breach.authority_deadline - now,
        notified_at=breach.notified(Recipient.AUTHORITY),
        required=breach.risk is not Risk.UNLIKELY,
    )


@runs_in(SECURITY_AUDIT)
def report(
    db: Session,
    *,
    title: str,
    description: str,
    discovered_at: datetime,
    categories: list[str],
    people_affected: int,
    risk: Risk,
    processor_scope: bool,
    reported_by: str,
    now: datetime,
    measures: str = "",
) -> Breach:
    """Record a breach as soon as it is known."""
    known = {c.value for c in Category}
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise invalid(
            "categories",
            gettext("Unknown data categories: %(categories)s.", categories=", ".join(unknown)),
        )
    if not categories:
        raise invalid("categories", gettext("Name at least one data category affected."))
    if discovered_at > now:
        raise invalid("discovered_at", gettext("A breach cannot be discovered in the future."))
    if people_affected < 0:
        raise invalid("people_affected", gettext("The number of people cannot be negative."))
    breach = Breach(
        title=title.strip(),
        description=description.strip(),
        discovered_at=discovered_at,
        categories=",".join(categories),
        people_affected=people_affected,
        risk=risk,
        processor_scope=processor_scope,
        measures=measures,
        reported_by=reported_by,
    )
    db.add(breach)
    db.flush()
    return breach


@runs_in(SECURITY_AUDIT)
def notify(
    db: Session, breach_id: int, *, recipient: Recipient, reference: str, now: datetime
) -> BreachNotification:
    """Record that a notification was sent."""
    breach = _get(db, breach_id)
    notification = BreachNotification(recipient=recipient, sent_at=now, reference=reference)
    breach.notifications.append(notification)
    db.flush()
    return notification


@runs_in(SECURITY_AUDIT)
def close(db: Session, breach_id: int, *, now: datetime) -> Breach:
    """Close the incident; refused while a required notification is owed."""
    breach = _get(db, breach_id)
    if breach.closed_at is not None:
        raise conflict(gettext("The incident is already closed."))
    owed = breach.owed()
    if owed:
        raise invalid(
            "notifications",
            gettext("Still owed: %(owed)s.", owed=", ".join(r.value for r in owed)),
        )
    breach.closed_at = now
    return breach


@runs_in(SECURITY_AUDIT)
def open_breaches(db: Session) -> list[Breach]:
    """Breaches not yet closed, oldest discovery first."""
    return list(
        db.scalars(select(Breach).where(Breach.closed_at.is_(None)).order_by(Breach.discovered_at))
    )


@runs_in(SECURITY_AUDIT)
def all_breaches(db: Session) -> list[Breach]:
    """Every breach on record, newest first."""
    return list(db.scalars(select(Breach).order_by(Breach.discovered_at.desc())))


def _get(db: Session, breach_id: int) -> Breach:
    breach = db.get(Breach, breach_id)
    if breach is None:
        raise not_found(N_("breach"))
    return breach
