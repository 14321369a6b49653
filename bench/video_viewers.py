"""How many viewers of one 720p video stream one core serves, on each media backend.

Processes, so that the viewers do not eat the measured core:

* the **server** pinned to one CPU (``--server-cpu``): with ``--backend embedded`` the
  media plane itself (``EmbeddedMediaPlane``), driven over JSON lines on TCP as in
  ``bench/media_listeners.py``; with ``--backend janus`` **Janus** (a fresh one for each
  viewer count, started pinned as in ``bench/media_janus.py``), while the plane
  (``JanusMediaPlane``, signalling only) runs in its own process on the other CPUs;
* one **publisher** on the other CPUs, on air on a video channel, sending **pre-encoded**
  VP8 so that its CPU does not matter (below);
* ``--client-procs`` **viewer** processes on the other CPUs, each holding many aiortc
  peer connections (``recvonly`` video) whose receivers are *tapped*, not decoded
  (``tap_video_receiver``): each viewer reassembles its frames and records when each
  decodable frame was complete (``bench/video_scores.py``).

**The publisher.** Before the first run, ``--clip-seconds`` (10 s) of a moving 1280x720
test pattern (a scrolling texture and a sliding box) are encoded once with libvpx through
PyAV, 30 frames a second, ``--bitrate-kbps`` (1,500) with a key frame every
``--key-interval`` (2 s), realtime settings at a fixed speed (the same bytes every run).
The publisher's track returns those frames as ``av.Packet``s paced at 30 fps (pts in
1/90000 s, going up forever), looping over the clip; aiortc's ``RTCRtpSender`` packetises
an ``av.Packet`` without encoding it. A pre-encoded loop cannot make a key frame on
demand, and the plane asks the publisher for one (an RTCP PLI) whenever a viewer needs
one (a new viewer, or one that lost a frame): the sender's key frame hook
(``on_key_frame_request``) makes the track **jump to the next key frame of the clip**,
which it sends as its next frame. The frame rate is unchanged
(frames are skipped, not delayed), so a PLI costs what it costs with a live encoder (one
extra key frame for every viewer) and the picture jumps forward a little, which nobody
watches here. The loop's seam is decodable because the clip starts with a key frame.
The PLIs answered during the window are printed (``PLIs``).

For each viewer count in ``--viewers``, after ``--warmup`` seconds, over ``--duration``
seconds it measures:

* ``server cpu%``: the server's CPU time (every thread, from ``/proc/<pid>/stat``) over
  wall time, 100 = one core: the embedded plane's process, or Janus;
* ``cpu%/viewer``: that over the viewer count (the publisher's ingest is included);
* ``frames on time``: decodable frames complete at a viewer within ``--on-time-ms``
  (100 ms) of that viewer's best transit, over the frames the publisher sent in the
  window (lost, incomplete and undecodable frames count as late), the viewers' mean;
* ``view≥99%``: the share of viewers with at least 99 % of their frames on time;
* ``p99 delay ms``: the viewers' median 99th percentile frame delay over their best
  transit;
* ``on time (server)`` (embedded only): frames handed to a viewer's RTP sender within
  50 ms of their arrival at the plane, over those sent plus those dropped;
* ``Mbit/s/viewer``: RTP payload received per viewer (retransmissions included);
* ``PLIs``, ``key frames``: key frame requests the publisher answered, and key frames it
  sent, in the window (without loss: one key frame per ``--key-interval``);
* ``client cpu%``: the viewer processes' and the publisher's CPU, 100 per busy core, out
  of ``100 x`` the CPUs they share;
* ``busy: server CPU``, ``client CPUs``: how busy those CPUs were, whoever used them
  (``/proc/stat``). Rows whose client CPUs were 90 % busy or more are marked ``*``
  (client-bound: late frames there may be the clients', not the server's); rows where
  other processes took 10 % or more of the server's CPU are marked ``!`` (contended: run
  it on a quiet machine).

Then, per backend, **viewers per core**, two figures, labelled:

* *measured*: the largest count with at least 99 % of the viewers at 99 % of frames on
  time and the server below 90 % of its core;
* *extrapolated*: the count at which the server would use a whole core, from a straight
  line fitted to its CPU over the counts that were on time (all counts if fewer than two
  were): ``a + b x viewers`` solved for 100 %; and, more conservatively, the largest of
  those counts over its own server CPU (the publisher's ingest included).

Run from the repository root (Janus needs root, for the address it meets the peers on,
see ``interpreta.media.janus.hostaddress``)::

    PYTHONPATH=src .venv/bin/python bench/video_viewers.py --backend embedded --viewers 5,10,20
    PYTHONPATH=src .venv/bin/python bench/video_viewers.py --backend janus --viewers 5,10,20,40
    PYTHONPATH=src .venv/bin/python bench/video_viewers.py --backend both --json > video.json

``--json`` prints the table on stderr and the figures as one JSON document on stdout.

On a machine with few CPUs the client side limits what can be measured. A viewer's
arrival times are taken when its process's event loop handles the packets (not when the
kernel received them), and one viewer process handles all its viewers in turn (~130
packets a second each at 1.5 Mbit/s, in Python; a key frame, ~40 KB, is a burst of ~35
packets to every viewer at once): as that process fills up, its viewers' frames come
late before its CPU is saturated on average. On 2 CPUs (one for the server, one for one
viewer process and the publisher) the counts stop between 40 and 60 viewers, the client
CPU at 60 to 90 % and the server at 35 to 75 % of its core: the per-core figure to read
there is the extrapolation. On a shared machine, check the ``busy`` columns: other
processes on the measured CPU make every figure of their row worse.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import math
import multiprocessing as mp
import os
import queue
import statistics
import sys
import time
from collections.abc import Awaitable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TextIO

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.listener_scores import ClientFigures, listener_counts
from bench.media_janus import _cpu_seconds, _rss_mib
from bench.media_listeners import _pin, _request, _request_sync
from bench.video_scores import VIDEO_RATE, Watched, score_frames
from interpreta.media.forwarder.aiortc_hooks import VIDEO_TIME_BASE, sender_packet

__all__ = ["EncodedClip", "LoopedCamera", "Row", "encode_clip", "main", "run_one"]

FPS = 30
WIDTH, HEIGHT = 1280, 720
LOOPBACK = ("127.0.0.1",)
CHANNEL = "cam"
BACKENDS = ("embedded", "janus")
SERVER_LATE_MS = 50
"""``VideoForwardingTrack``'s default lateness threshold (the embedded plane's)."""


# --- the pre-encoded camera ------------------------------------------------------------------


@dataclass(frozen=True)
class EncodedClip:
    """A VP8 clip encoded once: each frame's bytes and whether it is a key frame."""

    frames: tuple[bytes, ...]
    "The encoded frames, in order (the first is a key frame)."
    keys: tuple[bool, ...]
    "Whether each frame is a key frame."
    fps: int
    "Frames a second."

    @property
    def seconds(self) -> float:
        """The clip's length."""
        return len(self.frames) / self.fps

    @property
    def bitrate_kbps(self) -> float:
        """Its mean bit rate (kbit/s)."""
        return 8 * sum(map(len, self.frames)) / self.seconds / 1000

    @property
    def key_frame_count(self) -> int:
        """How many of its frames are key frames."""
        return sum(self.keys)

    def next_key(self, index: int) -> int:
        """The index of the first key frame at or after `index`, looping."""
        count = len(self.frames)
        for step in range(count):
            if self.keys[(index + step) % count]:
                return (index + step) % count
        return index % count


def _test_pattern(count: int) -> Iterator[av.VideoFrame]:
    """`count` frames of a moving 1280x720 test pattern: a texture scrolling sideways
    (a little noise in it, as a camera has) and a bright box sliding over it."""
    import numpy as np

    rng = np.random.default_rng(1)
    ys, xs = np.mgrid[0:HEIGHT, 0 : 2 * WIDTH]
    texture = np.empty((HEIGHT, 2 * WIDTH, 3), np.uint8)
    texture[..., 0] = (xs // 3) % 256
    texture[..., 1] = (ys // 2 + (xs // 80) * 16) % 256
    texture[..., 2] = (128 + 100 * np.sin(xs / 50.0) * np.cos(ys / 40.0)).astype(np.uint8)
    texture += rng.integers(0, 6, size=texture.shape, dtype=np.uint8)
    for i in range(count):
        offset = (8 * i) % WIDTH
        pixels = np.ascontiguousarray(texture[:, offset : offset + WIDTH])
        x = (20 * i) % (WIDTH - 200)
        y = int(260 + 200 * math.sin(i / 15))
        pixels[y : y + 200, x : x + 200] = (250, 250, 40)
        yield av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")


def encode_clip(
    seconds: float = 10.0, bitrate_kbps: int = 1500, key_interval: float = 2.0, fps: int = FPS
) -> EncodedClip:
    """Encode `seconds` of the test pattern with libvpx (VP8), realtime settings
    (deterministic: the same bytes on every run)."""
    encoder: Any = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height = WIDTH, HEIGHT
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = fractions.Fraction(1, fps)
    encoder.framerate = fractions.Fraction(fps, 1)
    encoder.bit_rate = bitrate_kbps * 1000
    gop = max(1, round(key_interval * fps))
    encoder.gop_size = gop
    # A negative cpu-used fixes libvpx's realtime speed (a positive one adapts it to the
    # time each frame took), and one thread: the same clip on every run, whatever the load.
    encoder.options = {
        "deadline": "realtime",
        "cpu-used": "-8",
        "lag-in-frames": "0",
        "auto-alt-ref": "0",
        "keyint_min": str(gop),
        "maxrate": str(bitrate_kbps * 1000),
        "bufsize": str(bitrate_kbps * 1000),
        "threads": "1",
    }
    frames: list[bytes] = []
    keys: list[bool] = []

    def take(packets: list[av.Packet]) -> None:
        for packet in packets:
            frames.append(bytes(packet))
            keys.append(bool(packet.is_keyframe))

    for index, frame in enumerate(_test_pattern(round(seconds * fps))):
        frame.pts = index
        frame.time_base = encoder.time_base
        take(encoder.encode(frame))
    take(encoder.encode(None))
    if not keys or not keys[0]:
        raise RuntimeError("the encoded clip does not start with a key frame")
    return EncodedClip(tuple(frames), tuple(keys), fps)


class LoopedCamera(MediaStreamTrack):
    """A video track that plays an :class:`EncodedClip` in a loop, in real time.

    ``recv()`` returns ``av.Packet``s (sent as they are, not encoded). After
    :meth:`request_key_frame` the next frame sent is the clip's next key frame.
    """

    kind = "video"

    def __init__(self, clip: EncodedClip, requests: Any = None, key_frames: Any = None) -> None:
        """
        :param requests: a shared counter (``multiprocessing.Value``) of key frame
            requests, or ``None``.
        :param key_frames: a shared counter of key frames sent, or ``None``.
        """
        super().__init__()
        self._clip = clip
        self._requests = requests
        self._key_frames = key_frames
        self._position = 0
        self._sent = 0
        self._start: float | None = None
        self._jump = False
        self._ticks = VIDEO_RATE // clip.fps

    def request_key_frame(self) -> None:
        """Send the clip's next key frame next (the sender's PLI/FIR hook)."""
        self._jump = True
        if self._requests is not None:
            with self._requests.get_lock():
                self._requests.value += 1

    async def recv(self) -> av.Packet:
        """The next frame, when it is due."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._sent / self._clip.fps
        if due > now:
            await asyncio.sleep(due - now)
        if self._jump:
            self._jump = False
            self._position = self._clip.next_key(self._position)
        data, key = self._clip.frames[self._position], self._clip.keys[self._position]
        if key and self._key_frames is not None:
            with self._key_frames.get_lock():
                self._key_frames.value += 1
        packet = sender_packet(data, self._sent * self._ticks, VIDEO_TIME_BASE)
        self._sent += 1
        self._position = (self._position + 1) % len(self._clip.frames)
        return packet


# --- the server: the plane, behind JSON lines ------------------------------------------------


def _server_main(backend: str, url: str, threads: int, cpus: set[int], port_queue: Any) -> None:
    _pin(cpus)
    asyncio.run(_serve(backend, url, threads, port_queue))


async def _serve(backend: str, url: str, threads: int, port_queue: Any) -> None:
    from interpreta.media.plane import MediaKind, MediaPlane

    plane: MediaPlane
    if backend == "janus":
        from interpreta.media.janus import JanusMediaPlane

        plane = JanusMediaPlane(url, mountpoint_threads=threads, timeout=30, video_codec="VP8")
    else:
        from interpreta.media.forwarder import EmbeddedMediaPlane

        plane = EmbeddedMediaPlane(host_addresses=LOOPBACK, video_codec="VP8")
    await plane.open_channel(CHANNEL, MediaKind.VIDEO)
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        message = json.loads(await reader.readline())
        op = message["op"]
        reply: dict[str, Any] = {}
        try:
            if op == "publish":
                reply["sdp"] = await plane.publish(CHANNEL, message["peer"], message["sdp"])
                await plane.set_source(CHANNEL, message["peer"])
            elif op == "subscribe":
                reply["sdp"] = await plane.subscribe(CHANNEL, message["peer"], message["sdp"])
            elif op == "mark":
                stats = plane.channel_stats(CHANNEL)
                reply = {
                    "sent": sum(s.packets_sent for s in stats.subscribers),
                    "late": sum(s.packets_late for s in stats.subscribers),
                    "dropped": sum(s.packets_dropped for s in stats.subscribers),
                }
            elif op == "stop":
                done.set()
        except Exception as error:
            reply = {"error": f"{op}: {type(error).__name__}: {error}"}
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_queue.put(server.sockets[0].getsockname()[1])
    await done.wait()
    os._exit(0)  # skip closing every peer connection one by one


def _checked(reply: dict[str, Any]) -> dict[str, Any]:
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply


# --- publisher -------------------------------------------------------------------------------


def _publisher_main(
    port: int,
    clip: EncodedClip,
    cpus: set[int],
    ready: Any,
    requests: Any,
    key_frames: Any,
    addresses: tuple[str, ...],
) -> None:
    _pin(cpus)
    asyncio.run(_publish(port, clip, ready, requests, key_frames, addresses))


async def _publish(
    port: int,
    clip: EncodedClip,
    ready: Any,
    requests: Any,
    key_frames: Any,
    addresses: tuple[str, ...],
) -> None:
    from aiortc import (
        RTCConfiguration,
        RTCPeerConnection,
        RTCRtpSender,
        RTCSessionDescription,
    )

    from interpreta.media.forwarder.aiortc_hooks import host_addresses, on_key_frame_request

    try:
        camera = LoopedCamera(clip, requests, key_frames)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = pc.addTransceiver(camera, direction="sendonly")
        wanted = ("video/vp8", "video/rtx")
        transceiver.setCodecPreferences(
            [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType.lower() in wanted
            ]
        )
        on_key_frame_request(transceiver.sender, camera.request_key_frame)
        with host_addresses(addresses):
            await pc.setLocalDescription(await pc.createOffer())
        message = {"op": "publish", "peer": "cam", "sdp": pc.localDescription.sdp}
        reply = _checked(await _request(port, message))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    except Exception as error:
        ready.put({"who": "publisher", "error": f"{type(error).__name__}: {error}"})
        return
    ready.put({"who": "publisher"})
    await asyncio.Event().wait()


# --- viewers ---------------------------------------------------------------------------------


def _client_main(
    port: int,
    index: int,
    count: int,
    cpus: set[int],
    ready: Any,
    commands: Any,
    results: Any,
    addresses: tuple[str, ...],
) -> None:
    _pin(cpus)
    asyncio.run(_watch(port, index, count, ready, commands, results, addresses))


async def _watch(
    port: int,
    index: int,
    count: int,
    ready: Any,
    commands: Any,
    results: Any,
    addresses: tuple[str, ...],
) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from interpreta.media.forwarder.aiortc_hooks import (
        host_addresses,
        request_key_frame,
        tap_video_receiver,
    )

    watched: list[Watched] = []
    pcs: list[Any] = []
    tasks: set[asyncio.Future[Any]] = set()

    def spawn(coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def one(n: int) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        transceiver = pc.addTransceiver("video", direction="recvonly")
        receiver = transceiver.receiver

        def ask(ssrc: int) -> None:
            spawn(request_key_frame(receiver, ssrc))

        record = Watched(ask)
        watched.append(record)
        tap_video_receiver(receiver, record.on_packet, spawn)
        with host_addresses(addresses):
            await pc.setLocalDescription(await pc.createOffer())
        message = {"op": "subscribe", "peer": f"v{index}-{n}", "sdp": pc.localDescription.sdp}
        reply = _checked(await _request(port, message))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    try:
        batch = 10
        for first in range(0, count, batch):
            await asyncio.gather(*(one(n) for n in range(first, min(count, first + batch))))
    except Exception as error:
        ready.put({"who": f"viewers {index}", "error": f"{type(error).__name__}: {error}"})
        return
    deadline = time.monotonic() + 60
    while any(pc.connectionState != "connected" for pc in pcs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    connected = sum(1 for pc in pcs if pc.connectionState == "connected")
    ready.put({"who": f"viewers {index}", "connected": connected, "count": count})

    loop = asyncio.get_running_loop()
    start, end, on_time = await loop.run_in_executor(None, commands.get)
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu_start, wall_start = time.process_time(), time.monotonic()
    bytes_start = [r.bytes_received for r in watched]
    await asyncio.sleep(max(0.0, end - time.monotonic()))
    cpu = (time.process_time() - cpu_start) / (time.monotonic() - wall_start)
    seconds = time.monotonic() - wall_start
    mbps = [
        8 * (r.bytes_received - b) / seconds / 1e6
        for r, b in zip(watched, bytes_start, strict=True)
    ]
    await asyncio.sleep(0.3)  # frames completing after the window are not counted anyway
    results.put(
        {
            "index": index,
            "cpu": cpu,
            "subs": [score_frames(r, start, end, on_time, FPS) for r in watched],
            "mbps": mbps,
        }
    )
    results.close()
    results.join_thread()
    os._exit(0)  # the server is going away too: no need to close the peer connections


# --- orchestration ---------------------------------------------------------------------------


@dataclass
class Row:
    """One backend's and viewer count's results."""

    backend: str
    viewers: int
    cpu: float
    "The server's CPU time over wall time (1 = one core)."
    clients: ClientFigures
    "The viewers' on-time figures and the viewer processes' CPU."
    client_cpu: float
    "The viewer processes' and the publisher's CPU (1 = one core)."
    client_cpus: int
    "The CPUs the viewers and the publisher share."
    server_cpu_busy: float
    "How busy the server's CPU was, whoever used it (1 = fully busy)."
    client_cpus_busy: float
    "How busy the clients' CPUs were, whoever used them (1 = all fully busy)."
    server_on_time: float | None
    "Embedded only: frames handed to the senders in time, over those sent plus dropped."
    mbps: float
    "Mean RTP payload received per viewer, Mbit/s."
    key_frame_requests: int
    "Key frame requests (PLI/FIR) the publisher got in the window."
    key_frames: int
    "Key frames the publisher sent in the window."
    rss_mib: float
    "The server's resident memory at the end of the window."

    @property
    def client_bound(self) -> bool:
        """Whether the clients' CPUs were 90 % busy or more (by the clients or not)."""
        return self.client_cpus_busy >= 0.9

    @property
    def contended(self) -> bool:
        """Whether other processes used 10 % or more of the server's CPU meanwhile."""
        return self.server_cpu_busy - self.cpu >= 0.1

    @property
    def on_time(self) -> bool:
        """Whether at least 99 % of the viewers got 99 % of their frames on time."""
        return self.clients.subs_99 >= 0.99

    @property
    def passed(self) -> bool:
        """On time, with the server below 90 % of its core."""
        return self.on_time and self.cpu < 0.9


def _busy_ticks(cpus: set[int]) -> tuple[int, int]:
    """Busy and total clock ticks of `cpus` since boot, all processes (``/proc/stat``)."""
    busy = total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu" or int(name[3:]) not in cpus:
            continue
        ticks = [int(f) for f in fields[:8]]  # user nice system idle iowait irq softirq steal
        total += sum(ticks)
        busy += sum(ticks) - ticks[3] - ticks[4]
    return busy, total


def _busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the ticks between two :func:`_busy_ticks` readings that were busy."""
    return (after[0] - before[0]) / max(1, after[1] - before[1])


def _wait_ready(ready: Any, count: int, timeout: float) -> list[dict[str, Any]]:
    """`count` readiness messages; raises on an error or a viewer that did not connect."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(messages) < count:
        try:
            message = ready.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"only {len(messages)} of {count} processes got ready") from None
        if "error" in message:
            raise RuntimeError(f"{message['who']} failed: {message['error']}")
        if message.get("connected", 0) < message.get("count", 0):
            raise RuntimeError(
                f"{message['who']}: only {message['connected']} of {message['count']} "
                "viewers connected"
            )
        messages.append(message)
    return messages


def run_one(backend: str, viewers: int, clip: EncodedClip, args: argparse.Namespace) -> Row:
    """Start the server, the publisher and the viewers; measure one window."""
    ctx = mp.get_context("spawn")
    all_cpus = set(range(os.cpu_count() or 1))
    other_cpus = (all_cpus - {args.server_cpu}) or all_cpus
    port_queue, ready, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    requests, key_frames = ctx.Value("q", 0), ctx.Value("q", 0)
    procs: list[BaseProcess] = []
    janus: Any = None
    try:
        if backend == "janus":
            from interpreta.media.janus.hostaddress import ensure_host_address
            from interpreta.media.janus.process import JanusProcess

            address = ensure_host_address()
            addresses: tuple[str, ...] = (address,)
            # Pinned by taskset before exec, so every thread Janus starts inherits it.
            janus = JanusProcess(
                ice_address=address,
                cpus={args.server_cpu},
                debug_level=2,
                event_loops=args.event_loops,
            )
            janus.start()
            server_pid = janus.pid
            affinity = os.sched_getaffinity(server_pid)
            if affinity != {args.server_cpu}:
                raise RuntimeError(f"Janus runs on CPUs {sorted(affinity)}, not the one asked")
            plane = ctx.Process(
                target=_server_main,
                args=("janus", janus.url, args.threads, other_cpus, port_queue),
                daemon=True,
            )
        else:
            addresses = LOOPBACK
            plane = ctx.Process(
                target=_server_main,
                args=("embedded", "", 0, {args.server_cpu}, port_queue),
                daemon=True,
            )
        procs.append(plane)
        plane.start()
        if backend != "janus":
            server_pid = plane.pid
        try:
            port = port_queue.get(timeout=60)
        except queue.Empty:
            raise RuntimeError("the plane process did not start") from None
        publisher = ctx.Process(
            target=_publisher_main,
            args=(port, clip, other_cpus, ready, requests, key_frames, addresses),
            daemon=True,
        )
        procs.append(publisher)
        publisher.start()
        _wait_ready(ready, 1, timeout=60)
        count = max(1, min(args.client_procs, viewers))
        shares = [viewers // count + (1 if i < viewers % count else 0) for i in range(count)]
        commands = [ctx.Queue() for _ in range(count)]
        clients = [
            ctx.Process(
                target=_client_main,
                args=(port, i, shares[i], other_cpus, ready, commands[i], results, addresses),
                daemon=True,
            )
            for i in range(count)
        ]
        procs += clients
        for client in clients:
            client.start()
        _wait_ready(ready, count, timeout=300)
        time.sleep(args.warmup)

        assert server_pid is not None and publisher.pid is not None
        start = time.monotonic() + 0.2
        end = start + args.duration
        for command in commands:
            command.put((start, end, args.on_time_ms / 1000))
        time.sleep(max(0.0, start - time.monotonic()))
        first = _checked(_request_sync(port, {"op": "mark"}))
        cpu_start, pub_start, wall_start = (
            _cpu_seconds(server_pid),
            _cpu_seconds(publisher.pid),
            time.monotonic(),
        )
        server_busy, client_busy = _busy_ticks({args.server_cpu}), _busy_ticks(other_cpus)
        requests_start, keys_start = requests.value, key_frames.value
        time.sleep(max(0.0, end - time.monotonic()))
        wall = time.monotonic() - wall_start
        cpu = (_cpu_seconds(server_pid) - cpu_start) / wall
        publisher_cpu = (_cpu_seconds(publisher.pid) - pub_start) / wall
        server_busy_share = _busy_share(server_busy, _busy_ticks({args.server_cpu}))
        client_busy_share = _busy_share(client_busy, _busy_ticks(other_cpus))
        requests_window, keys_window = (
            requests.value - requests_start,
            key_frames.value - keys_start,
        )
        last = _checked(_request_sync(port, {"op": "mark"}))
        rss = _rss_mib(server_pid)

        reports = []
        for _ in clients:
            try:
                reports.append(results.get(timeout=120))
            except queue.Empty:
                raise RuntimeError("a viewer process did not report") from None
        collected: queue.Queue[dict[str, Any]] = queue.Queue()
        for report in reports:
            collected.put(report)
        figures = ClientFigures.collect(collected, len(reports), timeout=1)
        rates = [rate for report in reports for rate in report["mbps"]]
        with contextlib.suppress(OSError, ValueError):
            _request_sync(port, {"op": "stop"})
    finally:
        for proc in reversed(procs):
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)
        if janus is not None:
            janus.stop()

    server_on_time = None
    if backend == "embedded":
        sent = last["sent"] - first["sent"]
        late = last["late"] - first["late"]
        dropped = last["dropped"] - first["dropped"]
        server_on_time = (sent - late) / max(1, sent + dropped)
    return Row(
        backend=backend,
        viewers=viewers,
        cpu=cpu,
        clients=figures,
        client_cpu=figures.cpu + publisher_cpu,
        client_cpus=len(other_cpus),
        server_cpu_busy=server_busy_share,
        client_cpus_busy=client_busy_share,
        server_on_time=server_on_time,
        mbps=statistics.fmean(rates) if rates else 0.0,
        key_frame_requests=requests_window,
        key_frames=keys_window,
        rss_mib=rss,
    )


# --- viewers per core ------------------------------------------------------------------------


@dataclass(frozen=True)
class PerCore:
    """One backend's viewers per core: measured and extrapolated."""

    backend: str
    measured: int | None
    "The largest count that passed (on time, server below 90 %); ``None`` if none did."
    extrapolated: float | None
    "Where the fitted server CPU reaches one core; ``None`` if it cannot be fitted."
    base_cpu: float
    "The fit's intercept: the server's CPU with no viewer (the publisher's ingest)."
    cpu_per_viewer: float
    "The fit's slope: the server's CPU per viewer (1 = one core)."
    fitted_counts: tuple[int, ...]
    "The viewer counts the line was fitted to."
    simple: float | None
    "The largest of those counts over its server CPU (the publisher's ingest included)."
    simple_count: int | None
    "That count."


def per_core(backend: str, rows: list[Row]) -> PerCore:
    """Viewers per core from one backend's rows (see the module's docstring)."""
    mine = [r for r in rows if r.backend == backend]
    passed = [r.viewers for r in mine if r.passed]
    fitted = [r for r in mine if r.on_time] or mine
    base, slope = 0.0, 0.0
    extrapolated: float | None = None
    if len({r.viewers for r in fitted}) >= 2:
        slope, base = statistics.linear_regression(
            [float(r.viewers) for r in fitted], [r.cpu for r in fitted]
        )
        if slope > 0:
            extrapolated = (1 - base) / slope
    elif fitted and fitted[0].cpu > 0:
        slope = fitted[0].cpu / fitted[0].viewers
        extrapolated = fitted[0].viewers / fitted[0].cpu
    largest = max(fitted, key=lambda r: r.viewers, default=None)
    simple = None if largest is None or largest.cpu <= 0 else largest.viewers / largest.cpu
    return PerCore(
        backend=backend,
        measured=max(passed) if passed else None,
        extrapolated=extrapolated,
        base_cpu=base,
        cpu_per_viewer=slope,
        fitted_counts=tuple(r.viewers for r in fitted),
        simple=simple,
        simple_count=None if largest is None else largest.viewers,
    )


# --- printing --------------------------------------------------------------------------------

_HEADER = f"{'frames on time':>16} {'view≥99%':>9} {'p99 delay ms':>12}"
"The header of :meth:`ClientFigures.cells`'s columns, for frames and viewers."


def _print_header(clip: EncodedClip, args: argparse.Namespace, out: TextIO) -> None:
    print(
        f"one {WIDTH}x{HEIGHT} VP8 stream, {clip.fps} fps, {clip.bitrate_kbps:,.0f} kbit/s, "
        f"{clip.key_frame_count} key frames in a {clip.seconds:g} s loop; server pinned to "
        f"CPU {args.server_cpu}, {args.duration:g} s window after {args.warmup:g} s; on time "
        f"= within {args.on_time_ms:g} ms (client) / {SERVER_LATE_MS} ms (server); "
        f"{args.client_procs} viewer processes; {os.cpu_count()} CPUs",
        file=out,
    )
    print(
        f"{'backend':8} {'viewers':>7} {'server cpu%':>11} {'cpu%/viewer':>11} {_HEADER} "
        f"{'on time (server)':>16} {'Mbit/s/viewer':>13} {'PLIs':>5} {'key frames':>10} "
        f"{'client cpu%':>11} {'busy: server CPU':>16} {'client CPUs':>11} {'RSS MiB':>8}",
        file=out,
    )


def _print_row(row: Row, out: TextIO) -> None:
    server = "-" if row.server_on_time is None else f"{100 * row.server_on_time:.2f}%"
    client = f"{100 * row.client_cpu:.0f}/{100 * row.client_cpus}"
    server_busy = f"{100 * row.server_cpu_busy:.0f}%" + ("!" if row.contended else " ")
    client_busy = f"{100 * row.client_cpus_busy:.0f}%" + ("*" if row.client_bound else " ")
    print(
        f"{row.backend:8} {row.viewers:7d} {100 * row.cpu:11.1f} "
        f"{100 * row.cpu / row.viewers:11.2f} {row.clients.cells()} {server:>16} "
        f"{row.mbps:13.2f} {row.key_frame_requests:5d} {row.key_frames:10d} {client:>11} "
        f"{server_busy:>16} {client_busy:>11} {row.rss_mib:8.1f}",
        file=out,
        flush=True,
    )


def _print_per_core(result: PerCore, out: TextIO) -> None:
    measured = (
        f"{result.measured}"
        if result.measured is not None
        else "none (no count had ≥ 99 % of viewers ≥ 99 % on time with the server < 90 %)"
    )
    print(
        f"{result.backend}: viewers per core, measured (largest count on time, server < 90 %):"
        f" {measured}",
        file=out,
    )
    if result.extrapolated is None:
        print(f"{result.backend}: viewers per core, extrapolated: -", file=out)
        return
    how = (
        f"server cpu ≈ {100 * result.base_cpu:.1f}% + {100 * result.cpu_per_viewer:.2f}% "
        f"x viewers, fitted to {list(result.fitted_counts)}, solved for 100 %"
        if len(result.fitted_counts) >= 2
        else f"{result.fitted_counts[0]} viewers over their server cpu"
    )
    print(
        f"{result.backend}: viewers per core, extrapolated: ~{result.extrapolated:,.0f} ({how})",
        file=out,
    )
    if len(result.fitted_counts) >= 2 and result.simple is not None:
        print(
            f"{result.backend}: viewers per core, extrapolated from {result.simple_count} "
            f"viewers alone (their server cpu, ingest included): ~{result.simple:,.0f}",
            file=out,
        )
    out.flush()


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> None:
    """Encode the clip, measure each backend at each ``--viewers`` count, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="embedded")
    parser.add_argument(
        "--viewers", type=listener_counts, default=[5, 10, 20, 40], help="e.g. 5,10,20,40"
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--on-time-ms", type=float, default=100.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-procs", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--bitrate-kbps", type=int, default=1500)
    parser.add_argument("--key-interval", type=float, default=2.0, help="seconds")
    parser.add_argument("--clip-seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=0, help="Janus mountpoint threads")
    parser.add_argument(
        "--event-loops", type=int, default=0, help="Janus event_loops (0: a thread per handle)"
    )
    parser.add_argument(
        "--json", action="store_true", help="table on stderr, figures as JSON on stdout"
    )
    args = parser.parse_args(argv)
    out = sys.stderr if args.json else sys.stdout
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]

    began = time.monotonic()
    clip = encode_clip(args.clip_seconds, args.bitrate_kbps, args.key_interval)
    print(f"encoded the clip in {time.monotonic() - began:.1f} s", file=out)
    _print_header(clip, args, out)
    rows: list[Row] = []
    failures: dict[str, str] = {}
    for backend in backends:
        for viewers in args.viewers:
            try:
                row = run_one(backend, viewers, clip, args)
            except Exception as error:
                failures[f"{backend} {viewers}"] = f"{type(error).__name__}: {error}"
                print(f"{backend:8} {viewers:7d} failed: {type(error).__name__}: {error}", file=out)
                break  # larger counts of this backend would fail the same way
            rows.append(row)
            _print_row(row, out)
    if any(row.client_bound for row in rows):
        print("*: client-bound (the clients' CPUs were ≥ 90 % busy)", file=out)
    if any(row.contended for row in rows):
        print(
            "!: contended (other processes used ≥ 10 % of the server's CPU: its figures are "
            "not the server's alone)",
            file=out,
        )
    results = [
        per_core(backend, rows) for backend in backends if any(r.backend == backend for r in rows)
    ]
    for result in results:
        _print_per_core(result, out)
    if args.json:
        document = {
            "settings": {
                **{k: v for k, v in vars(args).items() if k != "json"},
                "cpus": os.cpu_count(),
                "clip": {
                    "width": WIDTH,
                    "height": HEIGHT,
                    "fps": clip.fps,
                    "seconds": clip.seconds,
                    "bitrate_kbps": clip.bitrate_kbps,
                    "key_frames": clip.key_frame_count,
                },
            },
            "rows": [
                {
                    **asdict(row),
                    "cpu_per_viewer": row.cpu / row.viewers,
                    "client_bound": row.client_bound,
                    "contended": row.contended,
                    "passed": row.passed,
                }
                for row in rows
            ],
            "per_core": [asdict(result) for result in results],
            "failures": failures,
        }
        json.dump(_json_safe(document), sys.stdout, indent=2)
        print()
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
