"""In the browser: a visitor registers for an event that needs registration, receives
the invitation by real SMTP (DKIM-signed, with the .ics and the personal link), joins
through that link (the bare event code is refused), and answers the survey afterwards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from icalendar import Calendar

from interpreta.platform import Platform
from interpreta.registration.letters import Post
from interpreta.registration.schedule import send_due
from tests.conftest import Account, SmtpRelay
from tests.web.conftest import browser_context

pytestmark = pytest.mark.browser


def _invitation(relay: SmtpRelay, platform: Platform, to: str) -> tuple[str, Calendar]:
    """The last message to `to`: checked for its signature; its body and invitation."""
    for raw, message in reversed(list(zip(relay.received, relay.messages(), strict=True))):
        if str(message["To"]) != to:
            continue
        assert relay.signed_by(platform.settings, raw)
        body = message.get_body(("plain",))
        assert body is not None
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                assert part.get_param("method") == "REQUEST"
                return body.get_content(), Calendar.from_ical(part.get_content())
    raise AssertionError(f"no invitation reached {to}")


def test_register_receive_the_invitation_join_by_the_personal_link_answer_the_survey(
    platform: Platform,
    sign_up: Any,
    media_server: str,
    audio_browser: Any,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    owner: Account = sign_up("olivia")
    event = owner.create_event("Open day", ["de"])
    base = f"/api/events/{event['id']}"
    question = {"kind": "choice", "label": "Lunch?", "options": ["Meat", "Vegetarian"]}
    owner.client.put(f"{base}/registration", json={"mode": "automatic", "questions": [question]})
    owner.client.put(f"{base}/survey", json={"questions": [{"kind": "rating", "label": "Stars?"}]})
    relay: SmtpRelay = request.getfixturevalue("smtp_relay")
    page = browser_context(audio_browser(), media_server, None).new_page()

    # the bare event code says to register, and joining with it is refused
    page.goto(f"/join/{event['code']}")
    expect(page.locator("#registration-needed")).to_be_visible()
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_text("needs registration").first).to_be_visible()

    page.get_by_role("link", name="register here").click()
    page.get_by_label("First name").fill("Rita")
    page.get_by_label("Last name").fill("Registrant")
    page.get_by_label("Email address").fill("rita@example.org")
    page.get_by_label("Vegetarian").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("We mailed you")

    body, invitation = _invitation(relay, platform, "rita@example.org")
    vevent = invitation.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Open day"
    join_link = re.search(r"https?://\S+/join/\S+\?ticket=\S+", body)
    assert join_link is not None and join_link.group(0) == str(vevent["URL"])
    path = join_link.group(0).split("/", 3)[3]

    page.goto(f"/{path}")
    expect(page.locator("#registration-needed")).to_have_count(0)
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#meeting")).to_have_attribute("data-ready", "true")

    # the event ends; the schedule mails the survey link
    assert owner.client.patch(base, json={"status": "ended"}).status_code == 200
    post = Post(platform.settings, platform.secrets.session_key, platform.clock.now())
    assert send_due(platform.sessions, platform.mailer, post).surveys == 1
    survey = relay.messages()[-1].get_body(("plain",))
    assert survey is not None
    link = re.search(r"https?://\S+(/survey\?token=\S+)", survey.get_content())
    assert link is not None
    page.goto(link.group(1))
    page.get_by_label("4").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("status")).to_contain_text("your answers are recorded")
