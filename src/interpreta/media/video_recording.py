"""Recording a video channel from its forwarded frames, without decoding or re-encoding.

A :class:`VideoTap` is a viewer of a video channel like any other (an aiortc peer,
through the plane's ``subscribe``, so it works on either backend), whose receiver hands
over each RTP packet as it arrives; the packets are put back into whole frames
(:class:`~interpreta.media.forwarder.frames.FrameAssembler`). A :class:`VideoRecorder`
puts those frames, as they were encoded, into a Matroska stream (WebM for VP8) with
PyAV's muxer, writing to memory, each frame at the time it arrived since the recording
started: the picture keeps the event's timeline, like the sound. It starts at the first
key frame, so the file plays from its beginning. :meth:`VideoRecorder.take` hands over
the bytes written since the last call, for the caller to encrypt and store.

:func:`blacked_out` takes a person out of a recording when they are erased: the frames of
their stretches are replaced by one black key frame (encoded here, at the recording's
size: the only picture made rather than forwarded), and the frames after a stretch are
dropped until the next key frame, so nothing of them can be decoded.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from interpreta.media.forwarder.aiortc_hooks import (
    RtpPacket,
    host_addresses,
    request_key_frame,
    tap_video_receiver,
)
from interpreta.media.forwarder.frames import AssembledFrame, FrameAssembler, starts_frame
from interpreta.media.plane import MediaPlane
from interpreta.media.recording import Spool

__all__ = [
    "VideoRecorder",
    "VideoTap",
    "blacked_out",
    "codec_of",
    "container_format",
    "file_extension",
    "media_type",
]

_MS = Fraction(1, 1000)
_MUXED = {"VP8": ("webm", "vp8"), "H264": ("matroska", "h264")}
_ENCODERS = {"VP8": "libvpx", "H264": "libx264"}
_MEDIA_TYPES = {"VP8": "video/webm", "H264": "video/x-matroska"}
_EXTENSIONS = {"audio/ogg": "ogg", "video/webm": "webm", "video/x-matroska": "mkv"}


def container_format(codec: str) -> str:
    """The container a recording of `codec` is written in: WebM for VP8, else Matroska."""
    return _MUXED[codec][0]


def media_type(codec: str) -> str:
    """The media type of a video recording of `codec`."""
    return _MEDIA_TYPES[codec]


def codec_of(media: str) -> str:
    """The codec of a video recording of media type `media`.

    :raises KeyError: not a video recording's media type.
    """
    return next(codec for codec, known in _MEDIA_TYPES.items() if known == media)


def file_extension(media: str) -> str:
    """The file name extension of a recording of media type `media` (sound or video)."""
    return _EXTENSIONS.get(media, "bin")


def _size(codec: str, key_frame: bytes) -> tuple[int, int]:
    """The picture size of a key frame (decoded once, only to read it)."""
    decoder: Any = av.CodecContext.create(_MUXED[codec][1], "r")
    for frame in decoder.decode(av.Packet(key_frame)):
        return frame.width, frame.height
    for frame in decoder.decode(None):
        return frame.width, frame.height
    raise ValueError("the key frame does not decode")


class VideoRecorder:
    """Encoded frames in, Matroska (WebM) bytes out, on the recording's timeline."""

    def __init__(self, codec: str = "VP8") -> None:
        """:param codec: the plane's video codec (``"VP8"`` or ``"H264"``)."""
        if codec not in _MUXED:
            raise ValueError(f"no recording of {codec!r} video")
        self.codec = codec
        self._spool = Spool()
        self._container: Any = None
        self._stream: Any = None
        self._last_ms = -1
        self.frames = 0
        "Frames recorded."
        self.closed = False
        "Whether :meth:`finish` ended the stream."

    @property
    def duration_ms(self) -> int:
        """The time of the last frame recorded."""
        return max(0, self._last_ms)

    def add(self, data: bytes, key: bool, at_ms: int) -> None:
        """Record one encoded frame that arrived `at_ms` milliseconds after the
        recording started (frames before the first key frame are skipped)."""
        if self.closed or not data:
            return
        if self._container is None:
            if not key:
                return
            width, height = _size(self.codec, data)
            self._container = av.open(self._spool, mode="w", format=container_format(self.codec))
            self._stream = self._container.add_stream(_MUXED[self.codec][1], rate=30)
            self._stream.width, self._stream.height = width, height
            self._stream.time_base = _MS
        at_ms = max(at_ms, self._last_ms + 1)  # strictly increasing, whatever the clock
        packet = av.Packet(data)
        packet.stream = self._stream
        packet.pts = packet.dts = at_ms
        packet.time_base = _MS
        packet.is_keyframe = key
        self._container.mux(packet)
        self._last_ms = at_ms
        self.frames += 1

    def take(self) -> bytes:
        """The bytes written since the last call."""
        return self._spool.take()

    def finish(self) -> bytes:
        """End the stream; its last bytes (nothing if no key frame ever came)."""
        if not self.closed:
            self.closed = True
            if self._container is not None:
                self._container.close()
        return self._spool.take()


def _black_key_frame(codec: str, width: int, height: int) -> bytes:
    encoder: Any = av.CodecContext.create(_ENCODERS[codec], "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = Fraction(1, 30)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")
    frame.pts = 0
    data = b"".join(bytes(p) for p in encoder.encode(frame))
    data += b"".join(bytes(p) for p in encoder.encode(None))
    return data


def blacked_out(recording: bytes, codec: str, spans: list[tuple[int, int]]) -> bytes:
    """`recording` with the picture black within each span (milliseconds, both ends
    included: a span ends at its person's last frame) and nothing decodable of those
    stretches left; the same timeline."""
    recorder = VideoRecorder(codec)
    black: bytes | None = None
    cut = False  # inside a span, or after one until the next key frame
    with av.open(io.BytesIO(recording), mode="r") as container:
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
        for packet in container.demux(video=0):
            if packet.size == 0 or packet.pts is None:
                continue
            at_ms = int(packet.pts * packet.time_base * 1000)
            inside = any(start <= at_ms <= end for start, end in spans)
            if inside:
                if not cut:
                    black = black or _black_key_frame(codec, *size)
                    recorder.add(black, True, at_ms)
                cut = True
                continue
            if cut and not packet.is_keyframe:
                continue  # it needs frames that were taken out
            cut = False
            recorder.add(bytes(packet), packet.is_keyframe, at_ms)
    return recorder.finish()


class VideoTap:
    """A viewer of a plane's video channel that hands each whole frame to a callback."""

    def __init__(self, plane: MediaPlane, peer_id: str, codec: str = "VP8") -> None:
        """
        :param peer_id: the tap's peer id on the plane.
        :param codec: the plane's video codec.
        """
        self.plane = plane
        self.peer_id = peer_id
        self.codec = codec
        self._pc: RTCPeerConnection | None = None
        self._asked_at = 0.0
        self._asking: set[asyncio.Task[None]] = set()

    @property
    def closed(self) -> bool:
        """Whether the tap's connection is gone (closed here, failed, or closed by the
        plane)."""
        return self._pc is None or self._pc.connectionState in ("closed", "failed")

    async def start(
        self,
        channel_id: str,
        on_frame: Callable[[AssembledFrame], None],
        addresses: Sequence[str] | None = None,
    ) -> None:
        """Watch `channel_id`; ICE host candidates on `addresses` (every interface but
        loopback when None). `on_frame` gets whole frames from a key frame on."""
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc = pc
        transceiver = pc.addTransceiver("video", direction="recvonly")
        assembler = FrameAssembler(self.codec)

        waiting = True  # for a key frame: what comes before it cannot be decoded

        def on_packet(packet: RtpPacket, data: bytes) -> None:
            nonlocal waiting
            seq, ts, end = packet.sequence_number, packet.timestamp, bool(packet.marker)
            starts = starts_frame(self.codec, packet.payload)
            for frame in assembler.add(seq, ts, end, data, time.monotonic(), starts=starts):
                waiting = (waiting or frame.after_loss) and not frame.key
                if waiting:  # it would decode against a picture the recording lacks
                    self._ask(transceiver.receiver, packet.ssrc)
                    continue
                on_frame(frame)

        tap_video_receiver(transceiver.receiver, on_packet, _ignore)
        with host_addresses(addresses):
            await pc.setLocalDescription(await pc.createOffer())
        try:
            answer = await self.plane.subscribe(channel_id, self.peer_id, pc.localDescription.sdp)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except BaseException:
            await self.close()
            raise

    def _ask(self, receiver: RTCRtpReceiver, ssrc: int) -> None:
        """Ask for a key frame (the first one, or after a loss), twice a second at most."""
        now = time.monotonic()
        if now - self._asked_at < 0.5:
            return
        self._asked_at = now
        task = asyncio.ensure_future(request_key_frame(receiver, ssrc))
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def close(self) -> None:
        """Stop watching and leave the channel."""
        pc, self._pc = self._pc, None
        if pc is not None:
            await pc.close()
        await self.plane.close_peer(self.peer_id)


def _ignore(awaitable: Any) -> None:
    """The tap does not NACK (a frame lost is a frame missing from the recording)."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
