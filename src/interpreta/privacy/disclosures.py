"""The register of disclosures made without the person's consent (promise P20).

Personal data goes to a third party without consent only on one of three grounds: the
law obliges us (a court order, an authority's lawful request), to investigate fraud or
abuse, or to enforce our terms. Each disclosure is recorded: to whom, on which ground
and under which reference, what was disclosed and about whom. The record is in the
person's access report, unless the law forbids telling them yet (a confidentiality
order): then the DPO records why, and the rights engine leaves it out of every answer
until the DPO releases it (the record keeps the order that held it back). Records go
three years after they are made, or after their release; never while withheld.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    Text,
    and_,
    case,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.activities import DISCLOSURES
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie, normalise_email
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.errors import conflict, filled, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in

DISCLOSURE_RECORD = Personal(
    category=Category.SECURITY,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.DISCLOSURES,
    scope=Scope.CONTROLLER,
)


class Ground(StrEnum):
    """Why data may go to a third party without the person's consent (P20)."""

    LAW = "law"
    """A legal obligation: a court order or an authority's lawful request."""
    FRAUD = "fraud"
    """Investigating fraud or abuse of the service."""
    TERMS = "terms"
    """Enforcing our terms of service."""


class Disclosure(Base):
    """One disclosure of one person's data without their consent."""

    __tablename__ = "disclosures"
    __anchors__ = Anchors({rules.Anchor.CREATION: lambda: _clock()})
    __withheld__ = staticmethod(lambda: _withheld())

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    subject_email: Mapped[str] = mapped_column(
        String(320),
        index=True,
        info=personal(DISCLOSURE_RECORD, "address of the person disclosed about", tie=Tie.EMAIL),
    )
    recipient: Mapped[str] = mapped_column(
        String(200), info=personal(DISCLOSURE_RECORD, "who the data was disclosed to")
    )
    ground: Mapped[Ground] = mapped_column(
        enum_type(Ground, 10), info=personal(DISCLOSURE_RECORD, "ground of a disclosure")
    )
    reference: Mapped[str] = mapped_column(
        String(300),
        info=personal(
            DISCLOSURE_RECORD, "the order, request or case a disclosure answered", free_text=True
        ),
    )
    data_disclosed: Mapped[str] = mapped_column(
        Text, info=personal(DISCLOSURE_RECORD, "what was disclosed", free_text=True)
    )
    disclosed_on: Mapped[date] = mapped_column(
        Date, info=personal(DISCLOSURE_RECORD, "when data was disclosed")
    )
    withheld_reason: Mapped[str | None] = mapped_column(
        String(300),
        info=not_personal(
            "why the person may not be told yet (the order forbidding it)", free_text=True
        ),
    )
    recorded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the disclosure was recorded")
    )
    released_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the person could be told (withholding ended)")
    )


def _withheld() -> ColumnElement[bool]:
    return and_(Disclosure.withheld_reason.is_not(None), Disclosure.released_at.is_(None))


def _clock() -> ColumnElement[datetime | None]:
    """When a record's three years start: when it was made, or, for one withheld, when
    the person could be told (never while it is withheld)."""
    return type_coerce(
        case(
            (_withheld(), None), else_=func.coalesce(Disclosure.released_at, Disclosure.recorded_at)
        ),
        UTCDateTime,
    )


@runs_in(DISCLOSURES)
def record(
    db: Session,
    *,
    subject_email: str,
    recipient: str,
    ground: Ground,
    reference: str,
    data_disclosed: str,
    disclosed_on: date,
    withheld_reason: str | None,
    now: datetime,
) -> Disclosure:
    """Record a disclosure made on `disclosed_on`.

    :raises Problem: 422 for a day in the future or an empty field.
    """
    if disclosed_on > now.date():
        raise invalid("disclosed_on", gettext("A disclosure cannot be made in the future."))
    recipient = filled("recipient", recipient)
    reference = filled("reference", reference)
    data_disclosed = filled("data_disclosed", data_disclosed)
    reason = None if withheld_reason is None else filled("withheld_reason", withheld_reason)
    disclosure = Disclosure(
        subject_email=normalise_email(subject_email),
        recipient=recipient,
        ground=ground,
        reference=reference,
        data_disclosed=data_disclosed,
        disclosed_on=disclosed_on,
        withheld_reason=reason,
        recorded_at=now,
    )
    db.add(disclosure)
    db.flush()
    return disclosure


@runs_in(DISCLOSURES)
def release(db: Session, disclosure: Disclosure, now: datetime) -> Disclosure:
    """The law no longer forbids telling the person: the disclosure joins their answers.

    :raises Problem: 409 when it was not withheld.
    """
    if disclosure.withheld_reason is None or disclosure.released_at is not None:
        raise conflict(gettext("This disclosure is not withheld."))
    disclosure.released_at = now
    return disclosure


@runs_in(DISCLOSURES)
def register(db: Session) -> list[Disclosure]:
    """Every recorded disclosure, newest first (the DPO's register)."""
    query = select(Disclosure).order_by(Disclosure.disclosed_on.desc(), Disclosure.id.desc())
    return list(db.scalars(query))
