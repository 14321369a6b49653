"""Mouth-to-ear latency in Chromium, one hop at a time, on either media backend.

Two hops matter in a live event: the speaker's browser → server → a floor listener's
browser, and the interpreter's browser → server → a language listener's browser. The
second hop starts where the interpreter hears the first, so the two-hop figure
(speaker to a listener of the interpretation, interpreter reaction time aside) is the
sum of the two.

Method. The server (the real app with the demo event) runs in a child process, with the
embedded media plane on 127.0.0.1, or with the Janus backend (``--backend janus``): a
Janus started here on a generated configuration, gathering ICE candidates on the private
address 10.77.0.1 (``interpreta0``, added if missing; needs root, as Janus skips
loopback), which Chromium reaches through its own host candidate there. Each sending
browser is its own Chromium whose fake microphone plays a WAV of short 2 kHz bursts every
500 ms (looped by Chromium). The sending page (``/speak/...`` or ``/interpret/...``)
publishes it as usual; the receiving page (``/join/...``) plays it. In both pages an
AudioWorklet watches a stream, the sender's local microphone stream and the receiver's
remote stream, and stamps each burst onset on the shared clock (``performance.timeOrigin
+ performance.now()``: one machine, one clock). The latency of a burst is its onset at
the receiver minus its onset at the sender. Both sides measure the same way (a
MediaStreamSource into a worklet), so capture buffering before the page and the output
device after it are outside the figure; encode, network, server, jitter buffer and decode
are inside.

    PYTHONPATH=src python bench/mouth_to_ear.py [--backend embedded|janus|both] [--seconds 30]

``both`` (the default) measures the two backends one after the other and prints them side
by side. ``--captions`` measures the first hop again with automatic captions on (issue
17): the organiser offers them, the listener turns on the floor's English captions, and a
recogniser process taps the floor while the bursts are measured (goal: within 5 ms of the
figure without). The bursts then sound over recorded speech (Debian's LibriVox readings,
quieter than the detector's threshold), so the recogniser has words to work on.
``--event-loops N`` gives the Janus it starts N shared media threads (Janus's
``event_loops``) instead of one per handle. Goals: p95 <= 80 ms per hop (issue 2,
embedded), <= 60 ms per hop through Janus (issue 12). For each hop it also prints the
listener's ICE candidate pair, the path the media took.

The pages are opened with ``bypass_csp``: the probes this benchmark injects (and
Playwright's wait_for_function) evaluate strings in the page, which the pages'
Content-Security-Policy refuses.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookies
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess

BACKENDS = ("embedded", "janus")

CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
RECORD_PEERS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
})();
"""
"An init script: the page's peer connections, kept in ``window.__pcs``."

ICE_PATH = """
async () => {
  const pc = window.__pcs.filter((p) => p.connectionState === "connected").pop();
  if (!pc) return "no connected peer";
  const stats = await pc.getStats();
  for (const report of stats.values()) {
    if (report.type === "transport" && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      const local = stats.get(pair.localCandidateId);
      const remote = stats.get(pair.remoteCandidateId);
      return `${local.address}:${local.port} -> ${remote.address}:${remote.port}`;
    }
  }
  return "no selected candidate pair";
}
"""
"The newest connected peer's selected ICE candidate pair, as addresses."

RATE = 48000
PERIOD_S = 0.5
BURST_S = 0.02
MATCH_WINDOW_MS = 400

DETECTOR = """
async (which) => {
  const stream = which === "local" ? window.interpreta.localStream : window.interpreta.remoteStream;
  if (!stream) throw new Error("no " + which + " stream yet");
  const context = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
  const source = `
    class Onsets extends AudioWorkletProcessor {
      constructor() { super(); this.quiet = 1e9; }
      process(inputs) {
        const x = inputs[0] && inputs[0][0];
        if (!x) return true;
        for (let i = 0; i < x.length; i++) {
          if (Math.abs(x[i]) > 0.08) {
            if (this.quiet > 9600) this.port.postMessage(currentFrame + i);
            this.quiet = 0;
          } else {
            this.quiet++;
          }
        }
        return true;
      }
    }
    registerProcessor("onsets", Onsets);`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  await context.audioWorklet.addModule(url);
  const node = new AudioWorkletNode(context, "onsets");
  const mute = context.createGain();
  mute.gain.value = 0;
  context.createMediaStreamSource(stream).connect(node);
  node.connect(mute).connect(context.destination);
  window.__onsets = [];
  node.port.onmessage = (event) => {
    // where that frame lies on the page's clock: now, less how long ago in audio time
    const agoMs = (context.currentTime - event.data / context.sampleRate) * 1000;
    window.__onsets.push(performance.timeOrigin + performance.now() - agoMs);
  };
  window.__detector = context;
  return context.state;
}
"""


SPEECH_PEAK = 0.05
"""The peak of the speech under the bursts (the detector's threshold is 0.08)."""


def _speech() -> np.ndarray:
    """The LibriVox readings of Debian's pocketsphinx-testdata, one after the other, at
    48 kHz (real recorded speech for the recogniser to work on)."""
    from tests.speech.conftest import readings
    from tests.speech.speech_testkit import at_48k

    return np.concatenate([at_48k(reading.pcm) for reading in readings()]).astype(np.float64)


def write_clicks(path: Path, seconds: float = 10.0, speech: np.ndarray | None = None) -> Path:
    """2 kHz bursts of 20 ms (2 ms ramps) every 500 ms, mono 16-bit 48 kHz; over
    `speech` (48 kHz samples, as long as it lasts) kept below the onset detector's
    threshold, so a recogniser hears words and the detector only the bursts."""
    if speech is not None:
        seconds = len(speech) / RATE
    samples = np.zeros(int(seconds * RATE))
    if speech is not None:
        samples += speech / max(1, int(np.abs(speech).max())) * SPEECH_PEAK
    n = int(BURST_S * RATE)
    t = np.arange(n) / RATE
    ramp = int(0.002 * RATE)
    envelope = np.ones(n)
    envelope[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    envelope[-ramp:] = envelope[:ramp][::-1]
    burst = 0.6 * np.sin(2 * np.pi * 2000 * t) * envelope
    for start in np.arange(0, seconds, PERIOD_S):
        i = int(start * RATE)
        samples[i : i + n] = burst[: len(samples) - i]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: str, port: int, media: dict[str, str]) -> None:
    """Child process: the real app with the demo event; ``media``: its media settings."""
    import uvicorn

    from interpreta import demo
    from interpreta.app import create_app
    from interpreta.config import Settings
    from interpreta.platform import Platform

    settings = Settings(data_dir=Path(data_dir), _env_file=None, **media)  # type: ignore[call-arg, arg-type]
    platform = Platform.start(settings)
    info = demo.seed(platform)
    (Path(data_dir) / "code").write_text(info.event_code)
    uvicorn.run(create_app(platform), host="127.0.0.1", port=port, log_level="warning")


def wait_for_server(base: str, data_dir: Path) -> str:
    """Wait until the served demo answers; its event code."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        code_file = data_dir / "code"
        try:
            if code_file.exists():
                urllib.request.urlopen(f"{base}/", timeout=1).read()
                return code_file.read_text()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in; the session cookie's value."""
    request = urllib.request.Request(
        f"{base}/api/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        jar = http.cookies.SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return jar["interpreta_session"].value


def speaker_key_of(data_dir: Path, code: str) -> str:
    """The speaker key of the event `code` in the data directory's database."""
    from sqlalchemy import select

    from interpreta.config import Settings
    from interpreta.events.models import Event
    from interpreta.live.access import speaker_key
    from interpreta.platform import Platform

    platform = Platform.start(Settings(data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    try:
        with platform.sessions() as db:
            event_id = db.scalar(select(Event.id).where(Event.code == code))
        with platform.sessions() as db:
            return speaker_key(db, int(event_id))
    finally:
        platform.close()


def offer_captions(data_dir: Path, code: str) -> None:
    """Offer automatic captions in the event `code`, whose floor speaks English."""
    from sqlalchemy import update

    from interpreta.config import Settings
    from interpreta.events.models import Event
    from interpreta.platform import Platform

    platform = Platform.start(Settings(data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    try:
        with platform.transaction() as db:
            db.execute(
                update(Event).where(Event.code == code).values(captions=True, floor_language="en")
            )
    finally:
        platform.close()


def recognisers() -> list[int]:
    """The caption processes running on this machine."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"interpreta.speech.worker" in cmdline.read():
                found.append(int(pid))
    return found


def percentile(values: list[float], p: float) -> float:
    """The `p` quantile (0..1) of `values`, interpolated."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _latencies(sent: list[float], heard: list[float]) -> list[float]:
    out = []
    for r in heard:
        earlier = [s for s in sent if 0 <= r - s < MATCH_WINDOW_MS]
        if earlier:
            out.append(r - max(earlier))
    return out


def measure(sender: Any, receiver: Any, seconds: float) -> list[float]:
    """Onsets on both pages for `seconds`; the matched one-way latencies in ms."""
    sender.evaluate(DETECTOR, "local")
    receiver.evaluate(DETECTOR, "remote")
    time.sleep(seconds)
    sent = sender.evaluate("window.__onsets")
    heard = receiver.evaluate("window.__onsets")
    for page in (sender, receiver):
        page.evaluate("window.__detector.close()")
    return _latencies(sent[1:], heard[1:])


def _tone_at(page: Any, timeout_s: float = 15) -> None:
    page.wait_for_function(
        "window.interpreta && window.interpreta.level() > 0.3", timeout=timeout_s * 1000
    )


def report(name: str, values: list[float]) -> dict[str, float]:
    if not values:
        print(f"{name:<34} no bursts matched")
        return {}
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    print(
        f"{name:<34} n={len(values):3d}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
        f"  min {min(values):6.1f}  max {max(values):6.1f}"
    )
    return {"p50": p50, "p95": p95}


def open_page(browser: Any, base: str, cookie: str | None = None) -> Any:
    """A page of `browser` whose peer connections are recorded (``window.__pcs``)."""
    context = browser.new_context(base_url=base, bypass_csp=True)
    context.add_init_script(RECORD_PEERS)
    if cookie is not None:
        session = {"name": "interpreta_session", "value": cookie}
        context.add_cookies([{**session, "domain": "localhost", "path": "/"}])
    return context.new_page()


def run(
    backend: str,
    wav: Path,
    folder: Path,
    seconds: float,
    event_loops: int = 0,
    captions: bool = False,
) -> dict[str, dict[str, float]]:
    """Serve the demo on `backend`, measure both hops; each hop's p50 and p95 (ms).

    `event_loops`: Janus's ``event_loops`` (0: a thread per handle, Janus's default).
    `captions`: measure the first hop again with the floor captioned.
    """
    from playwright.sync_api import sync_playwright

    from interpreta import demo

    with contextlib.ExitStack() as stack:
        media: dict[str, str] = {"media_backend": backend}
        path = "loopback"
        if backend == "janus":
            address = ensure_host_address()
            janus = JanusProcess(ice_address=address, event_loops=event_loops)
            stack.enter_context(janus)
            media |= {"janus_url": janus.url}
            path = f"Janus on {address}, event loops {event_loops or 'per handle'}"
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
        interpreter_email = demo.INTERPRETERS[0][0]
        cookie = sign_in(f"http://127.0.0.1:{port}", interpreter_email, demo.PASSWORD)
        playwright = stack.enter_context(sync_playwright())

        def launch(with_clicks: bool) -> Any:
            extra = [f"--use-file-for-fake-audio-capture={wav}"] if with_clicks else []
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + extra)
            stack.callback(browser.close)
            return browser

        speaker_browser, booth_browser, ear_browser = launch(True), launch(True), launch(False)
        speaker = open_page(speaker_browser, base)
        speaker.goto(f"/speak/{code}?key={key}")
        speaker.get_by_role("button", name="Start sending my microphone").click()
        speaker.wait_for_function("window.interpreta.published === true")

        listener = open_page(ear_browser, base)
        listener.goto(f"/join/{code}")
        listener.get_by_role("button", name="Play").click()
        _tone_at(listener)
        time.sleep(1)
        print(
            f"{backend}: Chromium, media {path}, bursts every {PERIOD_S * 1000:.0f} ms, "
            f"{seconds:.0f} s per hop"
        )
        hops: dict[str, dict[str, float]] = {}
        hops["speaker"] = report(
            "speaker -> server -> listener", measure(speaker, listener, seconds)
        )
        print(f"{'':<34} ICE {listener.evaluate(ICE_PATH)}")
        if captions:
            offer_captions(data, code)
            off, on, share = captions_ab(listener, speaker, seconds)
            hops["off"] = report("  captions off (interleaved)", off)
            hops["captions"] = report("  captions on (interleaved)", on)
            print(f"{'':<34} the recogniser used {share:.0%} of a core while on")
        speaker.get_by_role("button", name="Stop sending").click()

        booth = open_page(booth_browser, base, cookie)
        booth.goto(f"/interpret/{code}")
        booth.get_by_role("button", name="Enter the booth").click()
        booth.wait_for_function("window.interpreta.published === true")
        booth.get_by_role("button", name="Microphone", exact=True).click()
        booth.wait_for_function(
            "(h => h.state?.booth?.on_air === h.welcome?.participant)(window.interpreta)"
        )
        german = booth.evaluate("window.interpreta.welcome.booth.channel_id")
        listener.get_by_label("Language").select_option(str(german))
        _tone_at(listener)
        time.sleep(1)
        hops["interpreter"] = report(
            "interpreter -> server -> listener", measure(booth, listener, seconds)
        )
        print(f"{'':<34} ICE {booth.evaluate(ICE_PATH)} (interpreter)")
        if hops["speaker"] and hops["interpreter"]:
            p50 = hops["speaker"]["p50"] + hops["interpreter"]["p50"]
            p95 = hops["speaker"]["p95"] + hops["interpreter"]["p95"]
            print(f"{'two hops (sum)':<34}        p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
        return hops


ROUNDS = 3
"""Captions off, then on, this many times: the jitter buffer drifts over a run by more
than the difference measured, so each state is measured in turns, not once each."""


def captions_ab(
    listener: Any, speaker: Any, seconds: float
) -> tuple[list[float], list[float], float]:
    """The first hop measured with the listener's captions off and on, in turns, for
    `seconds` each in all; the latencies off and on, and the recogniser's share of a core
    while on."""
    choice = listener.get_by_label("Captions", exact=True)
    choice.wait_for(state="visible")
    off: list[float] = []
    on: list[float] = []
    busy = 0.0
    for _ in range(ROUNDS):
        off += measure(speaker, listener, seconds / ROUNDS)
        choice.select_option(label="English")
        deadline = time.monotonic() + 30
        while not recognisers():
            assert time.monotonic() < deadline, "no recogniser started"
            time.sleep(0.2)
        time.sleep(3)  # its models loaded
        worker = recognisers()[0]
        cpu = _cpu_seconds(worker)
        on += measure(speaker, listener, seconds / ROUNDS)
        busy += _cpu_seconds(worker) - cpu
        choice.select_option(label="Off")
        while recognisers():
            assert time.monotonic() < deadline + 60, "the recogniser did not stop"
            time.sleep(0.2)
    return off, on, busy / seconds


def _cpu_seconds(pid: int) -> float:
    """CPU seconds process `pid` used so far (user and system)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> None:
    """Measure the hops on each backend asked for; with both, a table side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring time per hop")
    parser.add_argument(
        "--backend", choices=[*BACKENDS, "both"], default="both", help="the media plane"
    )
    parser.add_argument(
        "--event-loops", type=int, default=0, help="Janus event_loops (0: a thread per handle)"
    )
    parser.add_argument(
        "--captions", action="store_true", help="measure the first hop again, captions on"
    )
    args = parser.parse_args(argv)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav = write_clicks(folder / "clicks.wav", speech=_speech() if args.captions else None)
        for backend in backends:
            results[backend] = run(
                backend, wav, folder, args.seconds, args.event_loops, args.captions
            )
            print()
    print(f"{'hop (ms)':<12}" + "".join(f"{b + ' p50':>14}{b + ' p95':>14}" for b in backends))
    for hop in (
        ("speaker", "captions", "interpreter") if args.captions else ("speaker", "interpreter")
    ):
        cells = ""
        for backend in backends:
            figures = results[backend].get(hop) or {}
            for p in ("p50", "p95"):
                cells += f"{figures[p]:14.1f}" if p in figures else f"{'-':>14}"
        print(f"{hop:<12}{cells}")


if __name__ == "__main__":
    main()
