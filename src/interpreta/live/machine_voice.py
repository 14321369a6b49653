"""A machine channel's voice: the source channel's final captions translated and spoken
by a synthetic voice, sent to the media plane as a publisher of the channel.

The node that captions a machine channel's source (it holds the source's caption lease,
:mod:`interpreta.live.captions`) runs a :class:`MachineVoice` for each machine channel
of the source's topic. Each final sentence is rendered in order, on a thread
(:class:`~interpreta.speech.interpretation.MachineInterpreter`: Apertium, then
espeak-ng), and queued on :class:`SpokenTrack`, a track paced in real time that sends
silence between sentences. The channel's name and the listener's page say it is a
machine (EU AI Act Art. 50).

**Backlog.** A translation can take longer to say than the original (Spanish is longer,
and Italian goes through Spanish). Past :data:`FASTER_AFTER` seconds of speech waiting,
sentences are spoken faster; past :data:`DROP_AFTER`, the oldest waiting speech is
dropped, so the voice never drifts far behind the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections import deque
from collections.abc import Sequence

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from interpreta.media.forwarder.aiortc_hooks import host_addresses
from interpreta.speech import synthesis, translation
from interpreta.speech.interpretation import MachineInterpreter
from interpreta.speech.recognition import Caption

__all__ = ["DROP_AFTER", "FASTER_AFTER", "MachineVoice", "SpokenTrack"]

RATE = 48_000
FRAME = 960
"""Samples in one 20 ms frame."""

FASTER_AFTER = 4.0
"""Seconds of speech waiting past which sentences are spoken faster."""
DROP_AFTER = 10.0
"""Seconds of speech waiting past which the oldest is dropped."""
WORDS_PER_MINUTE = (160, 210)
"""espeak-ng's speed: as usual, and when behind."""

log = logging.getLogger(__name__)


class SpokenTrack(MediaStreamTrack):
    """48 kHz mono speech in 20 ms frames, paced in real time: what :meth:`say` was
    given, in order, and silence when nothing waits."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[np.ndarray] = deque()
        self._start: float | None = None
        self._pts = 0
        self.spoken_at: list[float] = []
        "When each sentence began to be sent (monotonic seconds), for the benchmark."
        self._starts: deque[int] = deque()
        self.dropped = 0
        "Sentences dropped, whole or in part, to catch up."

    def backlog(self) -> float:
        """Seconds of speech waiting to be sent."""
        return sum(len(part) for part in self._queue) / RATE

    def say(self, pcm_16k: bytes) -> None:
        """Queue speech (16 kHz mono s16), dropping the oldest waiting speech while more
        than :data:`DROP_AFTER` seconds wait."""
        samples = np.frombuffer(pcm_16k, dtype=np.int16)
        if not len(samples):
            return
        self._queue.append(np.repeat(samples, 3))  # 16 to 48 kHz; espeak has no highs
        self._starts.append(1)
        while len(self._queue) > 1 and self.backlog() > DROP_AFTER:
            self._queue.popleft()
            self._starts.popleft()
            self.dropped += 1

    def _next(self) -> np.ndarray:
        out = np.zeros(FRAME, dtype=np.int16)
        filled = 0
        while filled < FRAME and self._queue:
            part = self._queue[0]
            if self._starts and self._starts[0]:
                self.spoken_at.append(time.monotonic())
                self._starts[0] = 0
            take = min(FRAME - filled, len(part))
            out[filled : filled + take] = part[:take]
            filled += take
            if take == len(part):
                self._queue.popleft()
                self._starts.popleft()
            else:
                self._queue[0] = part[take:]
        return out

    async def recv(self) -> AudioFrame:
        """The next 20 ms frame, when it is due."""
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += FRAME
            await asyncio.sleep(self._start + self._pts / RATE - time.monotonic())
        frame = AudioFrame.from_ndarray(self._next().reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class MachineVoice:
    """One machine channel on this node: a peer connection publishing
    :class:`SpokenTrack`, fed with the renderings of its source's final captions."""

    def __init__(
        self,
        channel_id: int,
        peer_id: str,
        source_language: str,
        target_language: str,
        addresses: Sequence[str] | None = None,
    ) -> None:
        self.channel_id = channel_id
        self.peer_id = peer_id
        self.track = SpokenTrack()
        self.interpreter = MachineInterpreter(source_language, target_language, voiced=False)
        self._addresses = addresses
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc.addTransceiver(self.track, direction="sendonly")
        self._captions: asyncio.Queue[tuple[float, Caption]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.closed = False

    async def offer(self) -> str:
        """The peer's offer (every candidate gathered)."""
        with host_addresses(self._addresses):
            await self._pc.setLocalDescription(await self._pc.createOffer())
        sdp: str = self._pc.localDescription.sdp
        return sdp

    async def answered(self, answer_sdp: str) -> None:
        """Take the plane's answer: the voice starts (silent until a sentence comes)."""
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
        self._worker = asyncio.create_task(self._render())

    @property
    def failed(self) -> bool:
        """The connection to the plane failed or closed, or the renderer ended: start
        another."""
        worker_ended = self._worker is not None and self._worker.done()
        return self.closed or worker_ended or self._pc.connectionState in ("failed", "closed")

    def hear(self, caption: Caption) -> None:
        """Take one of the source's captions (only final sentences are rendered)."""
        if caption.final and caption.text.strip() and not self.closed:
            self._captions.put_nowait((time.monotonic(), caption))

    def _spoken(self, text: str, language: str, behind: bool) -> bytes:
        """`text` spoken (on a thread), faster when the voice is behind."""
        return synthesis.speak(text, language, WORDS_PER_MINUTE[behind]) if text else b""

    async def _render(self) -> None:
        """Render the sentences in order; one that waited longer than :data:`DROP_AFTER`
        is skipped (the voice catches up with the floor), and one that fails is logged
        and skipped."""
        while True:
            heard_at, caption = await self._captions.get()
            if time.monotonic() - heard_at > DROP_AFTER:
                self.track.dropped += 1
                continue
            behind = self.track.backlog() > FASTER_AFTER  # read here, on the loop
            try:
                rendering = await asyncio.to_thread(self.interpreter.render, caption)
                if rendering is None:
                    continue
                pcm = await asyncio.to_thread(
                    self._spoken, rendering.text, self.interpreter.target, behind
                )
            except (translation.TranslationFailed, synthesis.SynthesisFailed) as exc:
                log.warning("machine channel %s skipped a sentence: %s", self.channel_id, exc)
                continue
            except Exception:
                log.exception("machine channel %s skipped a sentence", self.channel_id)
                continue
            self.track.say(pcm)

    async def close(self) -> None:
        """Stop rendering and close the peer connection (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self.track.stop()
        await self._pc.close()
