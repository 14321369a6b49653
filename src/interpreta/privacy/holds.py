"""Legal holds (promise P15): named records kept past their rule, until released.

A hold names a person (by user ID or email address), an organisation or an
event, with the reason. While it is in force the retention engine and erasure
leave every record it covers in place; releasing it is explicit and recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, Table, Text, false, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import Tie, normalise_email
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.errors import conflict, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.privacy.processing import runs_in

HOLD_RECORD = Personal(
    category=Category.SECURITY,
    subject=Subject.STAFF,
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.LEGAL_HOLD,
    scope=Scope.CONTROLLER,
)


class HoldScope(StrEnum):
    """What a hold covers."""

    USER = "user"
    EMAIL = "email"
    ORGANISATION = "organisation"
    EVENT = "event"


class LegalHold(Base):
    """One hold: what it covers, why, who placed and who released it."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    scope: Mapped[HoldScope] = mapped_column(
        enum_type(HoldScope, 12), info=not_personal("kind of thing held")
    )
    target: Mapped[str] = mapped_column(
        String(320),
        index=True,
        info=personal(
            HOLD_RECORD,
            "what is held (a user ID, email address, or record ID)",
            category=Category.IDENTIFIERS,
            subject=Subject.CUSTOMER_USER,
        ),
    )
    reason: Mapped[str] = mapped_column(
        Text, info=personal(HOLD_RECORD, "reason for a hold", free_text=True)
    )
    placed_by: Mapped[str] = mapped_column(
        String(200), info=personal(HOLD_RECORD, "who placed a hold")
    )
    placed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(HOLD_RECORD, "when a hold was placed")
    )
    released_by: Mapped[str | None] = mapped_column(
        String(200), info=personal(HOLD_RECORD, "who released a hold")
    )
    released_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(HOLD_RECORD, "when a hold was released")
    )
    release_reason: Mapped[str | None] = mapped_column(
        Text, info=personal(HOLD_RECORD, "why a hold was released", free_text=True)
    )

    __anchors__ = Anchors({rules.Anchor.HOLD_RELEASE: lambda: LegalHold.released_at})
    __untied__ = (
        "a hold names what it holds, but is not the held person's to see or erase: "
        "it exists to stop an erasure while a legal matter is open"
    )


def _normalise(scope: HoldScope, target: str) -> str:
    target = target.strip()
    if scope is HoldScope.EMAIL:
        if "@" not in target:
            raise invalid("target", gettext("An email hold needs an email address."))
        return normalise_email(target)
    if not target.isdigit():
        raise invalid(
            "target", gettext("A %(scope)s hold needs a numeric %(scope)s ID.", scope=scope.value)
        )
    return target


@runs_in(SECURITY_AUDIT)
def place(
    db: Session, *, scope: HoldScope, target: str, reason: str, placed_by: str, now: datetime
) -> LegalHold:
    """Place a hold; the reason is required."""
    if not reason.strip():
        raise invalid("reason", gettext("A hold needs a reason."))
    hold = LegalHold(
        scope=scope,
        target=_normalise(scope, target),
        reason=reason.strip(),
        placed_by=placed_by,
        placed_at=now,
    )
    db.add(hold)
    db.flush()
    return hold


@runs_in(SECURITY_AUDIT)
def release(
    db: Session, hold_id: int, *, released_by: str, reason: str, now: datetime
) -> LegalHold:
    """Release a hold explicitly, with the reason."""
    hold = db.get(LegalHold, hold_id)
    if hold is None:
        raise not_found(N_("legal hold"))
    if hold.released_at is not None:
        raise conflict(gettext("This hold was already released."))
    if not reason.strip():
        raise invalid("reason", gettext("Say why the hold is released."))
    hold.released_at, hold.released_by, hold.release_reason = now, released_by, reason.strip()
    return hold


@dataclass(frozen=True)
class ActiveHolds:
    """The holds in force, by what they cover."""

    users: frozenset[int]
    emails: frozenset[str]
    organisations: frozenset[int]
    events: frozenset[int]

    def covers(
        self,
        *,
        user: int | None = None,
        email: str | None = None,
        organisation: int | None = None,
        event: int | None = None,
    ) -> bool:
        """Whether anything in force holds a record with these links."""
        return (
            (user is not None and user in self.users)
            or (email is not None and normalise_email(email) in self.emails)
            or (organisation is not None and organisation in self.organisations)
            or (event is not None and event in self.events)
        )

    def __bool__(self) -> bool:
        return bool(self.users or self.emails or self.organisations or self.events)


@runs_in(SECURITY_AUDIT)
def active(db: Session) -> ActiveHolds:
    """The holds in force now."""
    rows = db.execute(
        select(LegalHold.scope, LegalHold.target).where(LegalHold.released_at.is_(None))
    ).all()

    def of(scope: HoldScope) -> list[str]:
        return [target for s, target in rows if s == scope]

    return ActiveHolds(
        users=frozenset(int(t) for t in of(HoldScope.USER)),
        emails=frozenset(of(HoldScope.EMAIL)),
        organisations=frozenset(int(t) for t in of(HoldScope.ORGANISATION)),
        events=frozenset(int(t) for t in of(HoldScope.EVENT)),
    )


def covered(graph: TieGraph, table: Table, holds: ActiveHolds) -> ColumnElement[bool]:
    """A condition true for the rows of `table` a hold in force covers, through the
    row's ties (a participant is held by its event, its organisation, its user ID or
    its email address). Read by the retention engine and by erasure alike."""
    wanted: tuple[tuple[Tie, frozenset[Any]], ...] = (
        (Tie.ACCOUNT, holds.users),
        (Tie.EMAIL, holds.emails),
        (Tie.ORGANISATION, holds.organisations),
        (Tie.EVENT, holds.events),
    )
    clauses: list[ColumnElement[bool]] = []
    for kind, targets in wanted:
        if not targets:
            continue
        for expression in graph.values(table, kind):
            value = func.lower(expression) if kind is Tie.EMAIL else expression
            clauses.append(value.in_(sorted(targets)).is_(True))
    return or_(*clauses) if clauses else false()


@runs_in(SECURITY_AUDIT)
def listing(db: Session, *, include_released: bool = False) -> list[LegalHold]:
    """Holds, newest first."""
    query = select(LegalHold).order_by(LegalHold.placed_at.desc(), LegalHold.id.desc())
    if not include_released:
        query = query.where(LegalHold.released_at.is_(None))
    return list(db.scalars(query))
