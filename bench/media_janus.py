"""How many listeners of one channel one core of Janus serves (the Janus media backend).

The same measurement as ``bench/media_listeners.py``, with Janus as the media plane:

* **Janus** (Debian's 1.1.2, generated configuration) pinned to one CPU (``--server-cpu``)
  with ``taskset``; a fresh one for each listener count;
* the **plane** (``JanusMediaPlane``, signalling only) in its own process on the other CPUs;
* one **publisher** sending pre-encoded Opus (20 ms packets), on air;
* ``--client-procs`` **listener** processes on the other CPUs, real aiortc peers whose RTP
  is tapped, not decoded.

Media goes VideoRoom publisher -> ``rtp_forward`` -> Streaming mountpoint -> viewers, all
inside the pinned Janus. Over ``--duration`` seconds after a warm-up it reports:

* ``janus cpu%``: Janus's CPU time (every thread) over wall time, 100 = one core;
* ``cpu%/listener``: that over the listener count (the publisher's share is included);
* ``on time (client)``, ``subs≥99%``, ``p99 delay``: as in ``media_listeners.py`` (within
  ``--on-time-ms`` of the listener's best transit; lost packets count as late);
* ``client cpu%``: the listener processes' CPU (100 per busy core): when they saturate,
  the shortfall is theirs, not Janus's.

Janus ignores loopback for ICE, so the peers meet it on a private address added to an
interface of its own (``interpreta0``, 10.77.0.1; needs root). Run from the repository root::

    PYTHONPATH=src python bench/media_janus.py --listeners 50,100,200
    PYTHONPATH=src python bench/media_janus.py --listeners 200 --threads 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.listener_scores import ClientFigures, listener_counts
from bench.media_listeners import (
    _client_main,
    _pin,
    _publisher_main,
    _request_sync,
)
from interpreta.media.janus.hostaddress import ensure_host_address
from interpreta.media.janus.process import JanusProcess

__all__ = ["Row", "main", "run_one"]


# --- the plane: signalling only ------------------------------------------------------------


def _plane_main(url: str, threads: int, cpus: set[int], port_queue: Any) -> None:
    _pin(cpus)
    asyncio.run(_serve(url, threads, port_queue))


async def _serve(url: str, threads: int, port_queue: Any) -> None:
    from interpreta.media.janus import JanusMediaPlane

    plane = JanusMediaPlane(url, mountpoint_threads=threads, timeout=30)
    await plane.open_channel("ch")
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        message = json.loads(await reader.readline())
        op = message["op"]
        reply: dict[str, Any] = {}
        if op == "publish":
            reply["sdp"] = await plane.publish("ch", message["peer"], message["sdp"])
            await plane.set_source("ch", message["peer"])
        elif op == "subscribe":
            reply["sdp"] = await plane.subscribe("ch", message["peer"], message["sdp"])
        elif op == "stop":
            done.set()
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_queue.put(server.sockets[0].getsockname()[1])
    await done.wait()
    os._exit(0)  # Janus is stopped next: no need to close hundreds of peers one by one


# --- measuring Janus -------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Row:
    """One listener count's results."""

    listeners: int
    cpu: float
    clients: ClientFigures
    rss_mib: float


def run_one(listeners: int, args: argparse.Namespace) -> Row:
    """Start Janus, the plane, the publisher and the listeners; measure one window."""
    address = ensure_host_address()
    addresses = (address,)
    all_cpus = set(range(os.cpu_count() or 1))
    other_cpus = (all_cpus - {args.server_cpu}) or all_cpus
    janus = JanusProcess(
        ice_address=address,
        cpus={args.server_cpu},
        debug_level=2,
        event_loops=args.event_loops,
    )
    janus.start()
    ctx = mp.get_context("spawn")
    port_queue, ready, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    plane = ctx.Process(
        target=_plane_main, args=(janus.url, args.threads, other_cpus, port_queue), daemon=True
    )
    try:
        plane.start()
        port = port_queue.get(timeout=30)
        publisher = ctx.Process(
            target=_publisher_main, args=(port, other_cpus, ready, addresses), daemon=True
        )
        publisher.start()
        ready.get(timeout=30)
        procs = max(1, min(args.client_procs, listeners))
        shares = [listeners // procs + (1 if i < listeners % procs else 0) for i in range(procs)]
        commands = [ctx.Queue() for _ in range(procs)]
        clients = [
            ctx.Process(
                target=_client_main,
                args=(port, i, shares[i], other_cpus, ready, commands[i], results, addresses),
                daemon=True,
            )
            for i in range(procs)
        ]
        for client in clients:
            client.start()
        for _ in clients:
            ready.get(timeout=300)
        time.sleep(args.warmup)
        pid = janus.pid
        assert pid is not None
        start = time.monotonic()
        end = start + args.duration
        for queue in commands:
            queue.put((start, end, args.on_time_ms / 1000))
        cpu_start, wall_start = _cpu_seconds(pid), time.monotonic()
        time.sleep(max(0.0, end - time.monotonic()))
        cpu = (_cpu_seconds(pid) - cpu_start) / (time.monotonic() - wall_start)
        rss = _rss_mib(pid)
        figures = ClientFigures.collect(results, len(clients), timeout=120)
        _request_sync(port, {"op": "stop"})
        for proc in [*clients, publisher, plane]:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    finally:
        if plane.is_alive():
            plane.terminate()
        janus.stop()
    return Row(
        listeners=listeners,
        cpu=cpu,
        clients=figures,
        rss_mib=rss,
    )


def _print_header(args: argparse.Namespace) -> None:
    print(
        f"Janus, one channel, 20 ms Opus packets, Janus pinned to CPU {args.server_cpu}, "
        f"mountpoint threads {args.threads}, event loops {args.event_loops or 'per handle'}, "
        f"{args.duration:g} s window; on time = within "
        f"{args.on_time_ms:g} ms; {os.cpu_count()} CPUs"
    )
    print(
        f"{'listeners':>9} {'janus cpu%':>10} {'cpu%/listener':>13} {ClientFigures.HEADER} "
        f"{ClientFigures.CPU_HEADER} {'janus RSS MiB':>13}"
    )


def _print_row(row: Row) -> None:
    print(
        f"{row.listeners:9d} {100 * row.cpu:10.1f} {100 * row.cpu / row.listeners:13.3f} "
        f"{row.clients.cells()} {row.clients.cpu_cell()} {row.rss_mib:13.1f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark for each ``--listeners`` count and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=listener_counts, default=[50, 100, 200])
    parser.add_argument("--threads", type=int, default=0, help="mountpoint helper threads")
    parser.add_argument(
        "--event-loops", type=int, default=0, help="Janus event_loops (0: a thread per handle)"
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--on-time-ms", type=float, default=40.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument(
        "--client-procs", type=int, default=max(1, min(6, (os.cpu_count() or 2) - 2))
    )
    args = parser.parse_args(argv)
    _print_header(args)
    for listeners in args.listeners:
        _print_row(run_one(listeners, args))


if __name__ == "__main__":
    main()
