"""How the listener benchmarks score their listeners, and the columns that print it.

``bench/media_listeners.py`` (the embedded forwarder) and ``bench/media_janus.py`` (Janus)
measure the same thing on two planes: each listener records when each RTP packet arrived
and its RTP timestamp (:class:`Listened`); :func:`score` rates one listener over the
window; each listener process reports its scores and CPU, and :meth:`ClientFigures.collect`
adds the processes up into the table's client columns.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["ClientFigures", "Listened", "listener_counts", "score"]

PACKET_S = 0.02
"The publisher's packet interval (20 ms Opus)."


@dataclass
class Listened:
    """What one listener received: each packet's arrival (monotonic s) and RTP timestamp."""

    arrivals: list[float]
    timestamps: list[int]


def score(record: Listened, start: float, end: float, on_time: float) -> dict[str, float]:
    """One listener's packets in the window [`start`, `end`): the share that arrived
    within `on_time` seconds of its best transit (arrival less RTP time), over the packets
    sent in the window (lost packets count as late), and the 99th percentile delay."""
    transits: list[float] = []
    origin: int | None = None
    unwrapped = 0
    for arrival, ts in zip(record.arrivals, record.timestamps, strict=True):
        if origin is None:
            origin = ts
        unwrapped = (ts - origin) & 0xFFFFFFFF
        if start <= arrival < end:
            transits.append(arrival - unwrapped / 48000)
    expected = round((end - start) / PACKET_S)
    if not transits:
        return {"on_time": 0.0, "p99_ms": float("inf"), "received": 0, "expected": expected}
    base = min(transits)
    delays = sorted(t - base for t in transits)
    good = sum(1 for d in delays if d <= on_time)
    return {
        "on_time": min(1.0, good / expected),
        "p99_ms": 1000 * delays[min(len(delays) - 1, int(0.99 * len(delays)))],
        "received": len(transits),
        "expected": expected,
    }


@dataclass(frozen=True)
class ClientFigures:
    """The listeners' side of one row: all listener processes together."""

    HEADER: ClassVar[str] = f"{'on time (client)':>16} {'subs≥99%':>9} {'p99 delay ms':>12}"
    "The header of :meth:`cells`'s columns."
    CPU_HEADER: ClassVar[str] = f"{'client cpu%':>11}"
    "The header of :meth:`cpu_cell`'s column."

    on_time: float
    "The listeners' mean share of packets on time."
    subs_99: float
    "The share of listeners with at least 99 % of their packets on time."
    p99_ms: float
    "The listeners' median 99th percentile delay, in ms."
    cpu: float
    "The listener processes' CPU time over wall time (1 = one busy core)."

    @classmethod
    def collect(cls, results: Any, processes: int, timeout: float) -> ClientFigures:
        """Read each of `processes` listener processes' reports (``{"cpu": …, "subs":
        [score, …]}``) from the `results` queue, waiting up to `timeout` s for each."""
        scores: list[dict[str, float]] = []
        cpu = 0.0
        for _ in range(processes):
            result = results.get(timeout=timeout)
            scores += result["subs"]
            cpu += result["cpu"]
        return cls(
            on_time=statistics.fmean(s["on_time"] for s in scores),
            subs_99=sum(1 for s in scores if s["on_time"] >= 0.99) / len(scores),
            p99_ms=statistics.median(s["p99_ms"] for s in scores),
            cpu=cpu,
        )

    def cells(self) -> str:
        """On time, listeners at 99 % and p99 delay, under :attr:`HEADER`."""
        return f"{100 * self.on_time:15.2f}% {100 * self.subs_99:8.1f}% {self.p99_ms:12.1f}"

    def cpu_cell(self) -> str:
        """The listener processes' CPU (100 per busy core), under :attr:`CPU_HEADER`."""
        return f"{100 * self.cpu:11.0f}"


def listener_counts(text: str) -> list[int]:
    """The ``--listeners`` option: listener counts separated by commas."""
    return [int(x) for x in text.split(",") if x.strip()]
