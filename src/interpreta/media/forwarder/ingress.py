"""Where one publisher's Opus packets enter the plane, and stale ones are turned away."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.rtp import RtpPacket

from interpreta.media.forwarder.feeding import Feeder
from interpreta.media.forwarder.opus import SAMPLE_RATE, packet_samples
from interpreta.media.forwarder.reception import Reception
from interpreta.media.forwarder.track import ForwardedPacket

__all__ = ["Ingress"]


class _Stream:
    """Freshness of one source stream (SSRC): how late its packets reach us."""

    __slots__ = ("best_transit", "last_ts", "stale_since", "unwrapped_ts")

    def __init__(self, ts: int) -> None:
        self.last_ts = ts
        self.unwrapped_ts = 0
        self.best_transit: float | None = None
        self.stale_since: float | None = None


class Ingress(Feeder):
    """Takes a publisher's packets as they arrive, on air or not, and forwards them to
    every channel whose source it is (:attr:`sinks`: its own, and any that borrowed it).

    Nothing waits in a queue for a listener that may come later. A packet that reaches
    the plane more than ``max_delay`` later than the stream's best transit so far (the
    event loop stalled and the socket filled up) is stale: it is counted and dropped, so
    listeners get live audio again at once rather than the backlog. If a stream stays
    that late for ``rebase_after`` seconds, its new delay is accepted as the norm.

    Every packet, stale or not, counts in :attr:`reception` (packets lost, jitter).
    """

    __slots__ = (
        "_clock",
        "_max_delay",
        "_rebase_after",
        "_streams",
        "bytes_received",
        "last_arrival",
        "packets_received",
        "packets_stale",
        "peer_id",
        "reception",
    )

    def __init__(
        self,
        peer_id: str,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_delay: float = 0.25,
        rebase_after: float = 0.5,
    ) -> None:
        super().__init__()
        self.peer_id = peer_id
        "The publisher's peer id."
        self.packets_received = 0
        "Opus packets received."
        self.bytes_received = 0
        "Opus payload bytes received."
        self.packets_stale = 0
        "Packets dropped because they arrived too late to be live."
        self.last_arrival: float | None = None
        "When the last packet arrived."
        self.reception = Reception(SAMPLE_RATE)
        "Packets lost on the way here, and interarrival jitter."
        self._clock = clock
        self._max_delay = max_delay
        self._rebase_after = rebase_after
        self._streams: dict[int, _Stream] = {}

    def on_rtp(self, packet: RtpPacket) -> None:
        """Take one Opus RTP packet (the receiver tap's callback)."""
        arrival = self._clock()
        payload = packet.payload
        self.packets_received += 1
        self.bytes_received += len(payload)
        self.last_arrival = arrival
        ts = packet.timestamp
        self.reception.add(packet.ssrc, packet.sequence_number, ts, arrival)
        stream = self._streams.get(packet.ssrc)
        if stream is None:
            stream = self._streams[packet.ssrc] = _Stream(ts)
        if not self._fresh(stream, ts, arrival):
            self.packets_stale += 1
            return
        sinks = self.sinks
        if not sinks:
            return
        forwarded = ForwardedPacket(payload, stream, ts, packet_samples(payload), arrival)
        for sink in sinks:
            sink.forward(forwarded)

    def _fresh(self, stream: _Stream, ts: int, arrival: float) -> bool:
        step = (ts - stream.last_ts) & 0xFFFFFFFF
        if step >= 0x80000000:
            step -= 0x100000000
        stream.last_ts = ts
        stream.unwrapped_ts += step
        transit = arrival - stream.unwrapped_ts / SAMPLE_RATE
        best = stream.best_transit
        if best is None or transit <= best + self._max_delay:
            if best is None or transit < best:
                stream.best_transit = transit
            stream.stale_since = None
            return True
        if stream.stale_since is None:
            stream.stale_since = arrival
        elif arrival - stream.stale_since >= self._rebase_after:
            stream.best_transit = transit
            stream.stale_since = None
            return True
        return False
