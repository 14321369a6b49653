"""A meeting with a waiting room in real browsers: the organiser sets it up in the
editor, lets a listener in, the listener talks and is muted, raises a hand, reacts,
and becomes a co-host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import signed_up_with_an_event, write_tone

pytestmark = pytest.mark.browser


def test_a_meeting_with_a_waiting_room(
    media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    browser = audio_browser(write_tone(screenshots / "voice.wav", 440))
    errors: list[str] = []
    host = browser.new_context(base_url=media_server).new_page()
    host.on("pageerror", lambda error: errors.append(f"host: {error}"))
    host.goto("/")
    event = signed_up_with_an_event(host, "Hana", "Team meeting")

    host.goto(f"/events/{event['id']}")
    host.get_by_label("Who may talk").select_option("meeting")
    host.get_by_label("Waiting room").check()
    host.get_by_role("button", name="Save details").click()
    expect(host.get_by_text("Details saved.")).to_be_visible()
    saved = host.request.get(f"/api/events/{event['id']}").json()
    assert saved["mode"] == "meeting" and saved["waiting_room"] is True

    host.goto(f"/events/{event['id']}/live")
    expect(host.locator("#meeting")).to_have_attribute("data-ready", "true")
    listener = browser.new_context(base_url=media_server).new_page()
    listener.on("pageerror", lambda error: errors.append(f"listener: {error}"))
    listener.goto(f"/join/{event['code']}")
    listener.get_by_role("button", name="Play").click()
    expect(listener.locator("#player-status")).to_contain_text("waiting room")
    expect(listener.locator("#meeting-waiting")).to_be_visible()

    host.get_by_role("button", name="Let in: Listener").click()
    expect(listener.locator("#meeting")).to_have_attribute("data-ready", "true")
    expect(listener.locator("#meeting-waiting")).to_be_hidden()

    # a meeting: the listener may talk at once; the host mutes them
    listener.get_by_role("button", name="Talk").click()
    floor = host.locator(".live-channel").first
    expect(floor).to_contain_text("On air")
    host.get_by_role("button", name="Mute: Listener").click()
    expect(floor).not_to_contain_text("On air")
    expect(listener.get_by_role("button", name="Talk", exact=True)).to_be_visible()
    expect(listener.locator("#meeting-notice")).to_contain_text("Hana muted your microphone")

    # a raised hand, lowered by the host; a reaction
    listener.get_by_role("button", name="Raise hand").click()
    expect(host.locator("#meeting-hands-list")).to_contain_text("Listener")
    expect(listener.get_by_role("button", name="Lower hand")).to_be_visible()
    host.get_by_role("button", name="Lower hand: Listener").click()
    expect(listener.get_by_role("button", name="Raise hand")).to_be_visible()
    listener.get_by_role("button", name="React: Applause").click()
    expect(host.locator("#meeting-reactions")).to_contain_text("👏 Listener")

    # a co-host gets the host's controls
    expect(listener.locator("#meeting-hosting")).to_be_hidden()
    host.get_by_role("button", name="Make co-host: Listener").click()
    expect(listener.locator("#meeting-hosting")).to_be_visible()
    expect(listener.locator("#meeting-poll-new")).to_be_visible()

    host.screenshot(path=str(screenshots / "meeting-modes-host.png"), full_page=True)
    assert not errors
