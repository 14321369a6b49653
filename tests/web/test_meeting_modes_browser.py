"""Meetings in real browsers: the organiser sets one up in the editor, lets a listener
in from the waiting room, the listener talks and is muted, raises a hand, reacts, and
becomes a co-host; three people talk at once and everyone hears them all, but not
themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import signed_up_with_an_event, write_tone
from tests.web.test_live_browser import TOLERANCE_HZ, hears, wait_until

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


def _meeting(host: Any, title: str) -> dict[str, Any]:
    """Sign up, create an event and make it a meeting in the editor."""
    from playwright.sync_api import expect

    host.goto("/")
    event = signed_up_with_an_event(host, "Hana", title)
    host.goto(f"/events/{event['id']}")
    host.get_by_label("Who may talk").select_option("meeting")
    host.get_by_role("button", name="Save details").click()
    expect(host.get_by_text("Details saved.")).to_be_visible()
    return event


def _lane_hears(page: Any, slot: str, frequency: float) -> None:
    wait_until(
        page,
        """([slot, hz, tolerance]) => window.interpreta.lanes.some((l) =>
            l.slot === slot && l.frequency !== null && Math.abs(l.frequency - hz) < tolerance)""",
        [slot, frequency, TOLERANCE_HZ],
        timeout=15,
        every=0.1,
    )


def test_three_talk_at_once_and_nobody_hears_themselves(
    media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    browsers = {
        hz: audio_browser(write_tone(screenshots / f"talk-{hz}.wav", hz)) for hz in (440, 660, 880)
    }
    errors: list[str] = []
    host = browsers[440].new_context(base_url=media_server).new_page()
    host.on("pageerror", lambda error: errors.append(f"host: {error}"))
    event = _meeting(host, "Three at once")

    def joined(hz: int) -> Any:
        page = browsers[hz].new_context(base_url=media_server).new_page()
        page.on("pageerror", lambda error: errors.append(f"{hz}: {error}"))
        page.goto(f"/join/{event['code']}")
        page.get_by_role("button", name="Play").click()
        wait_until(page, "window.interpreta.listening !== null", timeout=15)
        return page

    ola = joined(440)  # she only listens
    talkers = {}
    for hz in (440, 660, 880):  # each talks in turn: 880 Hz opened the microphone last
        talkers[hz] = joined(hz)
        talkers[hz].get_by_role("button", name="Talk").click()
        wait_until(talkers[hz], "window.interpreta.talking === true", timeout=15)

    hears(ola, 880, timeout=15)  # the latest on the floor itself
    _lane_hears(ola, "lane1", 440)  # the others on lanes, in the order they began
    _lane_hears(ola, "lane2", 660)
    assert ola.evaluate("window.interpreta.volumes.main") == 1

    # the last talker's page does not play the floor back to them; the others it does
    wait_until(talkers[880], "window.interpreta.volumes.main === 0", timeout=10)
    _lane_hears(talkers[880], "lane1", 440)
    lane = "window.interpreta.lanes.find((l) => l.slot === '%s').volume"
    wait_until(talkers[440], f"{lane % 'lane1'} === 0")  # Lea's own voice
    assert talkers[440].evaluate(lane % "lane2") == 1
    assert talkers[440].evaluate("window.interpreta.volumes.main") == 1

    talkers[880].get_by_role("button", name="Stop talking").click()  # 660 has the floor
    hears(ola, 660, timeout=15)
    _lane_hears(ola, "lane1", 440)
    wait_until(talkers[880], "window.interpreta.volumes.main === 1", timeout=10)
    ola.screenshot(path=str(screenshots / "meeting-three-talkers.png"))
    assert not errors
