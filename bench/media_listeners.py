"""How many listeners of one channel one core serves: the embedded forwarder vs MediaRelay.

Processes, so that the listeners do not eat the measured core:

* the **server** (the media plane) pinned to one CPU (``--server-cpu``);
* one **publisher** sending pre-encoded Opus (20 ms packets) to the channel;
* ``--client-procs`` **listener** processes, on the other CPUs, each holding real aiortc
  peer connections that receive the channel (RTP tapped, not decoded).

For each listener count, after a warm-up, over ``--duration`` seconds it measures:

* ``cpu%``: the server process's CPU time over wall time (100 = one core);
* ``on time (client)``: packets that reached a listener within ``--on-time-ms`` of the
  earliest transit seen by that listener, over the packets the source sent in the window
  (lost and dropped packets count as late);
* ``on time (server)`` (forwarder only): packets handed to a listener's RTP sender within
  ``--late-ms`` of their arrival at the plane, over those sent plus those dropped;
* ``subs≥99%``: listeners that got at least 99 % of their packets on time (client side).

Run from the repository root::

    PYTHONPATH=src python bench/media_listeners.py --listeners 50,100,200,300
    PYTHONPATH=src python bench/media_listeners.py --mode relay --listeners 5,10,20

With few CPUs the listener processes can themselves fall behind; their CPU use is
printed (``client cpu%``, 100 per fully busy core) so a client-side shortfall can be told
from a server one. ``on time (server)`` does not depend on the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import multiprocessing as mp
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.listener_scores import ClientFigures, Listened, listener_counts, score

LOOPBACK = ("127.0.0.1",)
TIME_BASE = fractions.Fraction(1, 48000)


# --- signalling: JSON lines over TCP -------------------------------------------------------


async def _request(port: int, message: dict[str, Any]) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(json.dumps(message).encode() + b"\n")
    await writer.drain()
    reply: dict[str, Any] = json.loads(await reader.readline())
    writer.close()
    return reply


def _request_sync(port: int, message: dict[str, Any]) -> dict[str, Any]:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(json.dumps(message).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    return reply


def _pin(cpus: set[int]) -> None:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, cpus)


# --- server ------------------------------------------------------------------------------


class _RelayServer:
    """Stock aiortc: MediaRelay hands decoded frames to each listener, which re-encodes."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaRelay

        self.relay = MediaRelay()
        self.source: Any = None
        self.pcs: list[Any] = []

    async def publish(self, sdp: str) -> str:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        from interpreta.media.forwarder.aiortc_hooks import host_addresses

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        self.source = pc.getReceivers()[0].track
        with host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def subscribe(self, sdp: str) -> str:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        from interpreta.media.forwarder.aiortc_hooks import host_addresses

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        pc.addTrack(self.relay.subscribe(self.source))
        with host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)


def _server_main(mode: str, cpu: int, late_ms: float, port_queue: Any) -> None:
    _pin({cpu})
    asyncio.run(_serve(mode, late_ms, port_queue))


async def _serve(mode: str, late_ms: float, port_queue: Any) -> None:
    from interpreta.media.forwarder import EmbeddedMediaPlane

    plane = EmbeddedMediaPlane(host_addresses=LOOPBACK, late_after=late_ms / 1000)
    relay = _RelayServer() if mode == "relay" else None
    await plane.open_channel("ch")
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        message = json.loads(await reader.readline())
        op = message["op"]
        reply: dict[str, Any] = {}
        if op == "publish":
            if relay is not None:
                reply["sdp"] = await relay.publish(message["sdp"])
            else:
                reply["sdp"] = await plane.publish("ch", message["peer"], message["sdp"])
                await plane.set_source("ch", message["peer"])
        elif op == "subscribe":
            if relay is not None:
                reply["sdp"] = await relay.subscribe(message["sdp"])
            else:
                reply["sdp"] = await plane.subscribe("ch", message["peer"], message["sdp"])
        elif op == "mark":
            stats = plane.channel_stats("ch")
            reply = {
                "cpu": time.process_time(),
                "wall": time.monotonic(),
                "sent": sum(s.packets_sent for s in stats.subscribers),
                "late": sum(s.packets_late for s in stats.subscribers),
                "dropped": sum(s.packets_dropped for s in stats.subscribers),
            }
        elif op == "stop":
            done.set()
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_queue.put(server.sockets[0].getsockname()[1])
    await done.wait()
    os._exit(0)  # skip closing hundreds of peer connections one by one


# --- publisher ---------------------------------------------------------------------------


def _opus_tone_packets(seconds: float = 1.0) -> list[bytes]:
    import av
    import numpy as np

    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = 48000
    encoder.layout = "mono"
    encoder.format = "s16"
    encoder.bit_rate = 32000
    encoder.time_base = TIME_BASE
    packets: list[bytes] = []
    for i in range(int(seconds * 50)):
        t = (np.arange(960) + i * 960) / 48000
        samples = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = i * 960
        frame.time_base = TIME_BASE
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def _publisher_main(
    port: int, cpus: set[int], ready: Any, addresses: tuple[str, ...] = LOOPBACK
) -> None:
    _pin(cpus)
    asyncio.run(_publish(port, ready, addresses))


async def _publish(port: int, ready: Any, addresses: tuple[str, ...] = LOOPBACK) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamTrack

    from interpreta.media.forwarder.aiortc_hooks import host_addresses, sender_packet

    payloads = _opus_tone_packets()

    class OpusLoop(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.index = 0
            self.start = time.monotonic()

        async def recv(self) -> Any:
            due = self.start + self.index * 0.02
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            packet = sender_packet(payloads[self.index % len(payloads)], self.index * 960)
            self.index += 1
            return packet

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(OpusLoop(), direction="sendonly")
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    reply = await _request(port, {"op": "publish", "peer": "pub", "sdp": pc.localDescription.sdp})
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    ready.put("publisher")
    await asyncio.Event().wait()


# --- listeners ---------------------------------------------------------------------------


def _client_main(
    port: int,
    index: int,
    count: int,
    cpus: set[int],
    ready: Any,
    commands: Any,
    results: Any,
    addresses: tuple[str, ...] = LOOPBACK,
) -> None:
    _pin(cpus)
    asyncio.run(_listen(port, index, count, ready, commands, results, addresses))


async def _listen(
    port: int,
    index: int,
    count: int,
    ready: Any,
    commands: Any,
    results: Any,
    addresses: tuple[str, ...] = LOOPBACK,
) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.rtp import RtpPacket

    from interpreta.media.forwarder.aiortc_hooks import host_addresses, tap_receiver

    listened: list[Listened] = []
    pcs: list[Any] = []

    async def one(n: int) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        record = Listened([], [])
        listened.append(record)
        arrivals, timestamps = record.arrivals, record.timestamps

        def on_packet(packet: RtpPacket) -> None:
            arrivals.append(time.monotonic())
            timestamps.append(packet.timestamp)

        transceiver = pc.addTransceiver("audio", direction="recvonly")
        tap_receiver(transceiver.receiver, on_packet)
        with host_addresses(addresses):
            await pc.setLocalDescription(await pc.createOffer())
        reply = await _request(
            port, {"op": "subscribe", "peer": f"l{index}-{n}", "sdp": pc.localDescription.sdp}
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    batch = 10
    for first in range(0, count, batch):
        await asyncio.gather(*(one(n) for n in range(first, min(count, first + batch))))
    deadline = time.monotonic() + 30
    while any(pc.connectionState != "connected" for pc in pcs):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    ready.put(index)

    loop = asyncio.get_running_loop()
    start, end, on_time = await loop.run_in_executor(None, commands.get)
    cpu_start, wall_start = time.process_time(), time.monotonic()
    await asyncio.sleep(max(0.0, end - time.monotonic()) + 0.2)
    cpu = (time.process_time() - cpu_start) / (time.monotonic() - wall_start)
    results.put(
        {"index": index, "cpu": cpu, "subs": [score(r, start, end, on_time) for r in listened]}
    )
    results.close()
    results.join_thread()
    os._exit(0)  # the server is going away too: no need to close the peer connections


# --- orchestration -----------------------------------------------------------------------


@dataclass
class Row:
    """One mode's and listener count's results."""

    mode: str
    listeners: int
    cpu: float
    clients: ClientFigures
    server_on_time: float | None


def run_one(mode: str, listeners: int, args: argparse.Namespace) -> Row:
    ctx = mp.get_context("spawn")
    all_cpus = set(range(os.cpu_count() or 1))
    other_cpus = (all_cpus - {args.server_cpu}) or all_cpus
    port_queue, ready, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    server = ctx.Process(
        target=_server_main, args=(mode, args.server_cpu, args.late_ms, port_queue), daemon=True
    )
    server.start()
    port = port_queue.get(timeout=30)
    publisher = ctx.Process(target=_publisher_main, args=(port, other_cpus, ready), daemon=True)
    publisher.start()
    ready.get(timeout=30)
    procs = max(1, min(args.client_procs, listeners))
    shares = [listeners // procs + (1 if i < listeners % procs else 0) for i in range(procs)]
    commands = [ctx.Queue() for _ in range(procs)]
    clients = [
        ctx.Process(
            target=_client_main,
            args=(port, i, shares[i], other_cpus, ready, commands[i], results),
            daemon=True,
        )
        for i in range(procs)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        ready.get(timeout=180)
    time.sleep(args.warmup)
    start = time.monotonic()
    end = start + args.duration
    for queue in commands:
        queue.put((start, end, args.on_time_ms / 1000))
    first = _request_sync(port, {"op": "mark"})
    time.sleep(max(0.0, end - time.monotonic()))
    last = _request_sync(port, {"op": "mark"})
    figures = ClientFigures.collect(results, len(clients), timeout=60)
    _request_sync(port, {"op": "stop"})
    for proc in [*clients, publisher, server]:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()

    cpu = (last["cpu"] - first["cpu"]) / (last["wall"] - first["wall"])
    server_on_time = None
    if mode == "forward":
        sent = last["sent"] - first["sent"]
        late = last["late"] - first["late"]
        dropped = last["dropped"] - first["dropped"]
        server_on_time = (sent - late) / max(1, sent + dropped)
    return Row(
        mode=mode,
        listeners=listeners,
        cpu=cpu,
        clients=figures,
        server_on_time=server_on_time,
    )


def _print_header(args: argparse.Namespace) -> None:
    print(
        f"one channel, 20 ms Opus packets, server pinned to CPU {args.server_cpu}, "
        f"{args.duration:g} s window; on time = within {args.on_time_ms:g} ms (client) / "
        f"{args.late_ms:g} ms (server); {os.cpu_count()} CPUs"
    )
    print(
        f"{'mode':8} {'listeners':>9} {'cpu%':>6} {'cpu%/listener':>13} "
        f"{ClientFigures.HEADER} {'on time (server)':>16} {ClientFigures.CPU_HEADER}"
    )


def _print_row(row: Row) -> None:
    server = "-" if row.server_on_time is None else f"{100 * row.server_on_time:.2f}%"
    print(
        f"{row.mode:8} {row.listeners:9d} {100 * row.cpu:6.1f} "
        f"{100 * row.cpu / row.listeners:13.3f} "
        f"{row.clients.cells()} {server:>16} {row.clients.cpu_cell()}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=listener_counts, default=[50, 100, 200, 300])
    parser.add_argument(
        "--mode",
        choices=["forward", "relay", "both"],
        default="forward",
        help="forward: the embedded forwarder; relay: stock aiortc MediaRelay; both",
    )
    parser.add_argument(
        "--relay-listeners",
        type=listener_counts,
        default=[5, 10, 20],
        help="listener counts for the relay with --mode both",
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--on-time-ms", type=float, default=40.0)
    parser.add_argument("--late-ms", type=float, default=20.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument(
        "--client-procs", type=int, default=max(1, min(6, (os.cpu_count() or 2) - 2))
    )
    args = parser.parse_args(argv)

    plan: list[tuple[str, int]] = []
    if args.mode in ("forward", "both"):
        plan += [("forward", n) for n in args.listeners]
    if args.mode == "relay":
        plan += [("relay", n) for n in args.listeners]
    if args.mode == "both":
        plan += [("relay", n) for n in args.relay_listeners]
    _print_header(args)
    for mode, listeners in plan:
        _print_row(run_one(mode, listeners, args))


if __name__ == "__main__":
    main()
