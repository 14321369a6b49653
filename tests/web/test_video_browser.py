"""Video in real browsers: Chromium's fake camera (its test pattern) and fake screen.

The speaker sends their camera and then a screen; a listener sees the stage and keeps it
while switching language; an interpreter sees the floor's video in the console and their
booth mate's camera, which nobody outside the booth sees. The pages' debug hook
(``window.interpreta.video``) says what each slot shows: its feed, the picture's width
and the frames decoded so far.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MEDIA_BACKENDS
from tests.web.conftest import write_tone
from tests.web.test_live_browser import Pages, Stage, enter_booth, stage, wait_until

pytestmark = pytest.mark.browser

__all__ = ["stage"]  # the event with booths, shared with the live browser test

SCREEN_ARGS = ["--auto-select-desktop-capture-source=Entire screen"]


def frames(page: Any, slot: str) -> int:
    """Frames the page decoded so far in a slot (0 when the slot shows nothing)."""
    shown = page.evaluate("window.interpreta.video.shown")
    return int(shown.get(slot, {}).get("frames", 0))


def plays(page: Any, slot: str, *, kind: str | None = None, timeout: float = 20) -> None:
    """Wait until a slot shows a picture whose frames keep coming (of a feed of `kind`)."""
    try:
        _wait_for_picture(page, slot, kind, timeout)
    except AssertionError as failed:
        seen = page.evaluate(
            "JSON.stringify([window.interpreta.video, window.interpreta.state?.video,"
            " document.getElementById('video-status').textContent])"
        )
        raise AssertionError(f"{slot} shows no {kind or 'picture'}: {seen}") from failed
    # Frames keep coming: a slow machine decodes fewer per second, a frozen one none.
    before = frames(page, slot)
    for _ in range(20):
        page.wait_for_timeout(250)
        if frames(page, slot) > before + 5:
            return
    raise AssertionError(f"{slot}: the picture froze ({frames(page, slot) - before} frames in 5 s)")


def _wait_for_picture(page: Any, slot: str, kind: str | None, timeout: float) -> None:
    wait_until(
        page,
        """([slot, kind]) => {
            const shown = window.interpreta.video.shown[slot];
            const feeds = window.interpreta.state?.video?.feeds || [];
            const feed = shown && feeds.find((f) => f.id === shown.feed);
            return Boolean(shown && shown.width > 0 && shown.frames > 5
                && (!kind || (feed && feed.kind === kind)));
        }""",
        [slot, kind],
        timeout=timeout,
        every=0.2,
    )


@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)
def test_video_reaches_listeners_and_interpreters(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path, media_backend: str
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=10000)
    folder = Path(screenshots)
    voice = audio_browser(write_tone(folder / "tone-440.wav", 440))
    pages = Pages(media_server, folder)
    code = stage.code

    speaker = pages.open(voice, f"/speak/{code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    speaker.get_by_role("button", name="Camera", exact=True).click()
    wait_until(speaker, "window.interpreta.video.sending.includes('camera')")
    expect(speaker.get_by_role("button", name="Camera", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    anna = pages.open(voice, f"/interpret/{code}", cookie=stage.cookies["anna"])
    bernd = pages.open(voice, f"/interpret/{code}", cookie=stage.cookies["bernd"])
    for page in (anna, bernd):
        enter_booth(page)
    plays(anna, "stage", kind="camera")  # the interpreter sees the speaker

    listener = pages.open(voice, f"/join/{code}")
    listener.get_by_role("button", name="Play").click()
    plays(listener, "stage", kind="camera")
    # the audio language changes; the floor's video goes on, on its own connection
    listener.get_by_label("Language").select_option(str(stage.german))
    wait_until(listener, f"window.interpreta.listening === {stage.german}")
    plays(listener, "stage", kind="camera")

    anna.get_by_role("button", name="Booth camera").click()
    plays(bernd, "mate", kind="booth")  # booth mates see each other
    listener.wait_for_timeout(1000)
    assert "mate" not in listener.evaluate("window.interpreta.video.shown")

    # A listener pins a feed; choosing "No video" stops every picture.
    listener.get_by_label("Pinned").select_option(label="Speaker")
    plays(listener, "pin", kind="camera")
    listener.get_by_label("Layout").select_option("off")
    wait_until(listener, "Object.keys(window.interpreta.video.shown).length === 0")
    listener.get_by_label("Layout").select_option("speaker")
    plays(listener, "stage", kind="camera")
    for page, name in ((listener, "live-listener-video"), (anna, "live-interpreter-video")):
        pages.fits(page, name)
    assert not pages.errors


def test_screen_share_takes_the_stage(
    stage: Stage, media_server: str, browser: Any, audio_browser: Any, screenshots: Path
) -> None:
    from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, FAKE_MEDIA_ARGS

    sharer = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *FAKE_MEDIA_ARGS, *SCREEN_ARGS],
        headless=True,
    )
    try:
        pages = Pages(media_server, Path(screenshots))
        code = stage.code
        speaker = pages.open(sharer, f"/speak/{code}?key={stage.speaker_key}")
        speaker.get_by_role("button", name="Start sending my microphone").click()
        wait_until(speaker, "window.interpreta.video && !document.getElementById('video').hidden")
        speaker.get_by_role("button", name="Camera", exact=True).click()
        speaker.get_by_role("button", name="Share screen").click()
        wait_until(speaker, "window.interpreta.video.sending.length === 2")

        listener = pages.open(audio_browser(), f"/join/{code}")
        listener.get_by_role("button", name="Play").click()
        plays(listener, "stage", kind="screen")  # the screen is on the stage
        plays(listener, "speaker", kind="camera")  # the speaker beside it
        listener.get_by_label("Layout").select_option("gallery")
        wait_until(  # both tiles play (not merely begun: a slow start must not be raced)
            listener,
            "Object.entries(window.interpreta.video.shown)"
            ".filter(([slot, s]) => slot.startsWith('g') && s.frames > 5).length === 2",
        )

        speaker.get_by_role("button", name="Share screen").click()  # stop sharing
        listener.get_by_label("Layout").select_option("speaker")
        plays(listener, "stage", kind="camera")
        wait_until(listener, "!('speaker' in window.interpreta.video.shown)")
        assert not pages.errors
    finally:
        sharer.close()
