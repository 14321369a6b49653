"""P05 in the browser: a fresh visitor on every page keeps nothing undeclared and no
preference before consenting; consent keeps preferences, withdrawal deletes them, and
both answers are recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from interpreta.datamap.storage import StorageKind, declared
from interpreta.platform import Platform
from interpreta.visitors.models import CookieConsent
from tests.web.conftest import People, browser_context, pages_by_visitor
from tests.web.test_live_browser import enter_booth

pytestmark = pytest.mark.browser


def kept(context: Any, page: Any) -> list[tuple[StorageKind, str]]:
    """Every cookie of the context, and every storage key of the page's origin."""
    found = [(StorageKind.COOKIE, str(c["name"])) for c in context.cookies()]
    for kind, area in (
        (StorageKind.LOCAL, "localStorage"),
        (StorageKind.SESSION, "sessionStorage"),
    ):
        found += [(kind, str(key)) for key in page.evaluate(f"Object.keys({area})")]
    return found


def breaches(context: Any, page: Any, consented: bool) -> list[str]:
    """What is kept but undeclared, or kept as a preference without consent."""
    out = []
    for kind, key in kept(context, page):
        item = declared(kind, key)
        if item is None:
            out.append(f"undeclared {kind.value} {key!r}")
        elif not item.necessary and not consented:
            out.append(f"{kind.value} {key!r} kept before consent")
    return out


def _use_the_listener_page(page: Any) -> None:
    """Change every setting the listener page remembers."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Play").click()
    expect(page.locator("#meeting")).to_have_attribute("data-ready", "true")
    page.locator("#player-mix").fill("0.3")
    page.locator("#hearing-protection").uncheck()


def _answers(platform: Platform) -> list[tuple[bool, bool]]:
    with platform.sessions() as db:
        rows = db.scalars(select(CookieConsent).order_by(CookieConsent.id)).all()
    return [(r.preferences, r.withdrawal) for r in rows]


def test_p05_no_page_keeps_anything_undeclared_or_a_preference_before_consent(
    platform: Platform, people: People, media_server: str, audio_browser: Any
) -> None:
    from playwright.sync_api import expect

    browser = audio_browser()
    failures: list[str] = []
    for who, (account, paths) in pages_by_visitor(people).items():
        context = browser_context(browser, media_server, account)
        page = context.new_page()
        for path in paths:
            page.goto(path)
            expect(page.locator("#consent-banner")).to_be_visible()
            failures += [f"{who} {path}: {b}" for b in breaches(context, page, False)]
        context.close()

    # the live pages, used: every setting they remember is changed before any answer
    code = people.event["code"]
    listener_context = browser_context(browser, media_server, None)
    listener = listener_context.new_page()
    listener.goto(f"/join/{code}?lang=en")  # the language cookie too
    listener.goto(f"/join/{code}")
    _use_the_listener_page(listener)
    failures += [f"listener: {b}" for b in breaches(listener_context, listener, False)]
    console_context = browser_context(browser, media_server, people.interpreter)
    console = console_context.new_page()
    console.goto(f"/interpret/{code}")
    enter_booth(console)
    console.locator("#processing").check()
    failures += [f"console: {b}" for b in breaches(console_context, console, False)]
    assert failures == [], "\n".join(failures)
    kinds = {kind for kind, _key in kept(listener_context, listener)}
    assert kinds == {StorageKind.COOKIE, StorageKind.SESSION}  # the check does see them

    # consent: the settings changed before it are kept now, and later ones too
    listener.get_by_role("button", name="Remember my settings").click()
    expect(listener.locator("#consent-banner")).to_be_hidden()
    remembered = listener.evaluate("Object.keys(localStorage)")
    assert {"interpreta.limiter", "interpreta.listen.mix"} <= set(remembered)
    assert listener.evaluate("localStorage.getItem('interpreta.listen.mix')") == "0.3"
    assert breaches(listener_context, listener, True) == []
    assert _answers(platform) == [(True, False)]

    # withdrawal from the footer: the preferences leave the device, the answer is recorded
    listener.get_by_role("link", name="Cookie settings").click()
    expect(listener.locator("#consent-banner")).to_be_visible()
    listener.get_by_role("button", name="Only what is necessary").click()
    expect(listener.locator("#consent-banner")).to_be_hidden()
    assert listener.evaluate("Object.keys(localStorage)") == []
    assert breaches(listener_context, listener, False) == []
    assert _answers(platform) == [(True, False), (False, True)]
    assert listener.locator("#player-mix").input_value() == "0.3"  # still in this page
    listener_context.close()
    console_context.close()
