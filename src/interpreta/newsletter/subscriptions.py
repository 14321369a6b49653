"""Subscribing with double opt-in, and unsubscribing at once (P06).

Asking to subscribe stores a request and mails a link; following it (a press on the
page it opens, so a mail scanner fetching the link subscribes no one) turns the request
into a subscription that records the consent: the text as shown, its version, and the
IP address, browser and device type it was given from. Every newsletter carries a link
signed for its subscriber; posting to it (RFC 8058's one-click, or the page's button)
deletes the subscription and every mail still queued for it, in one transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from interpreta import signed_tokens
from interpreta.config import Settings
from interpreta.datamap import retention_rules as rules
from interpreta.datamap.activities import NEWSLETTER
from interpreta.errors import Problem
from interpreta.i18n import locales
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Mail, Mailer, deliverable
from interpreta.newsletter import consent
from interpreta.newsletter.models import (
    NewsletterDelivery,
    NewsletterRequest,
    NewsletterSubscriber,
)
from interpreta.privacy.processing import runs_in

CONFIRM_PAGE = "/newsletter/confirm"
"""The page a confirmation link opens."""
UNSUBSCRIBE_PAGE = "/newsletter/unsubscribe"
"""Where every newsletter's unsubscribe link points (``/{token}``)."""
REQUEST_LIFETIME = timedelta(days=rules.NEWSLETTER_REQUESTS.period.amount)
"""How long a confirmation link works: as long as its request is kept."""


@dataclass(frozen=True)
class Origin:
    """Where a consent step came from: what the data map lets us record of it."""

    address: str | None
    browser: str | None = None
    device_type: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _gone() -> Problem:
    return Problem(
        410, gettext("Link no longer valid"), gettext("This link was used or has expired.")
    )


@runs_in(NEWSLETTER)
def ask(
    db: Session,
    mailer: Mailer,
    settings: Settings,
    *,
    email: str,
    consent_version: str,
    origin: Origin,
    now: datetime,
) -> None:
    """Record a request to subscribe `email` and mail it a confirmation link, in the
    current language. Someone subscribed already gets no second mail; an earlier
    request for the address is replaced (only the latest link works). The answer is
    the same either way, so the form tells nobody who subscribes."""
    if consent_version != consent.CURRENT:
        raise Problem(
            409,
            gettext("Consent text changed"),
            gettext(
                "The text you agreed to has changed. Reload the page, read it and agree again."
            ),
        )
    address = deliverable(email)
    if address is None:
        raise Problem(422, gettext("Invalid input"), gettext("Enter a valid email address."))
    subscribed = db.scalar(
        select(NewsletterSubscriber.id).where(NewsletterSubscriber.email == address)
    )
    if subscribed is not None:
        return
    db.execute(delete(NewsletterRequest).where(NewsletterRequest.email == address))
    token = secrets.token_urlsafe(32)
    db.add(
        NewsletterRequest(
            email=address,
            language=locales.current(),
            consent_version=consent_version,
            token_digest=_digest(token),
            requested_at=now,
            requested_from=origin.address,
        )
    )
    db.flush()
    link = f"{settings.base_url.rstrip('/')}{CONFIRM_PAGE}?token={token}"
    mailer.send(
        Mail(
            to=address,
            subject=gettext("Confirm your newsletter subscription"),
            body=gettext("Hello,")
            + "\n\n"
            + gettext("you asked to receive our newsletter. You agreed to this text:")
            + "\n\n"
            + consent.text(consent_version)
            + "\n\n"
            + gettext("To subscribe, open this link within %(days)s days:", days=7)
            + f"\n{link}\n\n"
            + gettext("If you did not ask for this, ignore this message; nothing will change."),
            activity=NEWSLETTER.key,
        )
    )


@runs_in(NEWSLETTER)
def confirm(db: Session, token: str, *, origin: Origin, now: datetime) -> NewsletterSubscriber:
    """Turn the request `token` confirms into a subscription (the same one again if it
    was confirmed already); 410 for an unknown or expired link."""
    request = db.scalar(
        select(NewsletterRequest).where(NewsletterRequest.token_digest == _digest(token))
    )
    if request is None or request.requested_at + REQUEST_LIFETIME <= now:
        raise _gone()
    gone = db.execute(
        delete(NewsletterRequest)
        .where(NewsletterRequest.id == request.id)
        .execution_options(synchronize_session=False)
    )
    existing = db.scalar(
        select(NewsletterSubscriber).where(NewsletterSubscriber.email == request.email)
    )
    if existing is not None:
        return existing
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        raise _gone()  # confirmed at the same moment by another click
    with locales.speaking(request.language):
        agreed = consent.text(request.consent_version)
    subscriber = NewsletterSubscriber(
        email=request.email,
        language=request.language,
        consent_version=request.consent_version,
        consent_text=agreed,
        requested_at=request.requested_at,
        requested_from=request.requested_from,
        confirmed_at=now,
        confirmed_from=origin.address,
        browser=origin.browser,
        device_type=origin.device_type,
        unsubscribe_nonce=signed_tokens.new_nonce(),
    )
    db.add(subscriber)
    db.flush()
    return subscriber


UNSUBSCRIBE = "newsletter-unsubscribe"
"""The purpose unsubscribe links are signed for."""


def unsubscribe_token(key: bytes, subscriber: NewsletterSubscriber) -> str:
    """The token of `subscriber`'s unsubscribe link: their row and a signature of it, so
    the database keeps no link that works."""
    return signed_tokens.sign(key, UNSUBSCRIBE, subscriber.id, subscriber.unsubscribe_nonce)


def unsubscribe_url(settings: Settings, key: bytes, subscriber: NewsletterSubscriber) -> str:
    """The one-click unsubscribe link of `subscriber` (RFC 8058)."""
    base = settings.base_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PAGE}/{unsubscribe_token(key, subscriber)}"


@runs_in(NEWSLETTER)
def unsubscribe(db: Session, key: bytes, token: str) -> bool:
    """End the subscription `token` signs: delete it and every mail still queued for it
    (so none of them leaves). False when there is none (already unsubscribed, or a
    token that was never valid): unsubscribing twice is not an error."""
    row = signed_tokens.row_of(token)
    subscriber = None if row is None else db.get(NewsletterSubscriber, row, with_for_update=True)
    if subscriber is None:
        return False
    if not signed_tokens.verify(key, UNSUBSCRIBE, token, subscriber.unsubscribe_nonce):
        return False
    db.execute(delete(NewsletterDelivery).where(NewsletterDelivery.subscriber_id == subscriber.id))
    db.delete(subscriber)
    db.flush()
    return True
