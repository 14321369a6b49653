"""Where one publisher's video enters the plane: whole frames, key frames on request."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc.rtp import RtpPacket

from interpreta.media.forwarder.feeding import Feeder
from interpreta.media.forwarder.frames import FrameAssembler, starts_frame
from interpreta.media.forwarder.reception import Reception
from interpreta.media.forwarder.video_track import VIDEO_RATE, ForwardedFrame

__all__ = ["KEY_FRAME_INTERVAL", "MAX_STREAMS", "VideoIngress"]

MAX_STREAMS = 4
"""Streams (SSRCs) followed per publisher; a new one beyond them replaces the oldest."""

KEY_FRAME_INTERVAL = 0.25
"""Seconds between two key frame requests to one publisher: viewers joining together
share one key frame, and a publisher is not flooded with requests."""


class VideoIngress(Feeder):
    """Takes a publisher's video packets, on air or not, and forwards whole frames to
    every channel whose source it is (:attr:`sinks`: its own, and any that borrowed it).

    Frames are reassembled per stream (:class:`~interpreta.media.forwarder.frames.FrameAssembler`).
    After a loss it could not repair, the stream's frames are dropped until its next key
    frame, and the publisher is asked for one at once. :meth:`request_key_frame` is how
    viewers ask (a new viewer, a switch, a viewer's own picture loss), whichever channel
    they watch it on.

    Every packet counts in :attr:`reception` (packets lost, jitter); a packet recovered
    by retransmission arrives unwrapped and is not lost.
    """

    def __init__(
        self,
        peer_id: str,
        codec: str,
        ask: Callable[[int], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        :param codec: the negotiated video codec (``"VP8"`` or ``"H264"``).
        :param ask: sends the publisher a key frame request for a stream (its SSRC).
        """
        super().__init__()
        self.peer_id = peer_id
        "The publisher's peer id."
        self.packets_received = 0
        "RTP packets received."
        self.bytes_received = 0
        "Payload bytes received."
        self.packets_stale = 0
        "Frames dropped because they could not be decoded (after a loss, until a key frame)."
        self.last_arrival: float | None = None
        "When the last packet arrived."
        self.frames_received = 0
        "Whole frames reassembled."
        self.reception = Reception(VIDEO_RATE)
        "Packets lost on the way here, and interarrival jitter."
        self._codec = codec
        self._ask = ask
        self._clock = clock
        self._assemblers: dict[int, FrameAssembler] = {}
        self._broken: set[int] = set()
        self._last_ssrc: int | None = None
        self._asked_at: float | None = None

    def on_rtp(self, packet: RtpPacket, data: bytes) -> None:
        """Take one depayloaded video packet (the receiver tap's callback)."""
        arrival = self._clock()
        self.packets_received += 1
        self.bytes_received += len(packet.payload)
        self.last_arrival = arrival
        ssrc = packet.ssrc
        self._last_ssrc = ssrc
        self.reception.add(ssrc, packet.sequence_number, packet.timestamp, arrival)
        assembler = self._assemblers.get(ssrc)
        if assembler is None:
            if len(self._assemblers) >= MAX_STREAMS:
                oldest = next(iter(self._assemblers))
                del self._assemblers[oldest]
                self._broken.discard(oldest)
            assembler = self._assemblers[ssrc] = FrameAssembler(self._codec)
            self._broken.add(ssrc)
        starts = starts_frame(self._codec, packet.payload)
        seq, ts, end = packet.sequence_number, packet.timestamp, bool(packet.marker)
        frames = assembler.add(seq, ts, end, data, arrival, starts=starts)
        for frame in frames:
            self.frames_received += 1
            if frame.after_loss:
                self._broken.add(ssrc)
            if ssrc in self._broken:
                if not frame.key:
                    self.packets_stale += 1
                    self.request_key_frame()
                    continue
                self._broken.discard(ssrc)
            sinks = self.sinks
            if not sinks:
                continue
            forwarded = ForwardedFrame(frame.data, assembler, frame.timestamp, frame.key, arrival)
            for sink in sinks:
                sink.forward(forwarded)

    def request_key_frame(self) -> None:
        """Ask the publisher for a key frame (at most every :data:`KEY_FRAME_INTERVAL`)."""
        now = self._clock()
        if self._last_ssrc is None:
            return  # nothing received yet: its first frame is a key frame
        if self._asked_at is not None and now - self._asked_at < KEY_FRAME_INTERVAL:
            return
        self._asked_at = now
        self._ask(self._last_ssrc)
