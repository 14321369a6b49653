"""The queue: every newsletter DKIM-signed with RFC 8058's one-click unsubscribe, which
works at once, so not even a mail queued before it leaves after it (P06)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from interpreta.datamap.activities import NEWSLETTER
from interpreta.mail import Mail
from interpreta.newsletter import dispatch
from interpreta.newsletter.models import NewsletterDelivery, NewsletterIssue, NewsletterSubscriber
from interpreta.newsletter.subscriptions import unsubscribe_token
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from tests.conftest import SmtpRelay
from tests.newsletter.conftest import Subscribing


def _queue(platform: Platform, subject: str = "December news") -> NewsletterIssue:
    with platform.transaction() as db:
        return dispatch.queue(db, subject=subject, body="What is new.", now=platform.clock.now())


def _send(platform: Platform) -> dispatch.Sent:
    return dispatch.send_queued(
        platform.sessions,
        platform.mailer,
        platform.settings,
        platform.secrets.session_key,
        now=platform.clock.now(),
    )


def _link(platform: Platform, subscriber_id: int) -> str:
    with processing(NEWSLETTER), platform.sessions() as db:
        subscriber = db.get_one(NewsletterSubscriber, subscriber_id)
        return (
            f"/newsletter/unsubscribe/{unsubscribe_token(platform.secrets.session_key, subscriber)}"
        )


def test_p06_a_queued_newsletter_never_leaves_after_a_one_click_unsubscribe(
    platform: Platform, smtp_relay: SmtpRelay, subscribe: Subscribing, app_client: TestClient
) -> None:
    ann, ben, cleo = (subscribe(f"{n}@example.org") for n in ("ann", "ben", "cleo"))
    confirmations = len(smtp_relay.received)
    issue = _queue(platform)
    assert issue.recipients == 3

    # RFC 8058: the mailbox provider posts this body to the link, with no cookie or Origin
    answer = app_client.post(
        _link(platform, ben),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    run = _send(platform)

    assert (run.sent, run.failed, run.left) == (2, 0, 0)
    letters = smtp_relay.messages()[confirmations:]
    assert sorted(str(m["To"]) for m in letters) == ["ann@example.org", "cleo@example.org"]
    for raw, letter in zip(smtp_relay.received[confirmations:], letters, strict=True):
        assert smtp_relay.signed_by(platform.settings, raw)
        assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(letter["List-Unsubscribe"]).strip().strip("<>")
        assert link.startswith(platform.settings.base_url) and link in letter.get_content()
        signature = re.sub(r"\s+", "", str(letter["DKIM-Signature"]))
        covered = signature.split("h=")[1].split(";")[0].split(":")
        assert {"list-unsubscribe", "list-unsubscribe-post"} <= set(covered)

    # the link in a received newsletter unsubscribes its reader at once
    cleo_link = str(letters[1]["List-Unsubscribe"]).strip().strip("<>")
    path = cleo_link.removeprefix(platform.settings.base_url.rstrip("/"))
    assert app_client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    _queue(platform, "January news")
    _send(platform)
    later = smtp_relay.messages()[confirmations + 2 :]
    assert [str(m["To"]) for m in later] == ["ann@example.org"]
    with platform.sessions() as db:
        assert db.scalars(select(NewsletterSubscriber.id)).all() == [ann]
    assert cleo not in (ann, ben)


class Failing:
    """A relay that refuses everything."""

    def __init__(self) -> None:
        self.tried = 0

    def send(self, mail: Mail) -> None:
        """Refuse `mail`."""
        self.tried += 1
        raise ConnectionRefusedError("relay down")

    def forget(self, addresses: set[str]) -> int:
        """Nothing is kept."""
        return 0


def test_a_mail_that_fails_is_tried_again_then_given_up(
    platform: Platform, subscribe: Subscribing
) -> None:
    subscribe("dan@example.org")
    _queue(platform)
    platform.mailer = Failing()
    for attempt in range(1, dispatch.MAX_ATTEMPTS + 1):
        run = _send(platform)
        assert run.failed == 1
        with platform.sessions() as db:
            left = db.scalar(select(func.count()).select_from(NewsletterDelivery))
        assert left == (0 if attempt == dispatch.MAX_ATTEMPTS else 1)
    assert platform.mailer.tried == dispatch.MAX_ATTEMPTS
