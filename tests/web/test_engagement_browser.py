"""Engagement estimates in a real browser (P37, P33): the owner opens the event's page
while the organisation has them off and is told who turns them on; once on, makes them,
reads them by participant, is told what is wrong with a correction without a value,
listens to the queued estimate's evidence and confirms it with the keyboard. Ada, whom
they are about, sees them on her account page and asks a person to check one. Both pages
meet WCAG 2.1 AA (axe-core, where scripts/test installed it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from interpreta.platform import Platform
from tests.api.test_engagement import _event_with_ada_speaking
from tests.conftest import Account
from tests.web.test_accessibility import AXE, violations
from tests.web.test_live_browser import Pages, wait_until

pytestmark = pytest.mark.browser


def _cookie(account: Account) -> str:
    return str(account.client.cookies.get("interpreta_session"))


def _accessible(page: Any) -> None:
    if AXE.exists():
        assert violations(page, AXE.read_text()) == []


def test_the_owner_makes_reads_and_reviews_the_estimates(
    platform: Platform,
    sign_up: Any,
    live_server: str,
    browser: Any,
    screenshots: Path,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    owner, ada = sign_up("olga"), sign_up("ada")
    event_id, _ada = _event_with_ada_speaking(platform, owner, ada, tmp_path)
    pages = Pages(live_server, screenshots)
    page = pages.open(browser, f"/events/{event_id}/engagement", cookie=_cookie(owner))
    expect(page.locator("#estimates")).to_contain_text("No estimates yet")
    expect(page.locator("#queue")).to_contain_text("Nothing is waiting")

    make = page.get_by_role("button", name="Make the estimates")
    make.click()
    alert = page.locator("#make-estimates-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Engagement estimates are off")
    expect(alert).to_contain_text("Ask an owner of Olga Events")

    switched = owner.client.patch(
        f"/api/organisations/{owner.organisation_id}", json={"engagement_estimates": True}
    )
    assert switched.status_code == 200, switched.text
    make.click()
    expect(page.locator("#engagement-status")).to_contain_text("Estimates made: 3.")
    expect(alert).to_be_hidden()
    table = page.locator("#estimates table")
    expect(table.locator("th[scope=rowgroup]")).to_have_text(["Ada"])
    speaking = table.locator("tr", has_text="Speaking time")
    expect(speaking).to_contain_text(" s")  # a time, such as "3 s"
    expect(speaking).to_contain_text("%")  # its confidence
    expect(speaking).to_contain_text("voice detector")
    expect(table.locator("tr", has_text="Chat messages")).to_contain_text("100%")
    expect(table).to_contain_text("Waiting for a person to check it (sampled)")

    item = page.locator("#review-list > li")
    expect(item).to_have_count(1)
    audio = item.locator("audio[controls]")
    expect(audio).to_have_attribute("src", re.compile(r"^blob:"))
    wait_until(page, "document.querySelector('#review-list audio').duration > 1", timeout=10)
    page.get_by_role("button", name="Correct").click()
    value = item.get_by_label("The value you found")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_be_focused()
    expect(item.locator("[data-error-for=value]")).to_contain_text("Give the value")
    _accessible(page)
    pages.fits(page, "engagement")

    page.get_by_role("button", name="Confirm").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#engagement-status")).to_contain_text("Confirmed: Speaking")
    expect(item).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()
    expect(page.locator("#queue-heading")).to_be_focused()
    expect(table).to_contain_text("Confirmed by a person")
    assert pages.errors == []

    mine = pages.open(browser, "/account", cookie=_cookie(ada))
    rows = mine.locator("#my-engagement tbody tr")
    expect(rows).to_have_count(3)
    chat = rows.filter(has_text="Chat messages")
    chat.get_by_role("button", name="Ask a person to check").click()
    expect(chat.locator("[data-review]")).to_have_text(
        "Waiting for a person to check it, as you asked"
    )
    expect(chat.locator("[data-review]")).to_be_focused()
    expect(chat.get_by_role("button")).to_have_count(0)
    expect(mine.locator("#my-engagement-status")).to_contain_text("A person will check it")
    _accessible(mine)
    assert pages.errors == []
