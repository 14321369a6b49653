"""The newsletter's tables: requests waiting for their confirmation, subscribers, the
issues the operator writes, and the queue of mails not yet sent.

A subscription is the subscriber's consent (P06): it records the text they agreed to,
its version, and where it was given from (IP address, browser, device type). An
unconfirmed request is kept a week; a subscriber three years at most, and not a moment
after unsubscribing, which deletes the row and every mail still queued for it (P12).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.anchors import Anchors
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie, tied
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime

SUBSCRIPTION = Personal(
    category=Category.NEWSLETTER,
    subject=Subject.SUBSCRIBER,
    purposes=(Purpose.MARKETING,),
    basis=LegalBasis.CONSENT,
    retention=rules.NEWSLETTER,
    scope=Scope.CONTROLLER,
)
REQUEST = SUBSCRIPTION.described("", retention=rules.NEWSLETTER_REQUESTS)


class NewsletterRequest(Base):
    """Someone asked to subscribe; the mailed link has not been followed yet."""

    __tablename__ = "newsletter_requests"
    __anchors__ = Anchors({rules.Anchor.CREATION: lambda: NewsletterRequest.requested_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    email: Mapped[str] = mapped_column(
        String(320),
        index=True,
        info=personal(REQUEST, "email address asked to be subscribed", tie=Tie.EMAIL),
    )
    language: Mapped[str] = mapped_column(
        String(8), info=personal(REQUEST, "language the newsletter is asked in")
    )
    consent_version: Mapped[str] = mapped_column(
        String(32), info=personal(REQUEST, "version of the consent text shown")
    )
    token_digest: Mapped[str] = mapped_column(
        String(64), unique=True, info=not_personal("SHA-256 of the confirmation link's token")
    )
    requested_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(REQUEST, "when the subscription was asked for")
    )
    requested_from: Mapped[str | None] = mapped_column(
        String(64), info=personal(REQUEST, "IP address the subscription was asked from")
    )


class NewsletterSubscriber(Base):
    """A confirmed subscription: the consent, as given."""

    __tablename__ = "newsletter_subscribers"
    __anchors__ = Anchors({rules.Anchor.SUBSCRIPTION: lambda: NewsletterSubscriber.confirmed_at})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    email: Mapped[str] = mapped_column(
        String(320),
        unique=True,
        info=personal(
            SUBSCRIPTION,
            "subscriber's email address (proven by the confirmation)",
            tie=tied(Tie.EMAIL, proven_by="confirmed_at"),
        ),
    )
    language: Mapped[str] = mapped_column(
        String(8), info=personal(SUBSCRIPTION, "language the newsletter is sent in")
    )
    consent_version: Mapped[str] = mapped_column(
        String(32), info=personal(SUBSCRIPTION, "version of the consent text agreed to")
    )
    consent_text: Mapped[str] = mapped_column(
        Text, info=personal(SUBSCRIPTION, "the consent text agreed to, as shown")
    )
    requested_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SUBSCRIPTION, "when the subscription was asked for")
    )
    requested_from: Mapped[str | None] = mapped_column(
        String(64), info=personal(SUBSCRIPTION, "IP address the subscription was asked from")
    )
    confirmed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(SUBSCRIPTION, "when the subscription was confirmed")
    )
    confirmed_from: Mapped[str | None] = mapped_column(
        String(64), info=personal(SUBSCRIPTION, "IP address the subscription was confirmed from")
    )
    browser: Mapped[str | None] = mapped_column(
        String(64), info=personal(SUBSCRIPTION, "browser the subscription was confirmed in")
    )
    device_type: Mapped[str | None] = mapped_column(
        String(16), info=personal(SUBSCRIPTION, "device type the subscription was confirmed on")
    )
    unsubscribe_nonce: Mapped[str] = mapped_column(
        String(32), info=not_personal("random salt of the unsubscribe link's signature")
    )


class NewsletterIssue(Base):
    """One newsletter the operator wrote, for every subscriber."""

    __tablename__ = "newsletter_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    subject: Mapped[str] = mapped_column(
        String(200), info=not_personal("the operator's newsletter subject", free_text=True)
    )
    body: Mapped[str] = mapped_column(
        Text, info=not_personal("the operator's newsletter text", free_text=True)
    )
    queued_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the issue was queued for sending")
    )
    recipients: Mapped[int] = mapped_column(
        Integer, default=0, info=not_personal("how many subscribers it was queued for")
    )


class NewsletterDelivery(Base):
    """A mail of an issue still to be sent to one subscriber: the queue. Sending deletes
    the row; unsubscribing deletes it too, so nothing queued leaves afterwards (P06)."""

    __tablename__ = "newsletter_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_issues.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("which issue"),
    )
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"),
        index=True,
        info=personal(SUBSCRIPTION, "subscriber a queued mail goes to", tie=Tie.OWNER),
    )
    attempts: Mapped[int] = mapped_column(
        Integer,
        default=0,
        info=personal(SUBSCRIPTION, "failed attempts to send a subscriber's mail"),
    )
    tried_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(SUBSCRIPTION, "when sending a subscriber's mail was last tried")
    )
