"""Continuous RTP timestamps for one subscriber, whatever feeds it.

A subscriber's outgoing stream (audio or video) outlives its sources: the channel's source changes
(handover), the subscriber changes channel (language switch, relay), the channel goes
quiet (mic off). Its RTP timestamps must still increase steadily, in step with the wall
clock, or the browser's jitter buffer stretches, squeezes or resets.

:class:`Timeline` gives each forwarded packet (or video frame) its output timestamp
(``pts``, in the RTP clock: 48 kHz for Opus, 90 kHz for video):

* from the same source stream, the source's own timestamp spacing is kept (so a lost
  or dropped packet stays a gap the receiver conceals);
* across a change of stream or after a silence, the output advances by the wall-clock
  time between the two packets (at least one packet's duration).

Sequence numbers need nothing: aiortc's ``RTCRtpSender`` numbers the packets it sends
one by one, and each subscriber keeps its sender.
"""

from __future__ import annotations

from interpreta.media.forwarder.opus import SAMPLE_RATE

__all__ = ["Timeline"]

_MAX_STREAM_STEP = 5  # seconds: beyond this a same-stream jump is a discontinuity
_MAX_REORDER = 1  # second: a same-stream step back within this is a late packet


class Timeline:
    """Output timestamps for one subscriber's stream."""

    __slots__ = (
        "_last_arrival",
        "_last_pts",
        "_last_samples",
        "_last_source_ts",
        "_max_reorder",
        "_max_step",
        "_rate",
        "_stream",
    )

    def __init__(self, rate: int = SAMPLE_RATE) -> None:
        """:param rate: the RTP clock rate in Hz."""
        self._rate = rate
        self._max_step = _MAX_STREAM_STEP * rate
        self._max_reorder = _MAX_REORDER * rate
        self._stream: object | None = None
        self._last_pts = -1
        self._last_source_ts = 0
        self._last_samples = 0
        self._last_arrival = 0.0

    @property
    def last_pts(self) -> int:
        """The last timestamp given out, ``-1`` before the first packet."""
        return self._last_pts

    def place(self, stream: object, source_ts: int, samples: int, arrival: float) -> int | None:
        """The output timestamp of a packet, or ``None`` to drop it (late or duplicate).

        :param stream: identifies the source stream (compared by identity).
        :param source_ts: the packet's RTP timestamp in its source stream.
        :param samples: the packet's duration in RTP clock ticks.
        :param arrival: when the packet reached the plane, in seconds (monotonic clock).
        """
        last_pts = self._last_pts
        if last_pts < 0:
            pts = 0
        else:
            pts = -1
            if stream is self._stream:
                step = (source_ts - self._last_source_ts) & 0xFFFFFFFF
                if step >= 0x80000000:
                    step -= 0x100000000
                if 0 < step <= self._max_step:
                    pts = last_pts + step
                elif -self._max_reorder <= step <= 0:
                    return None
            if pts < 0:
                wall = round((arrival - self._last_arrival) * self._rate)
                pts = last_pts + max(wall, self._last_samples)
        self._stream = stream
        self._last_pts = pts
        self._last_source_ts = source_ts
        self._last_samples = samples
        self._last_arrival = arrival
        return pts
