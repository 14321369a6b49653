"""The outgoing track of one subscriber: forwarded Opus packets, never a backlog."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from interpreta.media.forwarder.aiortc_hooks import sender_packet
from interpreta.media.forwarder.timeline import Timeline

__all__ = ["ForwardedPacket", "ForwardingTrack"]


@dataclass(frozen=True, slots=True)
class ForwardedPacket:
    """One Opus packet of a channel's source, shared by all the subscribers' tracks."""

    payload: bytes
    "The Opus payload, as received."
    stream: object
    "Identifies the source stream (publisher and SSRC), compared by identity."
    source_ts: int
    "The RTP timestamp in the source stream."
    samples: int
    "Duration in 48 kHz samples."
    arrival: float
    "When it reached the plane (monotonic clock, seconds)."


class ForwardingTrack(MediaStreamTrack):
    """An audio track whose ``recv()`` returns the forwarded packets as ``av.Packet``.

    ``RTCRtpSender`` sends them without encoding. :meth:`push` queues a packet with its
    output timestamp from the track's :class:`Timeline`; the queue is small and bounded,
    and when it is full the oldest packet goes, so a subscriber that falls behind gets
    live audio again rather than a backlog.
    """

    kind = "audio"

    def __init__(
        self,
        *,
        max_queue: int = 3,
        late_after: float = 0.020,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        :param max_queue: packets held for a subscriber that has not taken them yet.
        :param late_after: a packet handed to the sender later than this many seconds after
            it reached the plane is counted late.
        :param clock: the monotonic clock packets' ``arrival`` comes from.
        """
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        super().__init__()
        self._queue: deque[tuple[int, ForwardedPacket]] = deque(maxlen=max_queue)
        self._timeline = Timeline()
        self._waiter: asyncio.Future[None] | None = None
        self._late_after = late_after
        self._clock = clock
        self.packets_sent = 0
        "Packets returned by :meth:`recv`."
        self.packets_late = 0
        "Of those, packets returned more than ``late_after`` after their arrival."
        self.packets_dropped = 0
        "Packets pushed out of the full queue, or refused as late duplicates."

    @property
    def queued(self) -> int:
        """Packets waiting to be sent."""
        return len(self._queue)

    def push(self, packet: ForwardedPacket) -> None:
        """Queue a packet for sending (called by the channel's fan-out, synchronously)."""
        pts = self._timeline.place(packet.stream, packet.source_ts, packet.samples, packet.arrival)
        if pts is None:
            self.packets_dropped += 1
            return
        queue = self._queue
        if len(queue) == queue.maxlen:
            self.packets_dropped += 1
        queue.append((pts, packet))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def flush(self) -> None:
        """Forget the queued packets (on a switch: what comes next is what counts)."""
        self._queue.clear()

    async def recv(self) -> av.Packet:
        """The next packet to send, waiting for one if needed."""
        queue = self._queue
        while not queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        pts, packet = queue.popleft()
        self.packets_sent += 1
        if self._clock() - packet.arrival > self._late_after:
            self.packets_late += 1
        return sender_packet(packet.payload, pts)

    def stop(self) -> None:
        """End the track; a pending :meth:`recv` raises ``MediaStreamError``."""
        super().stop()
        self._queue.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
