"""Lip sync at the interpreter: how far the floor's video is from its sound, in Chromium.

An interpreter lip-reads the speaker: the picture in the console must show a word when
the interpreter hears it. The goal (issue 13) is |offset| <= 100 ms at p95.

Method. The server (the real app with the demo event, as ``bench/mouth_to_ear.py`` runs
it) runs in a child process on the chosen backend. The speaker's Chromium has a fake
microphone playing a 20 ms 2 kHz beep every second and a fake camera playing a Y4M file
that is black but for a white flash of three frames every second. The two fake devices
start independently, so the beep and the flash are not simultaneous at the source, and
need not be: the speaker's page stamps each beep onset in its own microphone stream (an
AudioWorklet) and each flash in its own camera preview (``requestVideoFrameCallback``);
the interpreter's console stamps each beep in the floor it hears and each flash in the
floor's video on its stage, all on one clock (one machine). For each flash/beep pair,

    offset = (video delay: flash at the console - flash at the speaker)
           - (audio delay: beep at the console - beep at the speaker)

is how much later the picture shows than the sound it belongs with, compared with how
they were captured (positive: the video lags). The audio and the video travel on
separate peer connections (the video has its own, so a listener switching language
never touches it), so the browser does not align them itself: the console does
(``static/js/live/video.js``), holding the picture back by as much as the sound waits
longer in its jitter buffer. The figure is what remains.

    PYTHONPATH=src python bench/lip_sync.py [--backend embedded|janus] [--seconds 40]

At least 30 pairs are needed (the default 40 s gives about 38).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mouth_to_ear import (
    ARGS,
    CHROMIUM,
    DETECTOR,
    RATE,
    free_port,
    open_page,
    percentile,
    serve,
    sign_in,
    speaker_key_of,
    wait_for_server,
)
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess

PERIOD_S = 1.0
LOOP_S = 2.0
FPS = 30
WIDTH, HEIGHT = 320, 180
FLASH_FRAMES = 3
MATCH_WINDOW_MS = 800

FLASHES = """
async (which) => {
  const video = which === "local"
    ? document.getElementById("video-preview")
    : document.querySelector('.video-tile[data-slot="stage"] video');
  if (!video || !video.srcObject) throw new Error("no " + which + " video yet");
  const canvas = new OffscreenCanvas(16, 16);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  window.__flashes = [];
  let bright = false;
  const step = (now, meta) => {
    context.drawImage(video, 0, 0, 16, 16);
    const pixels = context.getImageData(0, 0, 16, 16).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += pixels[i] + pixels[i + 1] + pixels[i + 2];
    const level = sum / (16 * 16 * 3);
    const shownAt = performance.timeOrigin + meta.expectedDisplayTime;
    if (level > 128 && !bright) window.__flashes.push(shownAt);
    if (level > 128) bright = true;
    else if (level < 64) bright = false;
    video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
  return true;
}
"""
"Stamps each flash (black to white) in a page's local preview or stage video."


def write_beeps(path: Path) -> Path:
    """A 20 ms 2 kHz beep every second (2 ms ramps), mono 16-bit 48 kHz, one loop."""
    samples = np.zeros(int(LOOP_S * RATE))
    n = int(0.02 * RATE)
    t = np.arange(n) / RATE
    ramp = int(0.002 * RATE)
    envelope = np.ones(n)
    envelope[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    envelope[-ramp:] = envelope[:ramp][::-1]
    for start in np.arange(0, LOOP_S, PERIOD_S):
        i = int(start * RATE)
        samples[i : i + n] = 0.6 * np.sin(2 * np.pi * 2000 * t) * envelope
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def write_flashes(path: Path) -> Path:
    """A Y4M video, black but for a white flash of three frames every second, one loop."""
    size = WIDTH * HEIGHT
    black = bytes([16]) * size + bytes([128]) * (size // 2)
    white = bytes([235]) * size + bytes([128]) * (size // 2)
    per_period = int(PERIOD_S * FPS)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(int(LOOP_S * FPS)):
            out.write(b"FRAME\n")
            out.write(white if index % per_period < FLASH_FRAMES else black)
    return path


def _nearest(value: float, candidates: list[float], before: bool) -> float | None:
    """The candidate just before `value` (within the window), or the nearest one."""
    if before:
        earlier = [c for c in candidates if 0 <= value - c < MATCH_WINDOW_MS]
        return max(earlier) if earlier else None
    close = [c for c in candidates if abs(value - c) < PERIOD_S * 500]
    return min(close, key=lambda c: abs(value - c)) if close else None


def offsets(
    sent_beeps: list[float],
    heard_beeps: list[float],
    sent_flashes: list[float],
    shown_flashes: list[float],
) -> list[float]:
    """Per flash shown at the console: its video delay less the audio delay of the beep
    captured with it (ms; positive: the picture lags the sound)."""
    result = []
    for shown in shown_flashes:
        flash = _nearest(shown, sent_flashes, before=True)
        if flash is None:
            continue
        beep = _nearest(flash, sent_beeps, before=False)  # the beep of the same second
        if beep is None:
            continue
        heard = [h for h in heard_beeps if 0 <= h - beep < MATCH_WINDOW_MS]
        if not heard:
            continue
        result.append((shown - flash) - (min(heard) - beep))
    return result


def run(backend: str, folder: Path, seconds: float) -> list[float]:
    """Serve the demo on `backend`; the offsets measured at the interpreter (ms)."""
    from playwright.sync_api import sync_playwright

    from interpreta import demo

    beeps, flashes = write_beeps(folder / "beeps.wav"), write_flashes(folder / "flashes.y4m")
    with contextlib.ExitStack() as stack:
        media: dict[str, str] = {"media_backend": backend}
        if backend == "janus":
            janus = JanusProcess(ice_address=ensure_host_address())
            stack.enter_context(janus)
            media |= {"janus_url": janus.url}
        data = folder / f"data-{backend}"
        port = free_port()
        base = f"http://localhost:{port}"
        child = multiprocessing.get_context("spawn").Process(
            target=serve, args=(str(data), port, media), daemon=True
        )
        child.start()
        stack.callback(child.join, 10)
        stack.callback(child.terminate)
        code = wait_for_server(f"http://127.0.0.1:{port}", data)
        key = speaker_key_of(data, code)
        cookie = sign_in(f"http://127.0.0.1:{port}", demo.INTERPRETERS[0][0], demo.PASSWORD)
        playwright = stack.enter_context(sync_playwright())

        def launch(*extra: str) -> Any:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra])
            stack.callback(browser.close)
            return browser

        speaker = open_page(
            launch(
                f"--use-file-for-fake-audio-capture={beeps}",
                f"--use-file-for-fake-video-capture={flashes}",
            ),
            base,
        )
        speaker.goto(f"/speak/{code}?key={key}")
        speaker.get_by_role("button", name="Start sending my microphone").click()
        speaker.wait_for_function("window.interpreta.published === true")
        speaker.get_by_role("button", name="Camera", exact=True).click()
        speaker.wait_for_function("window.interpreta.video.sending.includes('camera')")

        booth = open_page(launch(), base, cookie)
        booth.goto(f"/interpret/{code}")
        booth.get_by_role("button", name="Enter the booth").click()
        booth.wait_for_function("window.interpreta.published === true")
        booth.wait_for_function(
            "(window.interpreta.video.shown.stage?.frames || 0) > 30", timeout=30000
        )
        time.sleep(1)
        speaker.evaluate(DETECTOR, "local")
        speaker.evaluate(FLASHES, "local")
        booth.evaluate(DETECTOR, "remote")
        booth.evaluate(FLASHES, "remote")
        time.sleep(seconds)
        sent_beeps, sent_flashes = (
            speaker.evaluate(f"window.__{n}") for n in ("onsets", "flashes")
        )
        heard_beeps, shown_flashes = (
            booth.evaluate(f"window.__{n}") for n in ("onsets", "flashes")
        )
        held = booth.evaluate("window.interpreta.video.shown.stage.held")
        print(
            f"{backend}: {len(sent_beeps)} beeps and {len(sent_flashes)} flashes sent, "
            f"{len(heard_beeps)} heard and {len(shown_flashes)} shown at the console "
            f"(the console holds the picture back {held} ms to meet the sound)"
        )
        return offsets(sent_beeps[1:], heard_beeps, sent_flashes[1:], shown_flashes[1:])


def report(backend: str, values: list[float]) -> None:
    """Print the offsets' distribution and whether the goal holds."""
    if not values:
        print(f"{backend}: no flash/beep pair matched")
        return
    magnitudes = [abs(v) for v in values]
    p95 = percentile(magnitudes, 0.95)
    print(
        f"{backend}: pairs {len(values)}  offset (video - audio) median "
        f"{statistics.median(values):+.1f} ms  min {min(values):+.1f}  max {max(values):+.1f}  "
        f"|offset| p95 {p95:.1f} ms  goal <= 100 ms: {'met' if p95 <= 100 else 'NOT met'}"
    )


def main(argv: list[str] | None = None) -> None:
    """Measure lip sync on each backend asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="measuring time")
    parser.add_argument("--backend", choices=["embedded", "janus", "both"], default="embedded")
    args = parser.parse_args(argv)
    backends = ("embedded", "janus") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            report(backend, run(backend, Path(tmp), args.seconds))


if __name__ == "__main__":
    main()
