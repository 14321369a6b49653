"""The meeting panel in real browsers: an organiser (host) and a listener chat, run a
poll, ask and answer a question, and share a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import signed_up_with_an_event

pytestmark = pytest.mark.browser


def test_chat_poll_questions_and_files_between_host_and_listener(
    media_server: str, audio_browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    browser = audio_browser()
    errors: list[str] = []
    host = browser.new_context(base_url=media_server).new_page()
    host.on("pageerror", lambda error: errors.append(f"host: {error}"))
    host.goto("/")
    event = signed_up_with_an_event(host, "Hana", "Town hall")
    host.goto(f"/events/{event['id']}/live")
    host_panel = host.locator("#meeting")
    expect(host_panel).to_have_attribute("data-ready", "true")

    listener = browser.new_context(base_url=media_server).new_page()
    listener.on("pageerror", lambda error: errors.append(f"listener: {error}"))
    listener.goto(f"/join/{event['code']}")
    panel = listener.locator("#meeting")
    expect(panel.get_by_text("Press Play to join the event")).to_be_visible()
    listener.get_by_role("button", name="Play").click()
    expect(panel).to_have_attribute("data-ready", "true")

    # chat, both ways, and privately
    listener.get_by_label("Message", exact=True).fill("Hello from row 3")
    listener.get_by_label("Message", exact=True).press("Enter")
    expect(host.locator("#meeting-chat-log")).to_contain_text("Hello from row 3")
    host.get_by_role("button", name="Reply privately to Listener").click()
    expect(host.get_by_label("To", exact=True)).to_have_value("private")
    host.get_by_label("Message", exact=True).fill("Welcome, just for you")
    host.get_by_role("button", name="Send").click()
    expect(listener.locator("#meeting-chat-log")).to_contain_text("Welcome, just for you")
    expect(listener.locator("#meeting-chat-log")).to_contain_text("(private, to you)")

    # a poll: hidden results while open, final results once closed
    host.get_by_text("New poll").click()
    host.get_by_label("Poll question").fill("Which session next?")
    host.get_by_label("Options, one per line").fill("Keynote\nPanel")
    host.get_by_role("button", name="Ask the poll").click()
    poll = listener.locator("form.poll")
    expect(poll).to_contain_text("Which session next?")
    poll.get_by_label("Panel").check()
    poll.get_by_role("button", name="Vote").click()
    expect(poll.get_by_role("button", name="Change my vote")).to_be_visible()
    expect(poll).to_contain_text("Results are shown when the poll closes.")
    expect(host.locator("form.poll")).to_contain_text("1 voted")
    host.get_by_role("button", name="Close the poll").click()
    expect(poll).to_contain_text("Closed")
    expect(poll).to_contain_text("1 (100 %)")

    # a question, asked anonymously, upvoted and answered
    listener.get_by_label("Your question").fill("Will the slides be shared?")
    listener.get_by_label("Ask anonymously").check()
    listener.get_by_role("button", name="Ask", exact=True).click()
    question = host.locator(".qa-item")
    expect(question).to_contain_text("Will the slides be shared?")
    expect(question).to_contain_text("Anonymous")
    question.get_by_role("button", name="Upvote").click()
    expect(listener.locator(".qa-item")).to_contain_text("Upvote (1)")
    host.get_by_role("button", name="Answered").click()
    expect(listener.locator(".qa-item")).to_contain_text("Answered")

    # a file, shared by the listener, downloaded by the host
    notes = tmp_path / "notes.txt"
    notes.write_text("Slides: room 2 at 11:00\n")
    listener.get_by_label("Share a file").set_input_files(str(notes))
    listener.get_by_role("button", name="Share", exact=True).click()
    expect(host.locator("#meeting-file-list")).to_contain_text("notes.txt")
    with host.expect_download() as download:
        host.get_by_role("button", name="Download notes.txt").click()
    saved = tmp_path / "downloaded.txt"
    download.value.save_as(saved)
    assert saved.read_text() == "Slides: room 2 at 11:00\n"
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ\x90\x00")
    listener.get_by_label("Share a file").set_input_files(str(bad))
    listener.get_by_role("button", name="Share", exact=True).click()
    expect(listener.locator("#meeting-file-error")).to_contain_text("cannot be shared")

    # the host deletes a message for everyone
    host.get_by_role("button", name="Delete the message from Listener").click()
    expect(listener.locator("#meeting-chat-log")).not_to_contain_text("Hello from row 3")

    # recording: everyone sees it is on; the organiser finds each channel's recording
    host.get_by_role("button", name="Start recording").click()
    expect(listener.locator("#meeting-recording")).to_be_visible()
    expect(listener.locator("#meeting-recording")).to_contain_text("Recording")
    host.wait_for_timeout(1000)
    host.get_by_role("button", name="Stop recording").click()
    expect(listener.locator("#meeting-recording")).to_be_hidden()
    host.goto(f"/events/{event['id']}")
    recordings = host.locator("#recordings .recording")
    expect(recordings).to_have_count(3)  # the floor, German, French
    expect(recordings.first.locator("audio")).to_have_count(1)
    download = host.get_by_role("link", name="Download the recording of floor")
    response = host.request.get(str(download.get_attribute("href")))
    assert response.ok and response.headers["content-type"] == "audio/ogg"
    assert response.body()[:4] == b"OggS"

    host.screenshot(path=str(screenshots / "meeting-host.png"), full_page=True)
    listener.screenshot(path=str(screenshots / "meeting-listener.png"), full_page=True)
    assert not errors
