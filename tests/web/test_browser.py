"""A real browser through the pages: an organiser creates an event, a listener joins it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, signed_up_with_an_event

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


FULL_PAGE_SHOT_LIMIT = 16_384
"""The tallest page (CSS pixels) screenshot whole: Chromium's largest texture."""


class PageChecks:
    """Watches a page for script errors; checks width and takes screenshots."""

    def __init__(self, page: Any, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )

    def fits(self, name: str, *, status: int = 200) -> None:
        """No horizontal scrolling at this width, no script errors; keep a screenshot.

        A page served with an error `status` (a 404 page) logs its own status; that is
        the only console error allowed.
        """
        page = self.page
        page.wait_for_load_state("load")
        width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{name} scrolls sideways: {width}"
        expected = f"status of {status}" if status >= 400 else None
        errors = [e for e in self.errors if not (expected and expected in e)]
        self.errors.clear()
        assert not errors, f"{name}: {errors}"
        # a full-page shot of a very long page (the privacy notice is about 88,000 px
        # tall on a phone) takes Chromium longer than the timeout: keep its first screens
        height = page.evaluate("document.scrollingElement.scrollHeight")
        full = height <= FULL_PAGE_SHOT_LIMIT
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full)


def test_organiser_creates_an_event_and_a_listener_joins_it(
    live_server: str, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=5000)

    # The organiser, on a phone.
    organiser = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = organiser.new_page()
    checks = PageChecks(page, screenshots)

    page.goto("/signup")
    checks.fits("signup")
    page.get_by_label("Your name").fill("Ann Organiser")
    page.get_by_label("Email address").fill("ann@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_label("Organisation").fill("Ann Events")
    # The browser's own check stops a short password before it reaches the server.
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(page.get_by_role("heading", name="Ann Events")).to_be_visible()
    checks.fits("events-empty")

    page.get_by_role("link", name="New event for Ann Events").click()
    expect(page).to_have_url(re.compile(r"/events/new\?organisation=\d+$"))
    page.get_by_label("Title").fill("Climate Summit")
    page.get_by_label("Description").fill("Plenary and workshops.")
    page.get_by_label("Starts").fill("2026-12-01T09:00")
    page.get_by_label("Ends").fill("2026-12-01T17:30")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    language = page.get_by_label("Language", exact=True)
    for code in ("de", "French"):  # a tag, or a name from the list
        language.fill(code)
        page.get_by_role("button", name="Add language").click()
    languages = page.locator("#language-list")
    expect(languages).to_contain_text("Deutsch (German)")
    expect(languages).to_contain_text("Français (French)")
    checks.fits("event-new")
    page.get_by_role("button", name="Create event").click()

    expect(page).to_have_url(re.compile(r"/events/\d+\?created=1$"))
    code = page.locator("#event-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{6,8}", code)
    expect(page.get_by_role("link", name=f"/join/{code}")).to_be_visible()
    event_id = int(re.search(r"/events/(\d+)", page.url).group(1))  # type: ignore[union-attr]

    # 09:00 and 17:30 in Berlin (CET, +01:00), whatever the browser's own zone.
    event = page.request.get(f"/api/events/{event_id}").json()
    assert datetime.fromisoformat(event["starts_at"]) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert datetime.fromisoformat(event["ends_at"]) == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert event["timezone"] == "Europe/Berlin"

    # Assign the organiser to the German booth.
    page.get_by_label("Add an interpreter to Deutsch (German), Main").select_option(
        label="Ann Organiser (ann@example.org)"
    )
    page.get_by_role("button", name="Assign").first.click()
    expect(page.locator(".booth").first).to_contain_text("Ann Organiser")
    checks.fits("event-editor")

    # Change the end time: saved with PATCH, the summary follows.
    page.get_by_label("Ends").fill("2026-12-01T18:00")
    page.get_by_role("button", name="Save details").click()
    expect(page.locator("#event-schedule")).to_have_text(
        "Tuesday 1 December 2026, 09:00\u201318:00 CET"
    )

    page.goto("/events")
    expect(page.get_by_role("link", name="Climate Summit")).to_be_visible()
    checks.fits("events")

    # A listener, on a phone, without an account.
    listener = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    phone = listener.new_page()
    phone_checks = PageChecks(phone, screenshots)
    phone.goto("/")
    phone_checks.fits("home")
    phone.get_by_role("textbox", name="Event code").fill(code.lower())
    phone.get_by_role("button", name="Join").click()
    expect(phone).to_have_url(re.compile(rf"/join/{code}$"))
    expect(phone.get_by_role("heading", name="Climate Summit")).to_be_visible()
    channels = phone.locator(".channel-list")
    expect(channels).to_contain_text("Floor")
    expect(channels).to_contain_text("Deutsch (German)")
    expect(channels).to_contain_text("Français (French)")
    expect(phone.locator("#player")).to_contain_text("Audio starts when the event is live")
    phone_checks.fits("join")

    phone.goto("/join/ZZZZZZZ")
    phone_checks.fits("join-unknown", status=404)
    for name, path in (("login", "/login"), ("privacy", "/privacy")):
        phone.goto(path)
        phone_checks.fits(name)

    listener.close()
    organiser.close()


def test_sign_in_shows_the_problem_next_to_the_form(
    live_server: str, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The email address or password is wrong.")
    PageChecks(page, screenshots).fits("login-error")
    context.close()


def test_editor_changes_are_saved_at_once(live_server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    event = signed_up_with_an_event(page, "Ann", "Summit")
    page.goto(f"/events/{event['id']}")

    page.get_by_label("Topic name").fill("Workshop")
    page.get_by_role("button", name="Add topic").click()
    expect(page.locator("#topic-list")).to_contain_text("Workshop")
    expect(page.locator(".booth-topic")).to_have_count(2)

    page.get_by_role("button", name="Remove Français (French)").click()
    expect(page.locator("#language-list")).not_to_contain_text("Français")
    expect(page.locator(".booth")).to_have_count(2)  # German, in both topics

    page.get_by_label("Add an interpreter to Deutsch (German), Workshop").select_option(
        label="Ann (ann@example.org)"
    )
    page.locator(".booth-topic").nth(1).get_by_role("button", name="Assign").click()
    unassign = page.get_by_role("button", name="Unassign Ann from Deutsch (German), Workshop")
    unassign.click()
    expect(unassign).to_have_count(0)

    page.get_by_role("button", name="Remove topic Workshop").click()
    expect(page.locator(".booth-topic")).to_have_count(1)

    saved = page.request.get(f"/api/events/{event['id']}").json()
    assert [t["name"] for t in saved["topics"]] == ["Main"]
    assert [lang["code"] for lang in saved["languages"]] == ["de"]

    page.get_by_role("button", name="Delete event").click()
    expect(page).to_have_url(re.compile(r"/events$"))
    expect(page.get_by_text("No events yet.")).to_be_visible()
    context.close()


def test_the_editor_writes_the_saved_schedule_in_the_page_language(
    live_server: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    event = signed_up_with_an_event(page, "Ann", "Gipfel")
    page.goto(f"/events/{event['id']}?lang=de")
    page.locator("#event-details-ends_at").fill("2026-12-01T18:00")  # in the event's zone, UTC
    page.locator("#event-details button[type=submit]").click()
    # as the server writes it on a German page: the full date in German, times as ever
    expect(page.locator("#event-schedule")).to_have_text(
        "Dienstag, 1. Dezember 2026, 09:00\u201318:00 UTC"
    )
    page.reload()
    expect(page.locator("#event-schedule")).to_have_text(
        "Dienstag, 1. Dezember 2026, 09:00\u201318:00 UTC"
    )
    context.close()


def test_the_organiser_prints_a_poster_whose_qr_code_opens_the_listener_page(
    live_server: str, browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    checks = PageChecks(page, screenshots)
    event = signed_up_with_an_event(page, "Pia", "Harbour Forum")
    page.goto(f"/events/{event['id']}/live")
    qr = page.get_by_role("img", name=re.compile(r"QR code for .*join"))
    expect(qr).to_be_visible()
    checks.fits("live-view-qr")

    page.get_by_role("link", name="Print a poster").click()
    expect(page.get_by_role("heading", name="Harbour Forum")).to_be_visible()
    poster_qr = page.locator("#poster-qr svg")
    expect(poster_qr).to_be_visible()
    box = poster_qr.bounding_box()
    assert box is not None and box["width"] >= 250  # scannable across a room
    expect(page.locator("#poster-code")).to_have_text(event["code"])
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    checks.fits("poster")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()  # not on the paper
    page.emulate_media(media="screen")

    # what the code holds is the listener page, which plays the event
    target = page.locator("#poster-qr title").text_content() or ""
    target = target.removeprefix("QR code for ")
    assert target.endswith(f"/join/{event['code']}")
    page.goto(target)
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    context.close()
