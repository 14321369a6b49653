"""Listeners per core, side by side: the embedded forwarder and Janus, in one run (issue 12).

For each listener count it runs ``bench/media_listeners.py``'s measurement (the embedded
forwarder, one channel, the server pinned to one CPU) and then ``bench/media_janus.py``'s
(Janus pinned to the same CPU), with the same listener processes, window and on-time
rule, and prints one table:

* ``cpu%/listener``: the server's CPU (100 = one core) over the listener count;
* ``on time``: the share of packets the listeners received within ``--on-time-ms`` of
  their best transit (lost packets count as late);
* ``listeners/core``: 100 over ``cpu%/listener``. It is an **extrapolation** from the
  measured count to a whole core, marked ``~``, unless the server was measured at or
  above 90 % of a core.

Goal (issue 12): ≥ 2,000 listeners per core on Janus with ≥ 99 % of packets on time.
This machine's spare CPU cannot run 2,000 WebRTC clients: the counts stop where the
client processes saturate (their CPU is printed too).

    sudo PYTHONPATH=src python bench/listeners_per_core.py [--listeners 100,200,400]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import media_janus, media_listeners
from bench.listener_scores import listener_counts


def _per_core(cpu: float, listeners: int) -> str:
    if cpu <= 0:
        return "-"
    whole = listeners / cpu
    return f"{whole:,.0f}" if cpu >= 0.9 else f"~{whole:,.0f}"


def main(argv: list[str] | None = None) -> None:
    """Measure both planes at each count and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listeners", type=listener_counts, default=[100, 200, 400])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--on-time-ms", type=float, default=40.0)
    parser.add_argument("--late-ms", type=float, default=20.0)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument(
        "--client-procs", type=int, default=max(1, min(6, (os.cpu_count() or 2) - 1))
    )
    args = parser.parse_args(argv)
    janus_args = argparse.Namespace(**vars(args), threads=0, event_loops=0)
    print(
        f"one channel, 20 ms Opus packets, server pinned to CPU {args.server_cpu}, "
        f"{args.duration:g} s window, on time = within {args.on_time_ms:g} ms, "
        f"{args.client_procs} listener processes, {os.cpu_count()} CPUs"
    )
    print(
        f"{'listeners':>9} | {'embedded cpu%/listener':>22} {'on time':>8} "
        f"{'listeners/core':>14} | {'Janus cpu%/listener':>19} {'on time':>8} "
        f"{'listeners/core':>14} | {'client cpu%':>11}"
    )
    for count in args.listeners:
        embedded = media_listeners.run_one("forward", count, args)
        janus = media_janus.run_one(count, janus_args)
        print(
            f"{count:9d} | {100 * embedded.cpu / count:22.3f} "
            f"{100 * embedded.clients.on_time:7.2f}% {_per_core(embedded.cpu, count):>14} | "
            f"{100 * janus.cpu / count:19.3f} {100 * janus.clients.on_time:7.2f}% "
            f"{_per_core(janus.cpu, count):>14} | "
            f"{100 * max(embedded.clients.cpu, janus.clients.cpu):11.0f}",
            flush=True,
        )
    print("~: extrapolated from the measured count to a whole core")


if __name__ == "__main__":
    main()
