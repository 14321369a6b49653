"""Ingest-to-listener latency of room feeds: WHIP and RTMP, on either media backend.

A room's mixing desk or encoder feeds an event's floor over WHIP (WebRTC) or RTMP (to the
node's nginx, played back, decoded from AAC and sent on as Opus). This measures how long
a sound takes from the encoder's input to a listener of the floor.

Method. The server (the real app with the demo event, ``INTERPRETA_RTMP_PORT`` set, so it
runs nginx with the RTMP module) runs in a child process, with the embedded media plane
on 127.0.0.1, or with the Janus backend (``--backend janus``: a Janus started here on the
private address 10.77.0.1, added if missing; needs root). A listener joins through
signaling as a browser would, subscribes to the floor with an aiortc peer, and decodes
each Opus packet as it arrives (the RTP is tapped: no jitter buffer), stamping each
burst onset. On one machine, one clock (``time.monotonic``):

* **WHIP**: an aiortc peer publishes over WHIP with the event's ingest key; its track
  makes 20 ms frames in real time, a 2 kHz burst every 500 ms, each stamped when the
  sender takes it (where the encoder's input would be).
* **RTMP**: Debian's ffmpeg encodes AAC and publishes FLV to the node's nginx with the
  stream key; its input is raw PCM written to its stdin in real time by this process, a
  burst every second, each stamped when it is written (a lavfi source would not say when
  its bursts start).

The latency of a burst is its onset at the listener minus its stamp. Inside the figure:
encoding (Opus; for RTMP, AAC, then decoding and Opus), the network, nginx, the plane,
decoding. Outside: the listener's jitter buffer and playout (a browser adds its own
jitter buffer, some 20-40 ms on loopback: see ``bench/mouth_to_ear.py``).

    PYTHONPATH=src python bench/ingest_latency.py [--backend embedded|janus|both] [--bursts 32]

Goals: WHIP p95 <= 80 ms, RTMP p95 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mouth_to_ear import free_port, percentile, serve, wait_for_server
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess

BACKENDS = ("embedded", "janus")
RATE = 48000
FRAME = 960  # 20 ms
BURST_HZ = 2000
WHIP_PERIOD_FRAMES = 25  # 500 ms
RTMP_PERIOD_FRAMES = 50  # 1 s
WARM_UP_S = 2.0
GOALS_MS = {"WHIP": 80.0, "RTMP": 1000.0}
THRESHOLD = 0.1
"""The peak (of full scale) above which a decoded frame counts as a burst."""


def burst_frame() -> np.ndarray:
    """20 ms of a 2 kHz burst with 2 ms ramps, mono s16."""
    t = np.arange(FRAME) / RATE
    ramp = int(0.002 * RATE)
    envelope = np.ones(FRAME)
    envelope[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    envelope[-ramp:] = envelope[:ramp][::-1]
    return (0.6 * 32767 * np.sin(2 * np.pi * BURST_HZ * t) * envelope).astype(np.int16)


def ingest_key_of(data_dir: Path, code: str) -> str:
    """The ingest key of the event `code` in the data directory's database."""
    from sqlalchemy import select

    from interpreta.config import Settings
    from interpreta.events.models import Event
    from interpreta.platform import Platform

    platform = Platform.start(Settings(data_dir=data_dir, _env_file=None))  # type: ignore[call-arg]
    try:
        with platform.sessions() as db:
            key = db.scalar(select(Event.ingest_key).where(Event.code == code))
        assert key is not None
        return key
    finally:
        platform.close()


def latencies(sent: list[float], heard: list[float], window_s: float) -> tuple[list[float], int]:
    """Each sent burst's latency (ms) to the first onset heard within `window_s` after
    it; and how many were not heard."""
    out, missed = [], 0
    for s in sent:
        later = [h for h in heard if 0 <= h - s < window_s]
        if later:
            out.append((min(later) - s) * 1000)
        else:
            missed += 1
    return out, missed


def report(name: str, backend: str, values: list[float], missed: int) -> dict[str, float]:
    """Print one path's figures; its p50 and p95."""
    label = f"{backend:<9}{name:<5}"
    if not values:
        print(f"{label} no burst heard ({missed} sent)")
        return {}
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    goal = GOALS_MS[name]
    print(
        f"{label} n={len(values):3d} missed {missed}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"min {min(values):7.1f}  max {max(values):7.1f}  "
        f"goal p95 <= {goal:.0f} ms: {'met' if p95 <= goal else 'NOT met'}"
    )
    return {"p50": p50, "p95": p95}


class Onsets:
    """A listener's decoder of tapped Opus packets, stamping each burst's onset."""

    def __init__(self) -> None:
        import av

        self.decoder: Any = av.CodecContext.create("libopus", "r")
        self.decoder.sample_rate = RATE
        self.decoder.layout = "stereo"
        self.loud = False
        self.heard: list[float] = []

    def take(self, packet: Any) -> None:
        """Decode one packet as it arrives; stamp an onset."""
        import av

        arrived = time.monotonic()
        try:
            frames = self.decoder.decode(av.Packet(packet.payload))
        except av.FFmpegError:
            return
        for frame in frames:
            pcm = frame.to_ndarray()
            peak = float(np.abs(pcm).max())
            if pcm.dtype.kind == "i":
                peak /= 32768.0
            loud = peak > THRESHOLD
            if loud and not self.loud:
                self.heard.append(arrived)
            self.loud = loud


@dataclass
class Listener:
    """A listener of the floor: its signaling socket, its peer, what it heard."""

    ws: Any
    pc: Any
    onsets: Onsets
    drain: asyncio.Future[None]

    async def close(self) -> None:
        """Leave."""
        await self.pc.close()
        await self.ws.close()
        self.drain.cancel()


async def listen(base: str, code: str, addresses: Sequence[str] | None) -> Listener:
    """A listener of the floor through signaling (as a browser joins)."""
    import websockets
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from interpreta.media.forwarder.aiortc_hooks import host_addresses, tap_receiver

    ws = await websockets.connect(base.replace("http", "ws", 1) + f"/api/live/{code}")
    await ws.send(json.dumps({"type": "join", "role": "listener"}))
    welcome = json.loads(await ws.recv())
    floor = next(c["id"] for c in welcome["state"]["channels"] if c["kind"] == "floor")
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver("audio", direction="recvonly")
    onsets = Onsets()
    tap_receiver(transceiver.receiver, onsets.take)
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    await ws.send(
        json.dumps(
            {"type": "subscribe", "id": 1, "channel_id": floor, "sdp": pc.localDescription.sdp}
        )
    )
    while True:
        reply = json.loads(await ws.recv())
        if reply.get("id") == 1:
            break
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    async def drain() -> None:  # the state messages that follow
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    return Listener(ws, pc, onsets, asyncio.ensure_future(drain()))


def burst_track(period_frames: int, sent: list[float]) -> Any:
    """A track of 20 ms frames in real time, a burst every `period_frames`, each burst
    stamped into `sent` when the sender takes it (after the warm-up)."""
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
    from av import AudioFrame

    burst, silence = burst_frame(), np.zeros(FRAME, np.int16)

    class Bursts(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.start: float | None = None
            self.index = 0

        async def recv(self) -> AudioFrame:
            if self.readyState != "live":
                raise MediaStreamError
            if self.start is None:
                self.start = time.monotonic()
            else:
                self.index += 1
                await asyncio.sleep(self.start + self.index * FRAME / RATE - time.monotonic())
            on = self.index % period_frames == 0
            if on and time.monotonic() - self.start > WARM_UP_S:
                sent.append(time.monotonic())
            samples = burst if on else silence
            frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = self.index * FRAME
            frame.time_base = fractions.Fraction(1, RATE)
            return frame

    return Bursts()


async def measure_whip(
    base: str, code: str, key: str, addresses: Sequence[str] | None, onsets: Onsets, bursts: int
) -> tuple[list[float], int]:
    """Publish bursts over WHIP for `bursts` periods; the latencies and the misses."""
    import httpx
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from interpreta.media.forwarder.aiortc_hooks import host_addresses

    sent: list[float] = []
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(burst_track(WHIP_PERIOD_FRAMES, sent), direction="sendonly")
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient(timeout=30) as http:
        created = await http.post(
            f"{base}/api/live/{code}/whip",
            content=pc.localDescription.sdp.encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
        )
        if created.status_code != 201:
            raise RuntimeError(f"WHIP refused: {created.status_code} {created.text}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=created.text, type="answer"))
        heard_before = len(onsets.heard)
        period = WHIP_PERIOD_FRAMES * FRAME / RATE
        await asyncio.sleep(WARM_UP_S + period * (bursts + 1))
        await http.delete(created.headers["location"], headers={"Authorization": f"Bearer {key}"})
    await pc.close()
    return latencies(sent[:bursts], onsets.heard[heard_before:], period)


def _write_pcm(stdin: Any, period_frames: int, stop: threading.Event, sent: list[float]) -> None:
    """Write silence and bursts to ffmpeg's stdin in real time until `stop`, stamping
    each burst."""
    burst, silence = burst_frame().tobytes(), np.zeros(FRAME, np.int16).tobytes()
    start = time.monotonic()
    index = 0
    with contextlib.suppress(BrokenPipeError, ValueError):
        while not stop.is_set():
            on = index % period_frames == 0 and index > 0
            if on:
                sent.append(time.monotonic())
            stdin.write(burst if on else silence)
            stdin.flush()
            index += 1
            time.sleep(max(0.0, start + index * FRAME / RATE - time.monotonic()))
        stdin.close()


async def measure_rtmp(
    rtmp_port: int, code: str, key: str, onsets: Onsets, bursts: int
) -> tuple[list[float], int]:
    """Publish bursts through ffmpeg (AAC, RTMP); once the first is heard (the feed is on
    the floor), `bursts` more; their latencies and misses."""
    sent: list[float] = []
    period = RTMP_PERIOD_FRAMES * FRAME / RATE
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-fflags", "nobuffer"]
    command += ["-probesize", "32", "-analyzeduration", "0"]
    command += ["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]
    command += ["-c:a", "aac", "-b:a", "128k", "-flush_packets", "1", "-f", "flv"]
    command += [f"rtmp://127.0.0.1:{rtmp_port}/live/{code}-{key}"]
    ffmpeg = subprocess.Popen(command, stdin=subprocess.PIPE)
    heard_before = len(onsets.heard)
    stop = threading.Event()
    writer = threading.Thread(
        target=_write_pcm, args=(ffmpeg.stdin, RTMP_PERIOD_FRAMES, stop, sent), daemon=True
    )
    writer.start()
    deadline = time.monotonic() + 30
    while len(onsets.heard) == heard_before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    on_floor = time.monotonic()
    await asyncio.sleep(WARM_UP_S + period * (bursts + 1))
    stop.set()
    await asyncio.to_thread(writer.join)
    try:
        await asyncio.to_thread(ffmpeg.wait, 10)
    except subprocess.TimeoutExpired:
        ffmpeg.kill()
    counted = [s for s in sent if s > on_floor + WARM_UP_S][:bursts]
    return latencies(counted, onsets.heard[heard_before:], period)


async def measure(
    base: str, rtmp_port: int, code: str, key: str, addresses: Sequence[str] | None, bursts: int
) -> dict[str, tuple[list[float], int]]:
    """Both paths, one after the other, heard by one listener."""
    listener = await listen(base, code, addresses)
    try:
        onsets = listener.onsets
        results = {"WHIP": await measure_whip(base, code, key, addresses, onsets, bursts)}
        await asyncio.sleep(1)
        results["RTMP"] = await measure_rtmp(rtmp_port, code, key, onsets, bursts)
        return results
    finally:
        await listener.close()


def run(backend: str, folder: Path, bursts: int) -> dict[str, dict[str, float]]:
    """Serve the demo on `backend` with RTMP ingest on; measure both paths."""
    with contextlib.ExitStack() as stack:
        rtmp_port = free_port()
        media: dict[str, str] = {
            "media_backend": backend,
            "rtmp_port": str(rtmp_port),
            "rtmp_host": "127.0.0.1",
        }
        addresses: tuple[str, ...] | None = ("127.0.0.1",)
        if backend == "janus":
            address = ensure_host_address()
            janus = JanusProcess(ice_address=address)
            stack.enter_context(janus)
            media |= {"janus_url": janus.url}
            addresses = (address,)
        data = folder / f"data-{backend}"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        child = multiprocessing.get_context("spawn").Process(
            target=serve, args=(str(data), port, media), daemon=True
        )
        child.start()
        stack.callback(child.join, 10)
        stack.callback(child.terminate)
        code = wait_for_server(base, data)
        key = ingest_key_of(data, code)
        print(
            f"{backend}: WHIP bursts every {WHIP_PERIOD_FRAMES * 20} ms, RTMP bursts every "
            f"{RTMP_PERIOD_FRAMES * 20} ms, {bursts} each, heard by a tapped aiortc listener"
        )
        found = asyncio.run(measure(base, rtmp_port, code, key, addresses, bursts))
        return {name: report(name, backend, *found[name]) for name in ("WHIP", "RTMP")}


def main(argv: list[str] | None = None) -> None:
    """Measure both ingest paths on each backend asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bursts", type=int, default=32, help="bursts measured per path")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="embedded")
    args = parser.parse_args(argv)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            results[backend] = run(backend, Path(tmp), args.bursts)
            print()
    print(f"{'path (ms)':<10}" + "".join(f"{b + ' p50':>14}{b + ' p95':>14}" for b in backends))
    for path in ("WHIP", "RTMP"):
        cells = ""
        for backend in backends:
            figures = results[backend].get(path) or {}
            for p in ("p50", "p95"):
                cells += f"{figures[p]:14.1f}" if p in figures else f"{'-':>14}"
        print(f"{path:<10}{cells}")


if __name__ == "__main__":
    main()
