"""The record of every answer to the cookie banner.

Each answer is a row: which browser (a random key kept in the consent cookie), the
account when someone was signed in, the banner's version, what was allowed, and whether
it withdrew an earlier consent. Kept three years as proof (Art. 7(1) GDPR: the
controller must be able to show consent was given), then deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime

CONSENT_RECORD = Personal(
    category=Category.COOKIES,
    subject=Subject.VISITOR,
    purposes=(Purpose.LEGAL_COMPLIANCE,),
    basis=LegalBasis.LEGAL_OBLIGATION,
    retention=rules.CONSENT_RECORDS,
    scope=Scope.CONTROLLER,
)


class CookieConsent(Base):
    """One answer to the cookie banner."""

    __tablename__ = "cookie_consents"
    __anchors__ = Anchors({rules.Anchor.CREATION: lambda: CookieConsent.decided_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    visitor_key: Mapped[str] = mapped_column(
        String(32),
        index=True,
        info=personal(CONSENT_RECORD, "random key of the browser the answer was given in"),
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        info=personal(
            CONSENT_RECORD, "account signed in when the answer was given", tie=Tie.ACCOUNT
        ),
    )
    banner_version: Mapped[str] = mapped_column(
        String(16), info=personal(CONSENT_RECORD, "version of the banner answered")
    )
    preferences: Mapped[bool] = mapped_column(
        Boolean, info=personal(CONSENT_RECORD, "whether preference storage was allowed")
    )
    withdrawal: Mapped[bool] = mapped_column(
        Boolean, info=personal(CONSENT_RECORD, "whether the answer withdrew an earlier consent")
    )
    decided_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(CONSENT_RECORD, "when the banner was answered")
    )
