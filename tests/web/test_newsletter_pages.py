"""The newsletter's pages work without JavaScript, ask before acting on a mailed link,
and refuse bad input with nothing stored or mailed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from interpreta.newsletter import consent
from interpreta.newsletter.models import NewsletterRequest, NewsletterSubscriber
from interpreta.platform import Platform
from tests.conftest import RecordingMailer

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _counts(platform: Platform) -> tuple[int, int]:
    with platform.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(NewsletterRequest)) or 0,
            db.scalar(select(func.count()).select_from(NewsletterSubscriber)) or 0,
        )


def _form(**changes: str) -> dict[str, str]:
    return {
        "email": "lea@example.org",
        "agree": "yes",
        "consent_version": consent.CURRENT,
    } | changes


def test_p06_subscribing_through_the_pages_with_double_opt_in(
    platform: Platform, outbox: RecordingMailer, app_client: TestClient
) -> None:
    page = app_client.get("/newsletter")
    assert page.status_code == 200
    assert consent.TEXTS[consent.CURRENT] in page.text and consent.CURRENT in page.text
    sent = app_client.post("/newsletter", data=_form(), headers={"User-Agent": FIREFOX})
    assert sent.status_code == 200 and "we mailed you a link" in sent.text
    token = outbox.token("lea@example.org", "/newsletter/confirm")
    asked = app_client.get(f"/newsletter/confirm?token={token}")
    assert asked.status_code == 200 and _counts(platform) == (1, 0)  # a GET changes nothing
    done = app_client.post(
        "/newsletter/confirm", data={"token": token}, headers={"User-Agent": FIREFOX}
    )
    assert done.status_code == 200 and "lea@example.org is subscribed" in done.text
    assert _counts(platform) == (0, 1)
    with platform.sessions() as db:
        subscriber = db.scalars(select(NewsletterSubscriber)).one()
    assert (subscriber.browser, subscriber.device_type) == ("Firefox 133", "desktop")
    assert subscriber.requested_from == subscriber.confirmed_from == "testclient"
    again = app_client.post("/newsletter/confirm", data={"token": token})
    assert again.status_code == 410 and "used or has expired" in again.text


def test_bad_input_is_refused_with_nothing_stored_or_mailed(
    platform: Platform, outbox: RecordingMailer, app_client: TestClient
) -> None:
    for bad, says in (
        (_form(agree=""), "Tick the box"),
        (_form(email="not-an-address"), "Enter your email address"),
        (_form(email=""), "Enter your email address"),
        (_form(consent_version="1999-01"), "has changed"),
    ):
        answer = app_client.post("/newsletter", data=bad)
        assert answer.status_code in (409, 422) and says in answer.text, bad
    assert outbox.sent == [] and _counts(platform) == (0, 0)
    assert app_client.post("/newsletter/confirm", data={"token": "x" * 500}).status_code == 410


def test_the_unsubscribe_link_asks_first_and_says_the_same_for_any_link(
    platform: Platform, app_client: TestClient
) -> None:
    page = app_client.get("/newsletter/unsubscribe/12.abc")
    assert page.status_code == 200 and 'value="One-Click"' in page.text
    for token in ("12.abc", "nonsense", "9" * 40):
        answer = app_client.post(f"/newsletter/unsubscribe/{token}")
        assert answer.status_code == 200 and "You are unsubscribed" in answer.text
