"""Recording a channel from its forwarded packets, without decoding or re-encoding.

A :class:`ChannelTap` is a subscriber of a channel like any listener (an aiortc peer,
through the plane's own ``subscribe``, so it works on either backend), whose receiver
hands each Opus RTP packet over as it arrives instead of decoding it. An
:class:`OggOpusRecorder` puts those packets, as they are, into an Ogg Opus stream
(PyAV's muxer, writing to memory): where the channel was silent (nobody on air, no
packets) it puts Opus silence frames, so the recording keeps the event's timeline and a
second in it is a second of the event, from the moment recording started
(:meth:`OggOpusRecorder.pad_to` fills a channel quiet at the end or all along).
:meth:`OggOpusRecorder.take` hands over the bytes written since the last call, for the
caller to encrypt and store: nothing is written to a file here.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from interpreta.media.forwarder.aiortc_hooks import RtpPacket, host_addresses, tap_receiver
from interpreta.media.plane import MediaPlane

__all__ = ["SILENCE", "ChannelTap", "OggOpusRecorder", "Spool"]

RATE = 48000
FRAME = 960
"""Samples in one 20 ms Opus frame at 48 kHz."""

SILENCE = b"\xf8\xff\xfe"
"""A 20 ms Opus frame of silence (CELT, fullband, mono: TOC 0xF8 and an empty frame)."""

MAX_GAP_FRAMES = 50 * 60 * 60 * 6
"""The longest silence filled (6 hours); a larger jump in timestamps is a broken stream."""

_TIME_BASE = Fraction(1, RATE)


def opus_head(channels: int = 1, pre_skip: int = 312) -> bytes:
    """The ``OpusHead`` identification header (RFC 7845) for the Ogg stream."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, RATE, 0, 0)


class Spool(io.RawIOBase):
    """A write-only, forward-only file the muxer writes to; :meth:`take` empties it."""

    def __init__(self) -> None:
        super().__init__()
        self._data = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._data += chunk
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        """What was written since the last take."""
        data, self._data = bytes(self._data), bytearray()
        return data


class OggOpusRecorder:
    """Opus packets in, Ogg Opus bytes out, on the channel's timeline."""

    def __init__(self) -> None:
        self._spool = Spool()
        self._container: Any = av.open(self._spool, mode="w", format="ogg")
        self._stream = self._container.add_stream("libopus", rate=RATE)
        self._stream.codec_context.layout = "mono"
        self._stream.codec_context.extradata = opus_head()
        self._origin: int | None = None
        self._next = 0
        self.packets = 0
        "Opus packets recorded (silence frames not counted)."
        self.closed = False

    @property
    def duration_ms(self) -> int:
        """How long the recording is so far."""
        return self._next * 1000 // RATE

    def add(self, payload: bytes, timestamp: int, at_ms: int = 0) -> None:
        """Record one packet: its Opus payload, its RTP timestamp (48 kHz), and when it
        arrived (milliseconds since the recording started: the first packet's place)."""
        if self.closed:
            return
        if self._origin is None:
            lead = max(0, at_ms) * RATE // 1000 // FRAME * FRAME
            self._origin = (timestamp - lead) & 0xFFFFFFFF
        position = (timestamp - self._origin) & 0xFFFFFFFF
        if position < self._next:
            return  # a late or repeated packet: its time is already written
        gap = (position - self._next) // FRAME
        if gap > MAX_GAP_FRAMES:
            return
        for _ in range(gap):
            self._mux(SILENCE)
        self._mux(payload)
        self.packets += 1

    def pad_to(self, milliseconds: int) -> None:
        """Fill with silence up to `milliseconds` (a channel quiet at the end, or all
        along): every channel's recording then lasts as long as the recording did."""
        target = max(0, milliseconds) * RATE // 1000
        while self._next + FRAME <= target:
            self._mux(SILENCE)
        if self._origin is None:
            self._origin = 0  # no packet came; any later one is out of this recording

    def _mux(self, payload: bytes) -> None:
        packet = av.Packet(payload)
        packet.stream = self._stream
        packet.pts = packet.dts = self._next
        packet.time_base = _TIME_BASE
        packet.duration = FRAME
        self._container.mux(packet)
        self._next += FRAME

    def take(self) -> bytes:
        """The Ogg bytes written since the last call."""
        return self._spool.take()

    def finish(self) -> bytes:
        """End the stream; its last bytes."""
        if not self.closed:
            self.closed = True
            self._container.close()
        return self._spool.take()


class ChannelTap:
    """A subscriber of a plane's channel that hands each Opus RTP packet to a callback."""

    def __init__(self, plane: MediaPlane, peer_id: str) -> None:
        self.plane = plane
        self.peer_id = peer_id
        self._pc: RTCPeerConnection | None = None

    async def start(
        self,
        channel_id: str,
        on_packet: Callable[[RtpPacket], None],
        addresses: Sequence[str] | None = None,
    ) -> None:
        """Subscribe to `channel_id`; ICE host candidates on `addresses` (every interface
        but loopback when None)."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc = pc
        transceiver = pc.addTransceiver("audio", direction="recvonly")
        tap_receiver(transceiver.receiver, on_packet)
        with host_addresses(addresses):
            await pc.setLocalDescription(await pc.createOffer())
        try:
            answer = await self.plane.subscribe(channel_id, self.peer_id, pc.localDescription.sdp)
        except BaseException:
            await self.close()
            raise
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        """Stop receiving and leave the channel."""
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()
        await self.plane.close_peer(self.peer_id)
