"""Whole encoded video frames from RTP packets, and which of them are key frames.

A video frame travels as several RTP packets with one timestamp; the last has the marker
bit. The forwarder must hand the sender whole frames (aiortc packetises a frame again for
each viewer), and a frame with a packet missing must not reach a decoder: it would show
garbage until the next key frame. :class:`FrameAssembler` puts a publisher's packets back
in order (a NACKed packet comes back late), emits each frame once all its packets are
there, and after a loss it can not repair in time it says so, so the caller asks the
publisher for a key frame and drops what cannot be decoded until it comes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AssembledFrame", "FrameAssembler", "is_key_frame", "starts_frame"]

_H264_IDR = 5
_H264_SPS = 7
_H264_AUD = 9
_H264_STAP_A = 24
_H264_FU_A = 28
_MAX_HELD = 2000
"""Packets held at most (a key frame of a 1080p screen is a few hundred)."""


def starts_frame(codec: str, payload: bytes) -> bool:
    """Whether an RTP payload (as sent, before depayloading) surely begins a frame: a VP8
    payload descriptor with S set for partition 0 (RFC 7741); for H.264 an access unit
    delimiter, an SPS, or a STAP-A (which carries the SPS and PPS of a key frame)."""
    if not payload:
        return False
    if codec == "VP8":
        return bool(payload[0] & 0x10) and payload[0] & 0x07 == 0
    nal = payload[0] & 0x1F
    return nal in (_H264_AUD, _H264_SPS, _H264_STAP_A)


def is_key_frame(codec: str, data: bytes) -> bool:
    """Whether an encoded frame (VP8, or H.264 in Annex B form) can be decoded alone."""
    if not data:
        return False
    if codec == "VP8":
        return data[0] & 0x01 == 0  # the frame tag's P bit (RFC 6386, section 9.1)
    start = 0
    while (found := data.find(b"\x00\x00\x01", start)) != -1 and found + 3 < len(data):
        if data[found + 3] & 0x1F in (_H264_IDR, _H264_SPS):
            return True
        start = found + 3
    return False


@dataclass(frozen=True, slots=True)
class AssembledFrame:
    """One whole encoded frame."""

    data: bytes
    "The frame's bytes, as the codec's decoder takes them."
    timestamp: int
    "Its RTP timestamp (90 kHz)."
    key: bool
    "Whether it is a key frame."
    after_loss: bool
    "Whether frames before it were lost (it can only be shown if it is a key frame)."


class FrameAssembler:
    """Reassembles one stream's frames (one SSRC), in order.

    Packets are held by sequence number until the frame they belong to is complete. A gap
    (a sequence number missing below one that came) that stays open longer than
    ``max_wait`` seconds (the NACKed packet did not come back) is given up: the frames
    around it are dropped and the next whole frame comes with ``after_loss`` set. A frame
    whose packets merely take long to come (a big key frame on a slow link) is waited for.
    """

    __slots__ = (
        "_codec",
        "_gap_since",
        "_held",
        "_highest",
        "_last_seq",
        "_lost",
        "_max_wait",
        "_next",
    )

    def __init__(self, codec: str, *, max_wait: float = 0.15) -> None:
        self._codec = codec
        self._max_wait = max_wait
        self._held: dict[int, tuple[bytes, bool, int, float]] = {}
        """By unwrapped sequence number: data, marker, timestamp, arrival."""
        self._next: int | None = None
        """The sequence number the next frame starts at (unknown before the first marker)."""
        self._last_seq: int | None = None
        self._lost = True  # the frames before the first one seen are lost to us
        self._highest = -1
        "The highest sequence number held."
        self._gap_since: float | None = None
        "When a sequence number first went missing below one held."

    def add(
        self,
        sequence_number: int,
        timestamp: int,
        marker: bool,
        data: bytes,
        arrival: float,
        *,
        starts: bool = False,
    ) -> list[AssembledFrame]:
        """Take one packet; return the frames it completes, in order (often none).

        ``starts``: the packet surely begins a frame (:func:`starts_frame`); before the
        first frame is known, such a packet lets it begin there rather than after the
        first frame end seen.
        """
        seq = self._unwrap(sequence_number)
        if self._next is not None and seq < self._next:
            return []  # a late duplicate of a frame already out, or given up
        if len(self._held) >= _MAX_HELD:
            self._held.clear()
            self._next, self._gap_since, self._lost = None, None, True
        self._held[seq] = (data, marker, timestamp, arrival)
        self._highest = max(self._highest, seq)
        if self._next is None:
            if starts:
                for old in [s for s in self._held if s < seq]:
                    del self._held[old]
                self._next = seq
            elif marker:  # the first frame end seen: what follows it starts a frame
                for old in [s for s in self._held if s <= seq]:
                    del self._held[old]
                self._next = seq + 1
                return []
            else:
                return []
        frames = self._complete()
        if not self._held or self._highest - self._next + 1 == len(self._held):
            self._gap_since = None  # nothing missing: a frame still coming is waited for
        elif self._gap_since is None:
            self._gap_since = arrival
        elif arrival - self._gap_since > self._max_wait:
            self._gap_since = None
            frames.extend(self._give_up())
        return frames

    def _unwrap(self, sequence_number: int) -> int:
        last = self._last_seq
        if last is None:
            seq = sequence_number
        else:
            step = (sequence_number - last) & 0xFFFF
            seq = last + (step - 0x10000 if step >= 0x8000 else step)
        if last is None or seq > last:
            self._last_seq = seq
        return seq

    def _complete(self) -> list[AssembledFrame]:
        frames: list[AssembledFrame] = []
        held = self._held
        while self._next is not None:
            seq = self._next
            parts: list[bytes] = []
            while seq in held and not held[seq][1]:
                parts.append(held[seq][0])
                seq += 1
            if seq not in held:
                break
            data, _marker, timestamp, _arrival = held[seq]
            parts.append(data)
            for done in range(self._next, seq + 1):
                del held[done]
            self._next = seq + 1
            frame = b"".join(parts)
            key = is_key_frame(self._codec, frame)
            frames.append(AssembledFrame(frame, timestamp, key, self._lost))
            self._lost = False
        return frames

    def _give_up(self) -> list[AssembledFrame]:
        """Skip the open gap: drop up to the first frame end held after it, go on there."""
        ends = sorted(s for s, h in self._held.items() if h[1])
        self._lost = True
        if not ends:
            self._held.clear()
            self._next = None  # resynchronise on the next frame end
            return []
        end = ends[0]
        for old in [s for s in self._held if s <= end]:
            del self._held[old]
        self._next = end + 1
        return self._complete()
