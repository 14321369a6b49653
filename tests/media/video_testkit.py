"""Real aiortc peers that send and watch video: solid-colour cameras, decoding viewers."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from aiortc import RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from interpreta.media.forwarder.aiortc_hooks import host_addresses
from interpreta.media.plane import MediaPlane
from tests.media.media_testkit import LOOPBACK, new_peer_connection

VIDEO_RATE = 90000
FPS = 30
WIDTH, HEIGHT = 320, 180

COLOURS = {
    "red": (220, 30, 30),
    "blue": (30, 30, 220),
    "green": (30, 200, 30),
    "white": (250, 250, 250),
    "black": (5, 5, 5),
}


class ColourTrack(MediaStreamTrack):
    """A camera showing one solid colour, ``FPS`` frames a second paced in real time.

    ``colour`` can be changed while it plays (a flash); ``changed_at`` records when.
    """

    kind = "video"

    def __init__(self, colour: str, width: int = WIDTH, height: int = HEIGHT) -> None:
        super().__init__()
        self._colour = colour
        self.changed_at: float | None = None
        self._size = (height, width)
        self._start: float | None = None
        self._index = 0
        self._frames: dict[str, VideoFrame] = {}

    @property
    def colour(self) -> str:
        return self._colour

    @colour.setter
    def colour(self, value: str) -> None:
        self._colour = value
        self.changed_at = time.monotonic()

    def _frame(self) -> VideoFrame:
        cached = self._frames.get(self._colour)
        if cached is None:
            pixels = np.zeros((*self._size, 3), dtype=np.uint8)
            pixels[:, :] = COLOURS[self._colour]
            cached = self._frames[self._colour] = VideoFrame.from_ndarray(pixels, format="rgb24")
        frame = VideoFrame.from_ndarray(cached.to_ndarray(format="rgb24"), format="rgb24")
        return frame

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._index += 1
            await asyncio.sleep(self._start + self._index / FPS - time.monotonic())
        frame = self._frame()
        frame.pts = self._index * VIDEO_RATE // FPS
        frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        return frame


def colour_of(frame: VideoFrame) -> str:
    """The named colour closest to the frame's mean colour."""
    mean = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
    return min(COLOURS, key=lambda name: float(np.sum((mean - np.array(COLOURS[name])) ** 2)))


def _prefer(transceiver: object, codec: str) -> None:
    capabilities = RTCRtpSender.getCapabilities("video")
    chosen = [c for c in capabilities.codecs if c.mimeType.lower() == f"video/{codec.lower()}"]
    transceiver.setCodecPreferences(chosen)  # type: ignore[attr-defined]


@dataclass
class Camera:
    """A peer publishing a solid-colour camera to a video channel."""

    pc: object
    track: ColourTrack

    async def close(self) -> None:
        await self.pc.close()  # type: ignore[attr-defined]


async def start_camera(
    plane: MediaPlane,
    channel_id: str,
    peer_id: str,
    colour: str,
    *,
    codec: str = "VP8",
    addresses: Sequence[str] = LOOPBACK,
) -> Camera:
    """A peer publishing a ``colour`` camera in ``codec``."""
    pc = new_peer_connection()
    track = ColourTrack(colour)
    _prefer(pc.addTransceiver(track, direction="sendonly"), codec)
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    try:
        answer = await plane.publish(channel_id, peer_id, pc.localDescription.sdp)
    except BaseException:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return Camera(pc, track)


@dataclass
class Seen:
    """One decoded frame: when it came out of the decoder, its colour and size."""

    at: float
    colour: str
    width: int


@dataclass
class Viewer:
    """A peer subscribed to a video channel: decodes what it receives."""

    pc: object
    codec: str = ""
    seen: list[Seen] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def watch(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                self.seen.append(Seen(time.monotonic(), colour_of(frame), frame.width))
        except MediaStreamError:
            pass

    async def wait_for(
        self, colour: str, *, after: float = 0.0, timeout: float = 5.0, frames: int = 3
    ) -> float:
        """When the first of ``frames`` consecutive ``colour`` frames seen after ``after``
        came out of the decoder."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = 0
            for index, seen in enumerate(self.seen):
                if seen.at < after:
                    continue
                run = run + 1 if seen.colour == colour else 0
                if run == frames:
                    return self.seen[index - frames + 1].at
            await asyncio.sleep(0.02)
        recent = [s.colour for s in self.seen[-10:]]
        raise AssertionError(f"{colour} not seen within {timeout} s; last: {recent}")

    async def close(self) -> None:
        await self.pc.close()  # type: ignore[attr-defined]
        if self._task is not None:
            self._task.cancel()


async def start_viewer(
    plane: MediaPlane,
    channel_id: str,
    peer_id: str,
    *,
    addresses: Sequence[str] = LOOPBACK,
) -> Viewer:
    """A peer watching a video channel (it offers VP8 and H.264, as a browser does)."""
    pc = new_peer_connection()
    transceiver = pc.addTransceiver("video", direction="recvonly")
    viewer = Viewer(pc)
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    try:
        answer = await plane.subscribe(channel_id, peer_id, pc.localDescription.sdp)
    except BaseException:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    for line in answer.splitlines():
        if line.startswith("a=rtpmap:") and "/90000" in line and "rtx" not in line.lower():
            viewer.codec = line.split()[1].split("/")[0]
            break
    viewer._task = asyncio.create_task(viewer.watch(transceiver.receiver.track))
    return viewer
