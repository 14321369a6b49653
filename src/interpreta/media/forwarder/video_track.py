"""The outgoing video track of one viewer: forwarded frames, from a key frame on."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from interpreta.media.forwarder.aiortc_hooks import VIDEO_TIME_BASE, sender_packet
from interpreta.media.forwarder.timeline import Timeline

__all__ = ["ASK_EVERY", "FRAME_TICKS", "VIDEO_RATE", "ForwardedFrame", "VideoForwardingTrack"]

VIDEO_RATE = int(1 / VIDEO_TIME_BASE)
"""The video RTP clock rate: 90 kHz."""
FRAME_TICKS = VIDEO_RATE // 30
"""One frame at 30 frames a second, in 90 kHz ticks: the least a timestamp moves on."""

ASK_EVERY = 0.5
"""Seconds between two key frame requests of one viewer."""


@dataclass(frozen=True, slots=True)
class ForwardedFrame:
    """One whole encoded frame of a channel's source, shared by the viewers' tracks."""

    data: bytes
    "The encoded frame."
    stream: object
    "Identifies the source stream (publisher and SSRC), compared by identity."
    source_ts: int
    "Its RTP timestamp in the source stream (90 kHz)."
    key: bool
    "Whether it is a key frame."
    arrival: float
    "When its last packet reached the plane (monotonic clock, seconds)."


def _nobody() -> None:
    return None


class VideoForwardingTrack(MediaStreamTrack):
    """A video track whose ``recv()`` returns forwarded frames as ``av.Packet``.

    ``RTCRtpSender`` packetises them without encoding. A viewer can only decode a stream
    from one of its key frames: after it starts, switches channel, its source changes or
    it fell behind, frames are dropped until a key frame of the stream comes, and the
    channel is asked for one (:attr:`want_key_frame`). The queue is small: a viewer that
    does not keep up starts again from a key frame rather than from a backlog.
    """

    kind = "video"

    def __init__(
        self,
        *,
        max_queue: int = 3,
        late_after: float = 0.050,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        :param max_queue: frames held for a viewer that has not taken them yet.
        :param late_after: a frame handed to the sender later than this many seconds
            after it reached the plane is counted late.
        """
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        super().__init__()
        self._queue: deque[tuple[int, ForwardedFrame]] = deque()
        self._max_queue = max_queue
        self._timeline = Timeline(VIDEO_RATE)
        self._decodable: object | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._late_after = late_after
        self._clock = clock
        self._sending = False
        "Whether the sender has asked for a frame yet (it does once connected)."
        self._asked_at = -1.0
        self.want_key_frame: Callable[[], None] = _nobody
        "Asks the source of the channel feeding the track for a key frame (set by it)."
        self.packets_sent = 0
        "Frames returned by :meth:`recv`."
        self.packets_late = 0
        "Of those, frames returned more than ``late_after`` after their arrival."
        self.packets_dropped = 0
        "Frames dropped: before a key frame, or because the viewer fell behind."

    @property
    def queued(self) -> int:
        """Frames waiting to be sent."""
        return len(self._queue)

    def push(self, frame: ForwardedFrame) -> None:
        """Queue a frame for sending (called by the channel's fan-out, synchronously)."""
        if len(self._queue) >= self._max_queue:
            self.packets_dropped += len(self._queue)
            self._queue.clear()
            self._decodable = None  # what follows needs the frames just dropped
        if frame.stream is not self._decodable:
            if not frame.key:
                self.packets_dropped += 1
                self._ask()
                return
            self._decodable = frame.stream
        pts = self._timeline.place(frame.stream, frame.source_ts, FRAME_TICKS, frame.arrival)
        if pts is None:
            self.packets_dropped += 1
            self._decodable = None  # a frame out of order: what follows may need it
            return
        self._queue.append((pts, frame))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _ask(self) -> None:
        """Ask for a key frame, once the viewer is connected (before, its sender takes
        nothing and the queue overflows), and at most every :data:`ASK_EVERY` seconds."""
        now = self._clock()
        if self._sending and now - self._asked_at >= ASK_EVERY:
            self._asked_at = now
            self.want_key_frame()

    def restart(self) -> None:
        """Start again from the next key frame (on a switch: a new stream comes)."""
        self._queue.clear()
        self._decodable = None

    async def recv(self) -> av.Packet:
        """The next frame to send, waiting for one if needed."""
        if not self._sending:
            self._sending = True
            if self._decodable is None:  # frames came before and were dropped unasked
                self._ask()
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
        pts, frame = queue.popleft()
        self.packets_sent += 1
        if self._clock() - frame.arrival > self._late_after:
            self.packets_late += 1
        return sender_packet(frame.data, pts, VIDEO_TIME_BASE)

    def stop(self) -> None:
        """End the track; a pending :meth:`recv` raises ``MediaStreamError``."""
        super().stop()
        self._queue.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
