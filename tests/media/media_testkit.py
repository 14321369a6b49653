"""Real aiortc peers for the media plane tests: tone publishers, listening subscribers."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from interpreta.media.forwarder.aiortc_hooks import RtpPacket, host_addresses, tap_receiver
from interpreta.media.plane import MediaPlane

LOOPBACK = ("127.0.0.1",)
RATE = 48000
FRAME = 960  # 20 ms


class PacedTrack(MediaStreamTrack):
    """48 kHz mono s16 audio in 20 ms frames, paced in real time; a subclass says what
    each frame holds (:meth:`samples`)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None
        self._pts = 0

    def samples(self, pts: int) -> np.ndarray:
        """The frame's :data:`FRAME` samples (int16), starting at sample `pts`."""
        raise NotImplementedError

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._pts += FRAME
            await asyncio.sleep(self._start + self._pts / RATE - time.monotonic())
        samples = self.samples(self._pts)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class ToneTrack(PacedTrack):
    """A sine tone.

    ``frequency`` can be changed while it plays; ``changed_at`` records when (monotonic).
    """

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self._frequency = frequency
        self.changed_at: float | None = None
        self._phase = 0.0

    @property
    def frequency(self) -> float:
        return self._frequency

    @frequency.setter
    def frequency(self, value: float) -> None:
        self._frequency = value
        self.changed_at = time.monotonic()

    def samples(self, pts: int) -> np.ndarray:
        step = 2 * np.pi * self._frequency / RATE
        phases = self._phase + step * np.arange(FRAME)
        self._phase = float((phases[-1] + step) % (2 * np.pi))
        return (0.3 * 32767 * np.sin(phases)).astype(np.int16)


class SoundTrack(PacedTrack):
    """Given sound (48 kHz mono s16), then silence."""

    def __init__(self, sound: np.ndarray) -> None:
        super().__init__()
        self.sound = sound.astype(np.int16)

    def samples(self, pts: int) -> np.ndarray:
        part = self.sound[pts : pts + FRAME]
        return np.pad(part, (0, FRAME - len(part)))


def dominant_frequency(samples: np.ndarray) -> float | None:
    """The strongest frequency in ``samples`` (48 kHz), ``None`` for near silence."""
    if len(samples) == 0 or float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) < 300:
        return None
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window))
    return float(np.argmax(spectrum) * RATE / len(samples))


def new_peer_connection(configuration: RTCConfiguration | None = None) -> RTCPeerConnection:
    """A peer connection: no STUN/TURN servers (host candidates only) unless configured."""
    return RTCPeerConnection(configuration or RTCConfiguration(iceServers=[]))


Rewrite = Callable[[str], str]
"""Changes an offer's SDP before it is sent (as a browser's would differ)."""


def hide_host_addresses(sdp: str) -> str:
    """The offer as a browser that hides its addresses sends it: each host candidate named
    by a random ``.local`` name instead of its address (draft-ietf-mmusic-mdns-ice-
    candidates), which nobody resolves here; an offer without host candidates (a peer
    that uses only a relay) gets one such candidate, as a browser's would have."""
    candidate = re.compile(r"^(a=candidate:\S+ \d+ udp \d+ )(\S+)( \d+ typ host.*)$", re.MULTILINE)
    hidden, count = candidate.subn(lambda m: f"{m[1]}{uuid.uuid4()}.local{m[3]}", sdp)
    if count == 0:
        extra = f"a=candidate:9 1 udp 2122260223 {uuid.uuid4()}.local 54400 typ host\r\n"
        hidden = hidden.replace("a=end-of-candidates\r\n", extra + "a=end-of-candidates\r\n")
    assert ".local" in hidden
    return hidden


def _sent(pc: RTCPeerConnection, rewrite: Rewrite | None) -> str:
    sdp: str = pc.localDescription.sdp
    return sdp if rewrite is None else rewrite(sdp)


@dataclass
class TonePublisher:
    """A peer publishing a tone to a channel of the plane."""

    pc: RTCPeerConnection
    tone: ToneTrack

    async def wait_connected(self, timeout: float = 10) -> None:
        """Wait until ICE and DTLS are up (the plane may count a publisher before)."""
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            assert time.monotonic() < deadline, f"still {self.pc.connectionState}"
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.pc.close()


async def start_publisher(
    plane: MediaPlane,
    channel_id: str,
    peer_id: str,
    frequency: float,
    *,
    addresses: Sequence[str] = LOOPBACK,
    configuration: RTCConfiguration | None = None,
    rewrite_offer: Rewrite | None = None,
) -> TonePublisher:
    """A peer publishing a ``frequency`` tone, its ICE candidates on ``addresses``
    (and its STUN/TURN servers and transport policy from ``configuration``)."""
    tone = ToneTrack(frequency)
    pc = await _published(plane, channel_id, peer_id, tone, addresses, configuration, rewrite_offer)
    return TonePublisher(pc, tone)


async def start_sound_publisher(
    plane: MediaPlane, channel_id: str, peer_id: str, samples: np.ndarray
) -> RTCPeerConnection:
    """A peer publishing `samples` (48 kHz mono s16) once, then silence."""
    return await _published(plane, channel_id, peer_id, SoundTrack(samples), LOOPBACK, None, None)


async def _published(
    plane: MediaPlane,
    channel_id: str,
    peer_id: str,
    track: MediaStreamTrack,
    addresses: Sequence[str],
    configuration: RTCConfiguration | None,
    rewrite_offer: Rewrite | None,
) -> RTCPeerConnection:
    pc = new_peer_connection(configuration)
    pc.addTransceiver(track, direction="sendonly")
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    try:
        answer = await plane.publish(channel_id, peer_id, _sent(pc, rewrite_offer))
    except BaseException:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc


@dataclass
class Heard:
    """One decoded 20 ms frame: when it came out of the decoder, and its tone."""

    at: float
    frequency: float | None


@dataclass
class ListeningSubscriber:
    """A peer subscribed to a channel: records the RTP it receives and what it hears."""

    pc: RTCPeerConnection
    rtp: list[tuple[float, int, int, int]] = field(default_factory=list)
    "(arrival, sequence number, timestamp, ssrc) of each RTP packet."
    heard: list[Heard] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def on_rtp(self, packet: RtpPacket) -> None:
        self.rtp.append((time.monotonic(), packet.sequence_number, packet.timestamp, packet.ssrc))

    async def listen(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                data = frame.to_ndarray().reshape(-1)
                if not frame.format.is_planar and len(frame.layout.channels) == 2:
                    data = data[::2]
                self.heard.append(Heard(time.monotonic(), dominant_frequency(data)))
        except MediaStreamError:
            pass

    async def wait_for_tone(
        self, frequency: float, *, after: float = 0.0, timeout: float = 5.0, frames: int = 3
    ) -> float:
        """When ``frames`` consecutive frames heard after ``after`` carry ``frequency``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = 0
            for heard in self.heard:
                if heard.at < after:
                    continue
                f = heard.frequency
                run = run + 1 if f is not None and abs(f - frequency) <= 60 else 0
                if run == frames:
                    # the first frame of the run
                    index = self.heard.index(heard) - frames + 1
                    return self.heard[index].at
            await asyncio.sleep(0.02)
        recent = [h.frequency for h in self.heard[-10:]]
        raise AssertionError(f"{frequency} Hz not heard within {timeout} s; last: {recent}")

    async def close(self) -> None:
        await self.pc.close()
        if self._task is not None:
            self._task.cancel()


async def start_subscriber(
    plane: MediaPlane,
    channel_id: str,
    peer_id: str,
    *,
    addresses: Sequence[str] = LOOPBACK,
    configuration: RTCConfiguration | None = None,
    rewrite_offer: Rewrite | None = None,
) -> ListeningSubscriber:
    """A peer subscribed to a channel, its ICE candidates on ``addresses`` (and its
    STUN/TURN servers and transport policy from ``configuration``)."""
    pc = new_peer_connection(configuration)
    transceiver = pc.addTransceiver("audio", direction="recvonly")
    subscriber = ListeningSubscriber(pc)
    tap_receiver(transceiver.receiver, subscriber.on_rtp, decode=True)
    with host_addresses(addresses):
        await pc.setLocalDescription(await pc.createOffer())
    try:
        answer = await plane.subscribe(channel_id, peer_id, _sent(pc, rewrite_offer))
    except BaseException:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    subscriber._task = asyncio.create_task(subscriber.listen(transceiver.receiver.track))
    return subscriber


def assert_continuous(rtp: list[tuple[float, int, int, int]], *, max_step: int) -> None:
    """One SSRC, consecutive sequence numbers, timestamps rising by 1..max_step each."""
    assert rtp, "no RTP received"
    assert len({r[3] for r in rtp}) == 1, "the SSRC changed"
    for (_, seq0, ts0, _), (_, seq1, ts1, _) in itertools.pairwise(rtp):
        assert (seq1 - seq0) & 0xFFFF == 1, f"sequence jumped {seq0} -> {seq1}"
        step = (ts1 - ts0) & 0xFFFFFFFF
        assert 0 < step <= max_step, f"timestamp stepped {step} ({ts0} -> {ts1})"
