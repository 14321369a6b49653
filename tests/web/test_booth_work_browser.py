"""Booth work in real browsers: talkback heard only by the booth mate, preset messages,
a retour with the floor standing in for the booth's own listeners and the relay
indicator in the other booth, a countdown handover and a takeover by keyboard.

Fake microphones: the speaker sends 440 Hz, Anna (German booth) 880 Hz, Bernd 1320 Hz
(``open_floor``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.test_live_browser import Stage, hears, open_floor, stage, wait_until

pytestmark = pytest.mark.browser

__all__ = ["stage"]  # the event with booths, shared with the live browser test


def talkback_hears(page: Any, frequency: float) -> None:
    """Wait until the console's talkback (what the mate says) carries `frequency`."""
    wait_until(
        page,
        "(hz) => { const f = window.interpreta.talkbackFrequency();"
        " return f !== null && Math.abs(f - hz) < 40; }",
        frequency,
        timeout=15,
        every=0.1,
    )


def test_talkback_presets_and_retour_in_the_console(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=10000)
    floor = open_floor(stage, media_server, audio_browser, Path(screenshots))
    pages, anna, bernd, chloe = floor.pages, floor.anna, floor.bernd, floor.chloe
    floor_voice = floor.voices[440]
    code = stage.code
    anna.get_by_role("button", name="Microphone", exact=True).click()
    expect(anna.locator("#on-air")).to_have_text("ON AIR")
    german = pages.open(floor_voice, f"/join/{code}")
    german.get_by_label("Language").select_option(str(stage.german))
    german.get_by_role("button", name="Play").click()
    hears(german, 880)

    # Talkback: Bernd holds T; Anna hears him, the German listeners still hear Anna.
    bernd.keyboard.down("t")
    talkback_hears(anna, 1320)
    expect(anna.locator("#booth-work")).to_contain_text("Bernd is talking to you")
    hears(german, 880)
    bernd.keyboard.up("t")
    # Anna, on air, talks back: her voice leaves the air while she holds the button.
    anna.get_by_role("button", name="Talk to my booth mate (hold)").hover()
    anna.mouse.down()
    talkback_hears(bernd, 880)
    wait_until(german, "window.interpreta.dominantFrequency() === null", every=0.1)
    anna.mouse.up()
    hears(german, 880)

    # Preset messages: a click, or a number key.
    anna.get_by_role("button", name="Coffee?").click()
    expect(bernd.locator("#notices")).to_contain_text("Anna: Coffee?")
    bernd.keyboard.press("1")
    expect(anna.locator("#notices")).to_contain_text("Bernd: Please take over")
    expect(chloe.locator("#notices")).not_to_contain_text("Coffee?")

    # Retour: the German booth works into French; German listeners hear the floor.
    french = pages.open(floor_voice, f"/join/{code}")
    french.get_by_label("Language").select_option(str(stage.french))
    french.get_by_role("button", name="Play").click()
    anna.get_by_label("You work into").select_option(str(stage.french))
    hears(french, 880)
    hears(german, 440)
    expect(chloe.locator("#booth-work")).to_contain_text("working into your channel (retour)")
    pages.fits(anna, "live-interpreter-retour")
    anna.keyboard.press("r")  # back into German
    hears(german, 880)

    # A countdown handover passes by itself; a takeover by keyboard takes it back.
    anna.get_by_label("Handover").select_option("5")
    anna.get_by_role("button", name="Offer handover to your booth mate").click()
    expect(bernd.locator("#booth-work")).to_contain_text("Handover in")
    hears(german, 1320, timeout=15)
    expect(bernd.locator("#on-air")).to_have_text("ON AIR")
    anna.keyboard.press("o")
    hears(german, 880)
    expect(bernd.locator("#notices")).to_contain_text("Anna took over the microphone")
    assert not pages.errors
