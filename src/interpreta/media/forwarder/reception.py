"""How well a publisher's packets reach the plane: packets lost and interarrival jitter.

Both follow RFC 3550, per RTP stream (SSRC), from each packet's sequence number, RTP
timestamp and arrival time:

* **Packets lost** (A.1, A.3): the packets expected (the highest extended sequence number
  seen, less the first, plus one) less the packets received, never below zero. A packet
  that arrives late or out of order is not lost. A jump of more than
  :data:`MAX_DROPOUT` packets is taken as the sender starting over only when the next
  packet follows it (A.1's resynchronisation); the loss counted until then is kept. The
  figures of a publisher's streams are added up, as it may change SSRC.
* **Jitter** (A.8): the mean deviation of the difference between two packets' spacing on
  arrival and in RTP time, smoothed by 1/16, in seconds. It is taken from packets in
  sequence order whose timestamp moved on, as browsers do: the packets of one video
  frame share a timestamp and leave the sender in a burst, and a retransmission arrives
  out of order. A publisher's jitter is its latest stream's.

A video packet recovered by retransmission (RTX, unwrapped before it gets here) counts as
received: only what never arrived is lost. A duplicate counts as received too (RFC 3550
does the same), so it can hide one lost packet.
"""

from __future__ import annotations

__all__ = ["MAX_DROPOUT", "MAX_MISORDER", "MAX_STREAMS", "Reception", "StreamReception"]

MAX_DROPOUT = 3000
"""A sequence number further ahead than this is a jump, not a gap (RFC 3550 A.1)."""

MAX_MISORDER = 100
"""A sequence number this far behind the highest is a late packet, further a jump."""

MAX_STREAMS = 8
"""Streams (SSRCs) followed per publisher; the oldest's loss is kept when it is dropped."""

_SEQ_MOD = 1 << 16


class StreamReception:
    """Loss and jitter of one RTP stream."""

    __slots__ = (
        "_bad_seq",
        "_base_seq",
        "_cycles",
        "_last_ts",
        "_lost_before",
        "_max_seq",
        "_rate",
        "_received",
        "_transit",
        "jitter",
    )

    def __init__(self, seq: int, rate: int) -> None:
        """
        :param seq: the first packet's sequence number (the packet is counted).
        :param rate: the RTP clock rate in Hz (48000 for Opus, 90000 for video).
        """
        self._rate = rate
        self._lost_before = 0
        self._bad_seq = -1
        self._transit: float | None = None
        self._last_ts = -1
        self.jitter: float | None = None
        "Interarrival jitter in seconds, ``None`` until two packets were compared."
        self._start(seq)

    def _start(self, seq: int) -> None:
        self._base_seq = seq
        self._max_seq = seq
        self._cycles = 0
        self._received = 0

    @property
    def lost(self) -> int:
        """Packets lost so far (never negative)."""
        expected = self._cycles + self._max_seq - self._base_seq + 1
        return self._lost_before + max(0, expected - self._received)

    def add(self, seq: int, ts: int, arrival: float) -> None:
        """Take one packet: its sequence number, RTP timestamp and arrival (seconds)."""
        max_seq = self._max_seq
        udelta = (seq - max_seq) & 0xFFFF
        if udelta < MAX_DROPOUT:
            if udelta or self._received == 0:
                if seq < max_seq:
                    self._cycles += _SEQ_MOD
                self._max_seq = seq
                if ts != self._last_ts:
                    self._update_jitter(ts, arrival)
        elif udelta <= _SEQ_MOD - MAX_MISORDER:
            if seq != self._bad_seq:
                self._bad_seq = (seq + 1) & 0xFFFF
                return  # perhaps a stray packet: not counted until the next one follows
            self._lost_before = self.lost
            self._start(seq)
            self._transit = None
            self._update_jitter(ts, arrival)
        self._received += 1

    def _update_jitter(self, ts: int, arrival: float) -> None:
        self._last_ts = ts
        transit = arrival - ts / self._rate
        previous = self._transit
        self._transit = transit
        if previous is None:
            return
        difference = transit - previous
        # the RTP timestamp wraps every 2**32 ticks: keep the short way round
        wrap = 0x100000000 / self._rate
        if difference > wrap / 2:
            difference -= wrap
        elif difference < -wrap / 2:
            difference += wrap
        deviation = abs(difference)
        jitter = self.jitter
        self.jitter = deviation / 16 if jitter is None else jitter + (deviation - jitter) / 16


class Reception:
    """Loss and jitter of one publisher, over its streams."""

    __slots__ = ("_dropped_lost", "_latest", "_rate", "_streams")

    def __init__(self, rate: int) -> None:
        """:param rate: the RTP clock rate in Hz (48000 for Opus, 90000 for video)."""
        self._rate = rate
        self._streams: dict[int, StreamReception] = {}
        self._latest: StreamReception | None = None
        self._dropped_lost = 0

    def add(self, ssrc: int, seq: int, ts: int, arrival: float) -> None:
        """Take one packet of stream `ssrc`."""
        stream = self._streams.get(ssrc)
        if stream is None:
            if len(self._streams) >= MAX_STREAMS:
                oldest = next(iter(self._streams))
                self._dropped_lost += self._streams.pop(oldest).lost
            stream = self._streams[ssrc] = StreamReception(seq, self._rate)
        self._latest = stream
        stream.add(seq, ts, arrival)

    @property
    def packets_lost(self) -> int:
        """Packets of every stream that never arrived."""
        return self._dropped_lost + sum(stream.lost for stream in self._streams.values())

    @property
    def jitter(self) -> float | None:
        """The latest stream's interarrival jitter in seconds, ``None`` before two packets."""
        latest = self._latest
        return None if latest is None else latest.jitter
