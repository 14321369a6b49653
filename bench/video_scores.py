"""How the video benchmark scores its viewers: whole, decodable frames and their delay.

``bench/video_viewers.py`` taps each viewer's RTP receiver (nothing is decoded). A
:class:`Watched` takes the tapped packets of one viewer, puts its frames back together
with the forwarder's own :class:`~interpreta.media.forwarder.frames.FrameAssembler`
(a frame counts once all its packets are in, retransmissions included) and records
when each *decodable* frame was complete: after a loss that was not repaired, frames
are not decodable until the next key frame, and the viewer asks for one (an RTCP PLI),
as a browser does. (The assembler needs one frame's end to find where the next frame
starts, so the key frame a viewer starts from is spent on that, and its first request
follows at once: during the warm-up, not in the window.)

:func:`score_frames` rates one viewer over the window, the video counterpart of
:func:`bench.listener_scores.score`; its dictionaries have the keys
:meth:`bench.listener_scores.ClientFigures.collect` adds up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from interpreta.media.forwarder.aiortc_hooks import RtpPacket
from interpreta.media.forwarder.frames import FrameAssembler

__all__ = ["VIDEO_RATE", "Watched", "score_frames"]

VIDEO_RATE = 90000
"The video RTP clock (Hz)."

KEY_FRAME_REQUEST_INTERVAL = 0.25
"Seconds between two key frame requests of one viewer."


class Watched:
    """What one viewer received: each decodable frame's completion (monotonic s) and its
    RTP timestamp, and the payload bytes of every packet."""

    __slots__ = (
        "_ask_key_frame",
        "_asked_at",
        "_assemblers",
        "_broken",
        "_codec",
        "arrivals",
        "bytes_received",
        "frames_undecodable",
        "timestamps",
    )

    def __init__(
        self, ask_key_frame: Callable[[int], None] | None = None, codec: str = "VP8"
    ) -> None:
        """
        :param ask_key_frame: sends the plane a key frame request for a stream (its SSRC);
            ``None``: never ask.
        :param codec: the stream's codec, as :class:`FrameAssembler` takes it.
        """
        self.arrivals: list[float] = []
        "When each decodable frame was complete (monotonic clock, seconds)."
        self.timestamps: list[int] = []
        "Each decodable frame's RTP timestamp (90 kHz)."
        self.bytes_received = 0
        "RTP payload bytes received (retransmissions included)."
        self.frames_undecodable = 0
        "Whole frames that came after an unrepaired loss, before the next key frame."
        self._ask_key_frame = ask_key_frame
        self._codec = codec
        self._assemblers: dict[int, FrameAssembler] = {}
        self._broken: set[int] = set()
        self._asked_at = -KEY_FRAME_REQUEST_INTERVAL

    def on_packet(self, packet: RtpPacket, data: bytes) -> None:
        """Take one tapped, depayloaded video packet (``tap_video_receiver``'s callback)."""
        now = time.monotonic()
        self.bytes_received += len(packet.payload)
        ssrc = packet.ssrc
        assembler = self._assemblers.get(ssrc)
        if assembler is None:
            assembler = self._assemblers[ssrc] = FrameAssembler(self._codec)
        frames = assembler.add(
            packet.sequence_number, packet.timestamp, bool(packet.marker), data, now
        )
        for frame in frames:
            if frame.after_loss:
                self._broken.add(ssrc)
            if ssrc in self._broken:
                if not frame.key:
                    self.frames_undecodable += 1
                    self._ask(ssrc, now)
                    continue
                self._broken.discard(ssrc)
            self.arrivals.append(now)
            self.timestamps.append(frame.timestamp)

    def _ask(self, ssrc: int, now: float) -> None:
        if self._ask_key_frame is None or now - self._asked_at < KEY_FRAME_REQUEST_INTERVAL:
            return
        self._asked_at = now
        self._ask_key_frame(ssrc)


def score_frames(
    record: Watched, start: float, end: float, on_time: float, fps: float
) -> dict[str, float]:
    """One viewer's frames in the window [`start`, `end`).

    ``on_time``: the decodable frames complete within `on_time` seconds of the viewer's
    best transit (completion less RTP time), over the frames the publisher sent in the
    window (`fps` a second): lost, incomplete and undecodable frames count as late.
    ``p99_ms``: the 99th percentile of those frames' delays over the best transit.
    """
    transits: list[float] = []
    origin: int | None = None
    for arrival, ts in zip(record.arrivals, record.timestamps, strict=True):
        if origin is None:
            origin = ts
        step = (ts - origin) & 0xFFFFFFFF
        if step >= 0x80000000:
            step -= 0x100000000  # a frame older than the first one seen (a late repair)
        if start <= arrival < end:
            transits.append(arrival - step / VIDEO_RATE)
    expected = round((end - start) * fps)
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
