"""Hearing protection: the brick-wall limiter every live page plays through, and the
console's volume and tone per source.

The worklet's algorithm is checked on its own in an OfflineAudioContext (every sample of
a rendered step burst, a click and loud noise stays under -3 dBFS; a quiet sound comes
out as it went in, 5 ms later). Then in the pages: the speaker's fake microphone plays a
quiet tone with a sudden burst 30 dB louder, and the listener's and the interpreter's
limiter, measuring inside the worklet, let nothing over -3 dBFS out, unless switched off.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.web.test_live_browser import Pages, Stage, enter_booth, stage, wait_until

pytestmark = pytest.mark.browser

__all__ = ["stage"]  # the event with booths, shared with the live browser test

CEILING = 10 ** (-3 / 20)
TOLERANCE = 1e-4  # floating point, and the float32 a sample is stored in
WORKLET = "/static/js/live/limiter-worklet.js"
LIMITER = "Hearing protection (limiter)"
RATE = 48000
QUIET_DBFS, BURST_DBFS = -31.0, -1.0  # a sudden burst 30 dB louder


def write_burst(path: Path, quiet_s: float = 2.0, burst_s: float = 0.6) -> Path:
    """A mono WAV: a 440 Hz tone at -31 dBFS, then the same tone at -1 dBFS (looped by
    Chromium as the fake microphone)."""
    t = np.arange(int((quiet_s + burst_s) * RATE)) / RATE
    level = np.where(t < quiet_s, 10 ** (QUIET_DBFS / 20), 10 ** (BURST_DBFS / 20))
    samples = (level * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return path


RENDER = """async ({url, ceiling, enabled}) => {
    const rate = 48000, seconds = 3, n = rate * seconds, lookahead = 240;  // 5 ms
    const context = new OfflineAudioContext(1, n, rate);
    await context.audioWorklet.addModule(url);
    const buffer = context.createBuffer(1, n, rate);
    const x = buffer.getChannelData(0);
    let seed = 12345;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 1073741824) - 1;
    for (let i = 0; i < n; i++) {
        const t = i / rate;
        const quiet = 0.028 * Math.sin(2 * Math.PI * 1000 * t);  // -31 dBFS
        if (t >= 0.5 && t < 0.8) x[i] = 2 * Math.sin(2 * Math.PI * 1000 * t);  // a step, +6 dBFS
        else if (t >= 1.2 && t < 1.3) x[i] = 3 * noise();  // loud noise
        else x[i] = quiet;
    }
    x[Math.round(1.0 * rate)] = 4;  // a lone click, +12 dBFS
    const source = context.createBufferSource();
    source.buffer = buffer;
    const node = new AudioWorkletNode(context, "brickwall-limiter", {
        processorOptions: {ceiling, lookaheadMs: 5, releaseMs: 100, enabled},
    });
    let report = null;
    node.port.onmessage = (event) => { report = event.data; };
    source.connect(node).connect(context.destination);
    source.start();
    const y = (await context.startRendering()).getChannelData(0);
    await new Promise((resolve) => setTimeout(resolve, 100));  // the last reports
    let outputPeak = 0, inputPeak = 0, over = 0;
    for (let i = 0; i < n; i++) {
        outputPeak = Math.max(outputPeak, Math.abs(y[i]));
        inputPeak = Math.max(inputPeak, Math.abs(x[i]));
        if (Math.abs(y[i]) > ceiling + 1e-4) over++;
    }
    // before the burst: the input itself, 5 ms later; long after it, the same again
    let before = 0, after = 0, firstOut = -1;
    const late = (i) => Math.abs(y[i + lookahead] - x[i]);
    for (let i = 0; i + lookahead < 0.5 * rate; i++) before = Math.max(before, late(i));
    for (let i = 2.5 * rate; i + lookahead < n; i++) after = Math.max(after, late(i));
    for (let i = 0; i < n && firstOut < 0; i++) if (y[i] !== 0) firstOut = i;
    // the gain is down before the step leaves the delay line: its first loud samples
    const step = Math.round(0.5 * rate) + lookahead;
    let atStep = 0;
    for (let i = step; i < step + 48; i++) atStep = Math.max(atStep, Math.abs(y[i]));
    return {outputPeak, inputPeak, over, before, after, firstOut, atStep, report};
}"""


def test_the_worklet_is_a_brick_wall(live_server: str, browser: Any) -> None:
    page = browser.new_page(base_url=live_server)
    page.goto("/")
    url = live_server + WORKLET
    on = page.evaluate(RENDER, {"url": url, "ceiling": CEILING, "enabled": True})
    assert on["inputPeak"] >= 3.9
    assert on["outputPeak"] <= CEILING + TOLERANCE, on
    assert on["over"] == 0
    assert on["outputPeak"] > CEILING - 0.01  # the loud parts come out at the ceiling
    assert on["atStep"] <= CEILING + TOLERANCE
    assert on["report"]["clipped"] == 0, on["report"]  # the gain did it, not the hard clip
    assert on["before"] == 0.0, on  # quiet: the same samples, 5 ms (240 samples) later
    assert on["firstOut"] == 240 + 1  # x[0] is sin(0): the first sound is x[1]
    assert on["after"] < 1e-4, on  # released again
    off = page.evaluate(RENDER, {"url": url, "ceiling": CEILING, "enabled": False})
    print("worklet:", on, off)
    assert off["outputPeak"] >= 3.9 and off["over"] > 1000  # switched off, nothing held
    assert off["before"] == 0.0
    page.close()


def _peaks_after_a_burst(page: Any, loud: float = 0.8) -> dict[str, Any]:
    """Reset the page's limiter peaks, wait until a burst came in (an input peak over
    `loud`) and went through whole; its figures."""
    page.evaluate("window.interpreta.resetLimiter()")
    wait_until(page, "(loud) => window.interpreta.limiter.inputPeak > loud", loud, timeout=15)
    page.wait_for_timeout(800)  # the rest of the burst
    figures: dict[str, Any] = page.evaluate("window.interpreta.limiter")
    return figures


def test_nothing_louder_than_the_ceiling_reaches_the_ear(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    folder = Path(screenshots)
    voice = audio_browser(write_burst(folder / "burst.wav"))
    pages = Pages(media_server, folder)
    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    anna = pages.open(voice, f"/interpret/{stage.code}", cookie=stage.cookies["anna"])
    enter_booth(anna)
    listener = pages.open(voice, f"/join/{stage.code}")
    listener.get_by_role("button", name="Play").click()

    measured = {}
    for name, page in (("listener", listener), ("interpreter", anna)):
        expect(page.get_by_label(LIMITER)).to_be_checked()
        wait_until(page, "window.interpreta.limiter.mode === 'worklet'")
        figures = _peaks_after_a_burst(page)
        measured[name] = figures
        assert figures["on"] and figures["measuredOn"] is True
        assert figures["inputPeak"] > CEILING + 0.05, figures  # the burst came in loud
        assert figures["outputPeak"] <= CEILING + TOLERANCE, figures  # and left at -3 dBFS
        assert figures["outputPeak"] > CEILING - 0.05, figures  # not silenced
        assert figures["clipped"] == 0, figures
    print("limiter on:", measured)

    # The control: switched off on the listener's page (kept on the device once the
    # listener allowed preferences), the burst goes out as loud as it came.
    listener.get_by_role("button", name="Remember my settings").click()
    listener.get_by_label(LIMITER).uncheck()
    figures = _peaks_after_a_burst(listener)
    print("limiter off:", figures)
    assert figures["measuredOn"] is False
    assert figures["outputPeak"] > CEILING + 0.05, figures
    again = listener.context.new_page()
    again.goto(f"/join/{stage.code}")
    expect(again.get_by_label(LIMITER)).not_to_be_checked()
    again.close()
    assert not pages.errors


def test_the_console_keeps_volume_and_tone_per_source(
    stage: Stage, media_server: str, audio_browser: Any, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    folder = Path(screenshots)
    voice = audio_browser(write_burst(folder / "burst.wav"))
    pages = Pages(media_server, folder)
    speaker = pages.open(voice, f"/speak/{stage.code}?key={stage.speaker_key}")
    speaker.get_by_role("button", name="Start sending my microphone").click()
    chloe = pages.open(voice, f"/interpret/{stage.code}", cookie=stage.cookies["chloe"])
    enter_booth(chloe)
    wait_until(chloe, "window.interpreta.limiter.mode === 'worklet'")

    # the floor at half volume: what reaches the limiter is halved (the strip is before it)
    chloe.get_by_label("Volume").fill("0.5")
    chloe.get_by_label("Treble").fill("6")
    chloe.get_by_label("Bass").focus()
    chloe.keyboard.press("ArrowLeft")  # -1 dB, with the keyboard
    expect(chloe.locator("#incoming-bass-value")).to_have_text("\u22121 dB")
    tone = chloe.evaluate("window.interpreta.tone")
    assert tone == {"source": stage.floor, "volume": 0.5, "bass": -1, "treble": 6}
    figures = _peaks_after_a_burst(chloe, loud=0.3)
    assert CEILING / 2 < figures["inputPeak"] < 0.6, figures  # about 0.89 / 2, a little treble

    # the German relay has its own settings; the floor's come back with the floor
    chloe.get_by_label("You hear").select_option(str(stage.german))
    wait_until(chloe, f"window.interpreta.tone.source === {stage.german}")
    assert chloe.evaluate("window.interpreta.tone")["volume"] == 1
    expect(chloe.get_by_label("Treble")).to_have_value("0")
    chloe.get_by_label("You hear").select_option(str(stage.floor))
    expect(chloe.get_by_label("Treble")).to_have_value("6")
    chloe.get_by_role("button", name="Flat tone").click()
    expect(chloe.get_by_label("Treble")).to_have_value("0")
    assert chloe.evaluate("window.interpreta.tone")["volume"] == 0.5
    pages.fits(chloe, "live-interpreter-tone")
    assert not pages.errors
