"""Live interpretation in real browsers: speaker, interpreters, listeners, organiser.

Each voice is its own Chromium whose fake microphone plays a tone: the speaker 440 Hz,
the German booth's Anna 880 Hz and Bernd 1320 Hz. The pages' debug hook
(``window.interpreta.dominantFrequency()``) says what each page hears.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interpreta.platform import Platform
from tests.conftest import MEDIA_BACKENDS, Account, janus_handles, join, speaker_key_of
from tests.web.conftest import write_tone

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TOLERANCE_HZ = 25


@dataclass
class Stage:
    """An event with a German and a French booth, and who may do what in it."""

    code: str
    event_id: int
    floor: int
    german: int
    french: int
    speaker_key: str
    cookies: dict[str, str]


def _cookie(account: Account) -> str:
    return str(account.client.cookies.get("interpreta_session"))


@pytest.fixture
def stage(platform: Platform, sign_up: Any) -> Stage:
    owner: Account = sign_up("olivia")
    people = {name: sign_up(name) for name in ("anna", "bernd", "chloe")}
    for person in people.values():
        join(owner, person)
    event = owner.create_event("Live in the browser", ["de", "fr"])
    channels = {c["language_code"]: c for c in event["topics"][0]["channels"]}
    for name, lang in (("anna", "de"), ("bernd", "de"), ("chloe", "fr")):
        response = owner.client.post(
            f"/api/events/{event['id']}/booths/{channels[lang]['booth_id']}/interpreters",
            json={"user_id": people[name].user_id},
        )
        assert response.status_code == 201
    cookies = {name: _cookie(account) for name, account in people.items()}
    cookies["olivia"] = _cookie(owner)
    return Stage(
        code=event["code"],
        event_id=event["id"],
        floor=channels[None]["id"],
        german=channels["de"]["id"],
        french=channels["fr"]["id"],
        speaker_key=speaker_key_of(platform, event["id"]),
        cookies=cookies,
    )


class Pages:
    """Opens pages in browser contexts and watches them for script errors."""

    def __init__(self, base_url: str, shots: Path) -> None:
        self.base_url = base_url
        self.shots = shots
        self.errors: list[str] = []

    def open(self, browser: Any, path: str, *, cookie: str | None = None) -> Any:
        context = browser.new_context(base_url=self.base_url, viewport=PHONE)
        if cookie is not None:
            cookies = [{"name": "interpreta_session", "value": cookie}]
            context.add_cookies([{**c, "domain": "localhost", "path": "/"} for c in cookies])
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{path}: {error}"))
        page.goto(path)
        return page

    def fits(self, page: Any, name: str) -> None:
        """No sideways scrolling at phone width; keep a screenshot."""
        width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        assert width[0] <= width[1], f"{name} scrolls sideways: {width}"


def wait_until(
    page: Any, expression: str, arg: Any = None, timeout: float = 30, every: float = 0.05
) -> None:
    """Poll `expression` in the page until it is true. (Playwright's wait_for_function
    evaluates a string inside the page, which the pages' Content-Security-Policy
    rightly refuses; evaluate() goes through the DevTools protocol.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(every * 1000)


def hears(page: Any, frequency: float, timeout: float = 10) -> None:
    """Wait until the page's dominant received frequency is `frequency`."""
    wait_until(
        page,
        """([hz, tolerance]) => {
            const f = window.interpreta && window.interpreta.dominantFrequency();
            return f !== null && f !== undefined && Math.abs(f - hz) < tolerance;
        }""",
        [frequency, TOLERANCE_HZ],
        timeout=timeout,
        every=0.1,
    )


def enter_booth(page: Any) -> None:
    page.get_by_role("button", name="Enter the booth").click()
    wait_until(page, "window.interpreta.published === true", timeout=10)


@dataclass
class Floor:
    """The pages of a live event: the speaker on the floor (440 Hz), Anna and Bernd in the
    German booth (880 and 1320 Hz), Chloe in the French one; everyone's in."""

    pages: Pages
    voices: dict[int, Any]
    speaker: Any
    anna: Any
    bernd: Any
    chloe: Any


def open_floor(stage: Stage, media_server: str, audio_browser: Any, folder: Path) -> Floor:
    """Open the speaker's page (sending) and the three consoles (in their booths)."""
    tones = {hz: write_tone(folder / f"tone-{hz}.wav", hz) for hz in (440, 880, 1320)}
    voices = {hz: audio_browser(path) for hz, path in tones.items()}
    pages = Pages(media_server, folder)
    code = stage.code
    speaker = pages.open(voices[440], f"/speak/{code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    anna = pages.open(voices[880], f"/interpret/{code}", cookie=stage.cookies["anna"])
    bernd = pages.open(voices[1320], f"/interpret/{code}", cookie=stage.cookies["bernd"])
    chloe = pages.open(voices[880], f"/interpret/{code}", cookie=stage.cookies["chloe"])
    for page in (anna, bernd, chloe):
        enter_booth(page)
    return Floor(pages, voices, speaker, anna, bernd, chloe)


@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)
def test_interpretation_in_the_browser(
    stage: Stage,
    media_server: str,
    audio_browser: Any,
    screenshots: Path,
    media_backend: str,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=8000)
    folder = Path(screenshots)
    opened = open_floor(stage, media_server, audio_browser, folder)
    pages, speaker = opened.pages, opened.speaker
    anna, bernd, chloe = opened.anna, opened.bernd, opened.chloe
    floor_voice = opened.voices[440]
    code = stage.code
    wait_until(speaker, "window.interpreta.published === true")
    expect(speaker.get_by_role("status").filter(has_text="On air")).to_be_visible()

    anna.get_by_role("button", name="Microphone", exact=True).click()
    expect(anna.locator("#on-air")).to_have_text("ON AIR")
    expect(bernd.locator("#on-air")).to_contain_text("Anna is on air")

    # Listeners: one picks German, one stays on the floor.
    german = pages.open(floor_voice, f"/join/{code}")
    german.get_by_label("Language").select_option(str(stage.german))
    german.get_by_role("button", name="Play").click()
    floor = pages.open(floor_voice, f"/join/{code}")
    floor.get_by_role("button", name="Play").click()
    hears(german, 880)
    expect(german.get_by_role("status").filter(has_text="Interpreter on air")).to_be_visible()
    hears(floor, 440)
    # the language picker offers the floor and the languages now live (German, not French)
    options = german.get_by_label("Language").locator("option").all_inner_texts()
    assert options[0].startswith("Floor") and any("Deutsch" in o for o in options)

    # Relay: the French interpreter listens to the German booth.
    chloe.get_by_label("You hear").select_option(str(stage.german))
    hears(chloe, 880)

    # Handover: Anna offers, Bernd accepts; the German listeners now hear Bernd.
    anna.get_by_role("button", name="Offer handover to your booth mate").click()
    prompt = bernd.get_by_role("alertdialog")
    expect(prompt).to_contain_text("Anna offers you the microphone")
    pages.fits(bernd, "live-interpreter-handover")
    prompt.get_by_role("button", name="Accept").click()
    hears(german, 1320)
    hears(chloe, 1320)
    hears(floor, 440)
    expect(bernd.locator("#on-air")).to_have_text("ON AIR")
    expect(anna.locator("#on-air")).to_contain_text("Bernd is on air")

    # Booth chat reaches the booth mate.
    anna.get_by_label("Message to your booth mates").fill("Numbers coming up, slide 12")
    anna.locator("#chat-form").get_by_role("button", name="Send").click()
    expect(bernd.locator("#chat-log")).to_contain_text("Anna Numbers coming up, slide 12")

    # The cough key (held down on the keyboard) silences the channel while held.
    bernd.keyboard.down("c")
    wait_until(german, "window.interpreta.dominantFrequency() === null", every=0.1)
    expect(bernd.locator("#on-air")).to_contain_text("cough key held")
    bernd.keyboard.up("c")
    hears(german, 1320)

    # Switching language is quick and needs no new connection.
    german.get_by_label("Language").select_option(str(stage.floor))
    hears(german, 440, timeout=2)
    german.get_by_label("Language").select_option(str(stage.german))
    hears(german, 1320, timeout=2)

    # The mix: the floor beneath the interpretation, at the level the listener chose,
    # kept on the device once they allow it; the interpretation itself plays on as before.
    german.get_by_label("Floor underneath").fill("0.3")
    wait_until(
        german,
        "(() => { const f = window.interpreta.underFrequency(); "
        "return f && Math.abs(f - 440) < 25; })()",
        every=0.1,
    )
    hears(german, 1320, timeout=2)
    mixed = german.evaluate("window.interpreta.mix")
    assert mixed["channel"] == stage.floor and mixed["level"] == 0.3
    assert abs(mixed["volume"] - 0.3) < 1e-6  # 30 % of the full volume
    german.get_by_role("button", name="Remember my settings").click()  # P05: consent first
    expect(german.locator("#consent-banner")).to_be_hidden()  # the answer is recorded
    again = german.context.new_page()
    again.goto(f"/join/{code}")
    expect(again.get_by_label("Floor underneath")).to_have_value("0.3")
    again.close()
    german.get_by_label("Floor underneath").fill("0")
    wait_until(german, "window.interpreta.mix.channel === null")

    # Slow-down reaches the speaker, with the language; the organiser sees the live state.
    live_view = f"/events/{stage.event_id}/live"
    organiser = pages.open(floor_voice, live_view, cookie=stage.cookies["olivia"])
    expect(organiser.locator("#connection")).to_have_text("Connected: live")
    chloe.get_by_role("button", name="Ask the speaker to slow down").click()
    expect(speaker.get_by_role("alert")).to_contain_text("Slow down, please (fr)")
    german_row = organiser.locator(f"#channel-{stage.german}")
    expect(german_row).to_contain_text("On air")
    expect(german_row).to_contain_text("Bernd")
    expect(german_row).to_contain_text("2 listeners")
    expect(organiser.locator("#signals")).to_contain_text("(fr)")
    if media_backend == "janus":
        # the media went through Janus: the app's session there holds the pages' peers
        janus = request.getfixturevalue("janus_server")
        with ThreadPoolExecutor(1) as apart:  # Playwright's loop holds this thread
            handles = apart.submit(asyncio.run, janus_handles(janus)).result()
        assert handles >= 2 + 4 + 2  # four publishers (speaker, booth), two listeners

    # A listener has no way to publish, and a crafted publish is refused.
    assert german.get_by_role("button", name=re.compile("micro|speak|sending", re.I)).count() == 0
    refused = german.evaluate(
        """(code) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/api/live/${code}`);
            ws.onopen = () => ws.send(JSON.stringify({type: "join", role: "listener"}));
            ws.onmessage = (event) => {
                const message = JSON.parse(event.data);
                if (message.type === "welcome") {
                    ws.send(JSON.stringify({type: "publish", id: 7, sdp: "v=0"}));
                } else if (message.id === 7) {
                    ws.close();
                    resolve(message);
                }
            };
        })""",
        code,
    )
    assert refused["type"] == "error" and refused["code"] == "forbidden"

    editor = pages.open(floor_voice, f"/events/{stage.event_id}", cookie=stage.cookies["olivia"])
    expect(editor.get_by_role("link", name="Open the live view")).to_be_visible()
    expect(editor.locator(".speaker-link")).to_contain_text(f"key={stage.speaker_key}")

    for page, name in (
        (editor, "event-editor-live"),
        (german, "live-listener"),
        (speaker, "live-speaker"),
        (anna, "live-interpreter"),
        (organiser, "live-organiser"),
    ):
        pages.fits(page, name)
    assert not pages.errors


def test_listener_page_fits_a_phone(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    browser = audio_browser()
    context = browser.new_context(base_url=media_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/join/{stage.code}")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("status").filter(has_text="no speaker is on air")).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the listener page scrolls sideways: {width}"
    page.screenshot(path=str(screenshots / "live-listener-phone.png"), full_page=True)
    assert not errors


@pytest.mark.parametrize("media_backend", MEDIA_BACKENDS, indirect=True)
def test_pages_reconnect_after_a_server_restart(
    platform: Platform, stage: Stage, audio_browser: Any, tmp_path: Path
) -> None:
    import threading
    import time

    import uvicorn

    from interpreta.app import create_app
    from tests.live_server import free_port

    port = free_port()

    def start() -> tuple[uvicorn.Server, threading.Thread]:
        app = create_app(platform)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        return server, thread

    server, thread = start()
    voice = audio_browser(write_tone(tmp_path / "tone-440.wav", 440))
    pages = Pages(f"http://localhost:{port}", tmp_path)
    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    listener = pages.open(voice, f"/join/{stage.code}")
    listener.get_by_role("button", name="Play").click()
    hears(listener, 440)
    first = listener.evaluate("window.interpreta.welcome.participant")

    server.should_exit = True
    thread.join(20)
    wait_until(listener, "window.interpreta.connection === 'reconnecting'")
    server, thread = start()
    try:
        wait_until(listener, "window.interpreta.connection === 'open'", timeout=15)
        hears(listener, 440, timeout=15)
        assert listener.evaluate("window.interpreta.welcome.participant") == first
        assert not pages.errors
    finally:
        server.should_exit = True
        thread.join(20)
