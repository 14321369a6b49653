"""Processing marks: restrictions (Art. 18) and objections (Art. 21, 22) in force.

A mark names the person by user ID and/or the digest of an email address, so a
suppression survives without keeping the address. The processing engine
(:mod:`interpreta.privacy.processing`) reads them when an activity starts for a
person, and leaves marked people out of the activities they stop; the rights
engine places and lifts them (:mod:`interpreta.privacy.rights.restrict`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.activities import ACTIVITIES, Activity
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type

MARK_RECORD = Personal(
    category=Category.COMMUNICATIONS,
    subject=Subject.CUSTOMER_USER,
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.PROCESSING_MARKS,
    scope=Scope.CONTROLLER,
)
"""A restriction or objection is kept while in force (P31, P32), then its rule runs."""


class MarkKind(StrEnum):
    """Marks checked on every processing path of a person's data."""

    RESTRICTION = "restriction"
    OBJECTION = "objection"
    MARKETING_OBJECTION = "marketing_objection"
    AUTOMATED_OPT_OUT = "automated_opt_out"
    CONSENT_WITHDRAWN = "consent_withdrawn"


class ProcessingMark(Base):
    """A restriction (Art. 18) or objection (Art. 21, 22) in force for one person."""

    __tablename__ = "processing_marks"
    __anchors__ = Anchors({rules.Anchor.MARK_LIFTED: lambda: ProcessingMark.lifted_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    kind: Mapped[MarkKind] = mapped_column(
        enum_type(MarkKind, 24), info=personal(MARK_RECORD, "restriction or objection")
    )
    user_id: Mapped[int | None] = mapped_column(
        Integer,
        index=True,
        info=personal(
            MARK_RECORD,
            "user ID of a restricted or objecting person",
            category=Category.IDENTIFIERS,
            tie=Tie.ACCOUNT,
        ),
    )
    email_digest: Mapped[str | None] = mapped_column(
        String(64),
        index=True,
        info=personal(
            MARK_RECORD,
            "SHA-256 of a restricted or objecting person's email address",
            category=Category.IDENTIFIERS,
            tie=Tie.EMAIL_DIGEST,
        ),
    )
    purposes: Mapped[str] = mapped_column(
        String(400), default="", info=personal(MARK_RECORD, "purposes objected to")
    )
    reason: Mapped[str] = mapped_column(
        Text,
        default="",
        info=personal(MARK_RECORD, "grounds given by the person", free_text=True),
    )
    overriding_grounds: Mapped[str | None] = mapped_column(
        Text,
        info=personal(MARK_RECORD, "compelling grounds recorded by the operator", free_text=True),
    )
    request_id: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("the request that placed a mark")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(MARK_RECORD, "when a mark was placed")
    )
    lifted_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(MARK_RECORD, "when a mark was lifted")
    )


AUTOMATED_ASSESSMENT = Purpose.AUTOMATED_ASSESSMENT.value
"""Engagement estimates (P33, P37): what an opt-out of automated assessment stops."""

LEGITIMATE_INTERESTS: tuple[Activity, ...] = tuple(
    activity
    for activity in ACTIVITIES
    if activity.objectionable and activity.basis is LegalBasis.LEGITIMATE_INTEREST
)
"""The activities based on legitimate interests: what an objection without named
purposes stops (Art. 21(1)), read from the activities so a new one is covered."""


def named_purposes(mark: ProcessingMark) -> set[str]:
    """The purposes a mark names (empty: every purpose its kind concerns)."""
    return {p for p in mark.purposes.split(",") if p} if mark.purposes else set()


def stops(mark: ProcessingMark, activity: Activity) -> bool:
    """Whether `mark`, in force, stops `activity` for the person it names.

    A restriction stops everything but storage and legal duties (Art. 18(2)); an
    objection stops legitimate-interest and marketing activities for the purposes it
    names, or every legitimate-interest activity when it names none, unless overriding
    grounds are recorded (Art. 21(1)), which never bring marketing back (Art. 21(3)); a
    marketing objection
    stops marketing, always (Art. 21(3)); withdrawn consent stops the consent-based
    activities for its purposes (Art. 7(3)).
    """
    if mark.lifted_at is not None:
        return False
    purposes = {p.value for p in activity.purposes}
    if mark.kind is MarkKind.RESTRICTION:
        return activity.restrictable
    if mark.kind is MarkKind.CONSENT_WITHDRAWN:
        named = named_purposes(mark)
        return activity.basis is LegalBasis.CONSENT and (not named or bool(named & purposes))
    if not activity.objectionable:
        return False
    if mark.kind is MarkKind.MARKETING_OBJECTION:
        return Purpose.MARKETING.value in purposes
    if mark.kind is MarkKind.AUTOMATED_OPT_OUT:
        return AUTOMATED_ASSESSMENT in purposes
    named = named_purposes(mark)
    objected = bool(named & purposes) if named else activity.basis is LegalBasis.LEGITIMATE_INTEREST
    # No grounds override an objection to direct marketing (Art. 21(3)).
    return objected and (not mark.overriding_grounds or Purpose.MARKETING.value in purposes)
