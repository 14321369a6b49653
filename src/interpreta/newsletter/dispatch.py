"""Queueing an issue for every subscriber, and sending the queue.

Queueing writes one row per subscriber; sending takes each row in its own
transaction: it claims the row (an UPDATE, which waits for an unsubscribe touching the
same subscriber and finds nothing once one committed), sends the mail, and deletes the
row with the commit. An unsubscribe deletes the subscriber's rows, so a mail queued
before it never leaves after it (P06). A mail that fails is tried again on the next run,
at most :data:`MAX_ATTEMPTS` times; a crash between sending and committing sends that
one mail again (at least once, never lost).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from interpreta.config import Settings
from interpreta.datamap.activities import NEWSLETTER
from interpreta.i18n import locales
from interpreta.i18n.catalogues import gettext
from interpreta.mail import Mail, Mailer
from interpreta.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterSubscriber
from interpreta.newsletter.subscriptions import unsubscribe_url
from interpreta.privacy.processing import processing, runs_in

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""How often a mail is tried before it is given up (and logged)."""


@dataclass(frozen=True)
class Sent:
    """What one run of the queue did."""

    sent: int
    failed: int
    left: int


@runs_in(NEWSLETTER)
def queue(db: Session, *, subject: str, body: str, now: datetime) -> NewsletterIssue:
    """Queue an issue for everyone subscribed now; returns it with its recipient count."""
    issue = NewsletterIssue(subject=subject, body=body, queued_at=now)
    db.add(issue)
    db.flush()
    # read first: the processing engine leaves out anyone who withdrew consent or is
    # restricted from a SELECT (an INSERT ... FROM SELECT would not be filtered)
    subscribers = db.scalars(select(NewsletterSubscriber.id).order_by(NewsletterSubscriber.id))
    rows = [{"issue_id": issue.id, "subscriber_id": s, "attempts": 0} for s in subscribers]
    if rows:
        db.execute(insert(NewsletterDelivery), rows)
    issue.recipients = len(rows)
    return issue


def compose(
    settings: Settings, key: bytes, issue: NewsletterIssue, subscriber: NewsletterSubscriber
) -> Mail:
    """`issue` as mailed to `subscriber`, in their language, with RFC 8058's headers."""
    link = unsubscribe_url(settings, key, subscriber)
    domain = settings.smtp_from.rpartition("@")[2] or "interpreta.example"
    with locales.speaking(subscriber.language):
        footer = gettext(
            "You receive this because you subscribed to our newsletter. "
            "To unsubscribe at once, open: %(link)s",
            link=link,
        )
    return Mail(
        to=subscriber.email,
        subject=issue.subject,
        body=f"{issue.body}\n\n-- \n{footer}\n",
        activity=NEWSLETTER.key,
        headers=(
            ("List-Id", f"Interpreta newsletter <newsletter.{domain}>"),
            ("List-Unsubscribe", f"<{link}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )


def send_queued(
    sessions: sessionmaker[Session],
    mailer: Mailer,
    settings: Settings,
    key: bytes,
    *,
    now: datetime,
    limit: int = 500,
) -> Sent:
    """Send up to `limit` queued mails, each in its own transaction (see the module)."""
    with processing(NEWSLETTER), sessions() as db:
        pending = db.scalars(
            select(NewsletterDelivery.id)
            .order_by(NewsletterDelivery.attempts, NewsletterDelivery.id)
            .limit(limit)
        ).all()
    sent = failed = 0
    for delivery_id in pending:
        try:
            if _send_one(sessions, mailer, settings, key, delivery_id, now):
                sent += 1
        except Exception:
            failed += 1
            log.exception("newsletter mail %d not sent; it will be tried again", delivery_id)
            _count_failure(sessions, delivery_id)
    with processing(NEWSLETTER), sessions() as db:
        left = db.scalar(select(func.count()).select_from(NewsletterDelivery)) or 0
    return Sent(sent, failed, left)


def _send_one(
    sessions: sessionmaker[Session],
    mailer: Mailer,
    settings: Settings,
    key: bytes,
    delivery_id: int,
    now: datetime,
) -> bool:
    with processing(NEWSLETTER), sessions.begin() as db:
        claimed = db.execute(
            update(NewsletterDelivery)
            .where(NewsletterDelivery.id == delivery_id)
            .values(tried_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False  # unsubscribed, or sent by another node meanwhile
        row = db.execute(
            select(NewsletterIssue, NewsletterSubscriber)
            .join(NewsletterDelivery, NewsletterDelivery.issue_id == NewsletterIssue.id)
            .join(
                NewsletterSubscriber,
                NewsletterSubscriber.id == NewsletterDelivery.subscriber_id,
            )
            .where(NewsletterDelivery.id == delivery_id)
        ).one_or_none()
        if row is None:
            return False
        mailer.send(compose(settings, key, row[0], row[1]))
        db.execute(delete(NewsletterDelivery).where(NewsletterDelivery.id == delivery_id))
    return True


def _count_failure(sessions: sessionmaker[Session], delivery_id: int) -> None:
    with processing(NEWSLETTER), sessions.begin() as db:
        delivery = db.get(NewsletterDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        if delivery.attempts >= MAX_ATTEMPTS:
            log.error("newsletter mail %d given up after %d attempts", delivery_id, MAX_ATTEMPTS)
            db.delete(delivery)
