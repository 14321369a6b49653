"""A live RTMP stream's sound as a WebRTC publisher (the RTMP room feed's sender).

An encoder sends AAC (or MP3) over RTMP; the floor carries Opus over WebRTC. The node
plays the stream back from its nginx with PyAV, decodes it in a thread of its own as
each packet arrives (``fflags nobuffer``, ``flags low_delay``, a tiny probe, ``rtmp_live
live`` and a 100 ms client buffer: nothing waits to fill a buffer), and hands 48 kHz
frames to an aiortc track. A peer connection in the app sends that track, encoded to
Opus by aiortc, to the media plane through the hub like any speaker's microphone, so it
works on every plane. The sender takes each frame as soon as it is decoded (it does not
pace), so nothing waits for long: what arrived before the peer connection was up is
dropped but for the newest :data:`START_FRAMES`, and at most :data:`BACKLOG_FRAMES` ever
wait (after a stall of the event loop), so no stall becomes lasting delay.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from interpreta.media.forwarder.aiortc_hooks import host_addresses

__all__ = ["BACKLOG_FRAMES", "LOW_DELAY", "START_FRAMES", "PulledSound", "RtmpPublisher"]

log = logging.getLogger(__name__)

RATE = 48000
TIME_BASE = fractions.Fraction(1, RATE)

LOW_DELAY = {
    "fflags": "nobuffer",
    "flags": "low_delay",
    "probesize": "32",
    "analyzeduration": "0",
    "rtmp_live": "live",
    "rtmp_buffer": "100",
}
"""PyAV (FFmpeg) options for playing the stream back with as little delay as it allows."""

BACKLOG_FRAMES = 25
"""Decoded frames (about 21 ms each) that may wait for the sender; older ones go."""

START_FRAMES = 3
"""Frames kept for the sender's first request (the stream flowed before it connected)."""

OPEN_WAIT = 10.0
"""Seconds to keep trying to play a stream nginx has just accepted."""

READ_TIMEOUT = 5.0
"""Seconds without data after which the stream counts as gone."""


class PulledSound(MediaStreamTrack):
    """The sound of the stream at `url`, decoded as it arrives (started on :meth:`start`)."""

    kind = "audio"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.ended = asyncio.Event()
        """Set when the stream ended (or could not be played)."""
        self._frames: deque[AudioFrame] = deque()
        self._ready = asyncio.Event()
        self._owner_loop = asyncio.get_running_loop()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pts = 0
        self.frames_dropped = 0
        """Frames dropped because the sender lagged (see :data:`BACKLOG_FRAMES`)."""

    def start(self) -> None:
        """Start playing the stream back (in a thread)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="rtmp-pull", daemon=True)
            self._thread.start()

    async def recv(self) -> AudioFrame:
        """The next frame: 48 kHz s16 stereo, timestamps in samples."""
        while not self._frames:
            if self.ended.is_set() or self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self._pts == 0:  # the sender's first frame: what came before it is stale
            while len(self._frames) > START_FRAMES:
                self._frames.popleft()
        frame = self._frames.popleft()
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += frame.samples
        return frame

    def stop(self) -> None:
        """Stop playing the stream back."""
        self._stopping.set()
        super().stop()

    async def close(self) -> None:
        """Stop, and wait for the reading thread to let go of the stream."""
        self.stop()
        thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join, READ_TIMEOUT + 1)

    # --- the reading thread ---------------------------------------------------------------

    def _read(self) -> None:
        container: Any = None
        try:
            container = self._open()
            if container is None:
                return
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
            for packet in container.demux(stream):
                if self._stopping.is_set():
                    break
                for decoded in packet.decode():
                    for frame in resampler.resample(decoded):
                        self._owner_loop.call_soon_threadsafe(self._deliver, frame)
        except IndexError:
            log.warning("the RTMP stream %s carries no sound", self._safe_url)
        except (av.FFmpegError, OSError) as exc:
            if not self._stopping.is_set():
                log.info("the RTMP stream %s ended: %s", self._safe_url, exc)
        finally:
            if container is not None:
                container.close()
            self._owner_loop.call_soon_threadsafe(self._finish)

    def _open(self) -> Any:
        """The stream, played back; None when it never became playable."""
        deadline = time.monotonic() + OPEN_WAIT
        while not self._stopping.is_set():
            try:
                return av.open(self.url, options=LOW_DELAY, timeout=(OPEN_WAIT, READ_TIMEOUT))
            except (av.FFmpegError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # nginx has not started relaying it yet
        return None

    @property
    def _safe_url(self) -> str:
        """The URL without the stream key (the log keeps no secret)."""
        return self.url.rsplit("/", 1)[0] + "/…"

    def _deliver(self, frame: AudioFrame) -> None:
        self._frames.append(frame)
        while len(self._frames) > BACKLOG_FRAMES:
            self._frames.popleft()
            self.frames_dropped += 1
        self._ready.set()

    def _finish(self) -> None:
        self.ended.set()
        self._ready.set()


class RtmpPublisher:
    """A peer connection of the app sending a stream's sound (a :class:`PulledSound`)."""

    def __init__(self, url: str, addresses: Sequence[str] | None = None) -> None:
        """
        :param url: where the stream is played back (on this machine's nginx).
        :param addresses: where the peer gathers ICE candidates (the embedded plane's
            address; None: every interface but loopback, as Janus needs).
        """
        self.sound = PulledSound(url)
        self._addresses = addresses
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc.addTransceiver(self.sound, direction="sendonly")
        self._closed = False

    async def offer(self) -> str:
        """Start playing the stream back; the peer's offer (every candidate gathered)."""
        self.sound.start()
        with host_addresses(self._addresses):
            await self._pc.setLocalDescription(await self._pc.createOffer())
        sdp: str = self._pc.localDescription.sdp
        return sdp

    async def answered(self, answer_sdp: str) -> None:
        """Take the plane's answer: the sound starts flowing."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def close(self) -> None:
        """Stop playing back and close the peer connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.sound.close()
        await self._pc.close()
