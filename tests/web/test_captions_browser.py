"""Automatic captions in real browsers: the organiser offers them in the event editor, the
speaker's microphone plays a sentence spoken by espeak-ng, and a listener reads it in
English as it is said, then translated into Spanish by machine, each labelled as such."""

from __future__ import annotations

import re
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.speech.speech_testkit import at_48k, speak
from tests.web.test_live_browser import Pages, Stage, stage, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.speech]

__all__ = ["stage"]

SAID = "Good morning everyone and welcome to the summit."


def _voice(folder: Path) -> Path:
    """The sentence, then two seconds of silence (Chromium loops the file)."""
    samples = np.concatenate([at_48k(speak(SAID, folder)), np.zeros(96_000, dtype=np.int16)])
    path = folder / "voice.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def _finals(page: Any) -> str:
    """The final lines shown, joined (the sentence may come as two on a loaded machine,
    and the page shows the latest three)."""
    text: str = page.evaluate(
        "[...document.querySelectorAll('#captions-text .caption-line[data-final=true]')]"
        ".map((line) => line.textContent).join(' ')"
    )
    return text


def _heard(page: Any, timeout: float = 45) -> str:
    """The final lines once they hold the sentence, or all those seen by `timeout`.
    The recogniser starts when the listener asks, usually in the middle of the looping
    sentence, so its first line may be a fragment; the next loop comes 5 s later."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        finals = _finals(page)
        if finals and finals not in seen:
            seen.append(finals)
            if len(_words(SAID) & _words(finals)) >= 0.7 * len(_words(SAID)):
                return finals
        page.wait_for_timeout(500)
    return " | ".join(seen)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-záéíóúñü]+", text.lower()))


def test_a_listener_reads_the_floor_in_captions_and_in_translation(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    pages = Pages(media_server, screenshots)
    voice = audio_browser(_voice(screenshots))

    editor = pages.open(voice, f"/events/{stage.event_id}", cookie=stage.cookies["olivia"])
    editor.get_by_label("Language of the floor").fill("english")  # not a tag
    editor.get_by_role("button", name="Save details").click()
    expect(editor.locator("#event-details-floor-language-error")).to_contain_text("language tag")
    editor.get_by_label("Language of the floor").fill("en")
    editor.get_by_label("Automatic captions").check()
    editor.get_by_role("button", name="Save details").click()
    expect(editor.get_by_text("Details saved.")).to_be_visible()

    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()

    listener = pages.open(audio_browser(), f"/join/{stage.code}")
    expect(listener.locator("#captions")).to_be_hidden()  # until the player is on
    listener.get_by_role("button", name="Play").click()
    choice = listener.get_by_label("Captions", exact=True)
    expect(choice).to_be_visible()
    choice.select_option(label="English")
    expect(listener.locator("#captions-label")).to_have_text(
        "Automatic captions: they may contain mistakes."
    )
    wait_until(listener, "document.querySelector('#captions-text .caption-line') !== null")
    heard = _heard(listener)
    assert len(_words(SAID) & _words(heard)) >= 0.7 * len(_words(SAID)), heard
    assert listener.locator("#captions-text .caption-line").first.get_attribute("lang") == "en"
    pages.fits(listener, "captions-listener")

    choice.select_option(label="Spanish (machine translation)")
    expect(listener.locator("#captions-label")).to_have_text(
        "Automatic captions, translated by machine: they may contain mistakes."
    )
    wait_until(
        listener,
        "document.querySelector('#captions-text .caption-line[lang=es]') !== null",
        timeout=30,
    )
    wait_until(
        listener,
        "document.querySelector('#captions-text').textContent.toLowerCase().includes('buenos')",
        timeout=30,
    )  # "Good morning" in Spanish

    choice.select_option(label="Off")
    expect(listener.locator("#captions-text")).to_be_hidden()
    assert not pages.errors
