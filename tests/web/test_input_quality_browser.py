"""The floor's input-quality meter in the console and on the organiser's live page: the
speaker's fake microphone plays a tone of known level, the pages show what the server
measured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from interpreta.media.input_quality import measure
from tests.web.conftest import write_tone
from tests.web.test_live_browser import Pages, Stage, enter_booth, stage, wait_until

pytestmark = pytest.mark.browser

__all__ = ["stage"]  # the event with booths, shared with the live browser test


def test_the_console_shows_the_floor_measured(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    folder = Path(screenshots)
    voice = audio_browser(write_tone(folder / "tone-440.wav", 440))  # half of full scale
    pages = Pages(media_server, folder)
    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    anna = pages.open(voice, f"/interpret/{stage.code}", cookie=stage.cookies["anna"])
    enter_booth(anna)
    organiser = pages.open(voice, f"/events/{stage.event_id}/live", cookie=stage.cookies["olivia"])

    t = np.arange(3 * 48000) / 48000
    sent = measure(0.5 * np.sin(2 * np.pi * 440 * t)).loudness_lufs
    for page in (anna, organiser):
        wait_until(page, "document.querySelector('.input-quality').dataset.lufs !== ''", timeout=20)
        shown = float(page.locator(".input-quality").first.get_attribute("data-lufs") or "nan")
        assert abs(shown - sent) <= 2.0, (shown, sent)
        meter = page.locator(".input-quality").first
        expect(meter.locator("li[data-criterion=loudness]")).to_contain_text("LUFS")
        # one tone is as narrow as a sound gets: the bandwidth is marked to check, in words
        expect(meter.locator("li[data-criterion=bandwidth]")).to_have_attribute(
            "data-passed", "false"
        )
        expect(meter.locator("li[data-criterion=bandwidth]")).to_contain_text("check")
    assert not pages.errors


def test_a_speaker_checks_their_sound_before_going_live(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=20000)
    folder = Path(screenshots)
    voice = audio_browser(write_tone(folder / "tone-440.wav", 440))
    pages = Pages(media_server, folder)
    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Check my sound").click()
    status = speaker.locator("#soundcheck-status")
    # a tone at half of full scale: about -10 LUFS, too loud; and as narrow as a phone line
    expect(status).to_contain_text("Some checks failed")
    figures = speaker.locator("#soundcheck-figures")
    expect(figures.locator("li[data-criterion=loudness]")).to_have_attribute("data-passed", "false")
    expect(figures.locator("li[data-criterion=clipping]")).to_have_attribute("data-passed", "true")
    advice = speaker.locator("#soundcheck-advice")
    expect(advice).to_contain_text("You are too loud")
    expect(advice).to_contain_text("like a phone line")
    assert speaker.evaluate("window.interpreta.published") is False  # never on air
    pages.fits(speaker, "live-speaker-soundcheck")
    assert not pages.errors
