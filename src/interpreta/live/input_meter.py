"""The input-quality meter of each floor, measured on the server, for interpreters and
organisers.

While an interpreter or an organiser of an event is connected to this node, each floor of
the event has a tap here (a :class:`~interpreta.media.recording.ChannelTap`, a subscriber
like a listener) whose Opus packets are decoded into the last :data:`WINDOW_SECONDS` of
sound. Every time the node's keeper beats, that sound is measured
(:func:`~interpreta.media.input_quality.measure`: loudness, clipping, bandwidth, SNR),
and so is the network between the speaker and the platform (the share of the on-air
publisher's packets lost since the last beat, and its jitter, from the media plane's
counters); the figures go into the staff's view, with each criterion's verdict. Nothing
is stored: the sound lives in memory for those seconds only.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import av
import numpy as np

from interpreta.media.forwarder.aiortc_hooks import RtpPacket
from interpreta.media.input_quality import (
    NetworkQuality,
    measure,
    network_verdicts,
    verdicts,
)
from interpreta.media.plane import MediaPlane, MediaPlaneError
from interpreta.media.recording import ChannelTap

__all__ = [
    "WINDOW_SECONDS",
    "FloorMeters",
    "NetworkCounter",
    "RecentSound",
    "figures_of",
    "network_figures",
]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3.0
"""How much of the latest sound each measure covers."""

_RATE = 48000


class RecentSound:
    """The last :data:`WINDOW_SECONDS` of a channel, decoded from its Opus packets."""

    def __init__(self) -> None:
        self.decoder: Any = av.CodecContext.create("libopus", "r")
        self.decoder.sample_rate = _RATE
        self.decoder.layout = "stereo"  # as Opus over RTP always is; the left is taken
        self.chunks: deque[np.ndarray] = deque()
        self.samples = 0

    def take(self, packet: RtpPacket) -> None:
        """Decode one Opus packet into the window (a tap's callback)."""
        try:
            frames = self.decoder.decode(av.Packet(packet.payload))
        except av.FFmpegError:
            return
        for frame in frames:
            pcm = frame.to_ndarray()
            channels = len(frame.layout.channels)
            if frame.format.is_planar:
                mono = pcm.reshape(channels, -1)[0]
            else:
                mono = pcm.reshape(-1, channels)[:, 0]
            if mono.dtype.kind == "i":
                mono = mono.astype(np.float32) / 32768.0
            self.chunks.append(mono)
            self.samples += len(mono)
        while self.chunks and self.samples - len(self.chunks[0]) >= WINDOW_SECONDS * _RATE:
            self.samples -= len(self.chunks.popleft())

    def window(self) -> np.ndarray | None:
        """The window's sound, or None while there is less than half of it."""
        if self.samples < WINDOW_SECONDS * _RATE * 0.5:
            return None
        return np.concatenate(list(self.chunks))


def figures_of(pcm: np.ndarray) -> dict[str, Any]:
    """The figures and verdicts of a stretch of sound, as the views carry them."""
    quality = measure(pcm)
    finite = bool(np.isfinite(quality.loudness_lufs))
    return {
        "lufs": round(quality.loudness_lufs, 1) if finite else None,
        "peak": round(quality.peak_dbfs, 1) if np.isfinite(quality.peak_dbfs) else None,
        "clipped": round(quality.clipped, 4),
        "bandwidth": int(quality.bandwidth_hz),
        "snr": None if quality.snr_db is None else round(quality.snr_db, 1),
        "verdicts": {v.criterion: v.passed for v in verdicts(quality)},
    }


def network_figures(network: NetworkQuality) -> dict[str, Any]:
    """The network's figures and verdicts, as the views carry them."""
    return {
        "loss": round(network.loss, 4),
        "jitter_ms": None if network.jitter_ms is None else round(network.jitter_ms, 1),
        "verdicts": {v.criterion: v.passed for v in network_verdicts(network)},
    }


class NetworkCounter:
    """A floor's on-air publisher's packet counters at the last beat, to tell the share
    lost since then."""

    def __init__(self) -> None:
        self.last: tuple[str, int, int] | None = None

    def measure(self, plane: MediaPlane, floor: int) -> NetworkQuality | None:
        """Loss since the last call and the current jitter of the floor's source (None
        when nobody is on air, or it just changed)."""
        try:
            stats = plane.channel_stats(str(floor))
        except MediaPlaneError:
            return None
        source = next((p for p in stats.publishers if p.peer_id == stats.source), None)
        if source is None:
            self.last = None
            return None
        now = (source.peer_id, source.packets_received, source.packets_lost)
        last, self.last = self.last, now
        if last is None or last[0] != now[0]:
            return None
        received, lost = now[1] - last[1], now[2] - last[2]
        if received + lost <= 0:
            return None
        jitter = None if source.jitter is None else source.jitter * 1000
        return NetworkQuality(max(0, lost) / (received + max(0, lost)), jitter)


class FloorMeters:
    """The meters of one event's floors on this node."""

    def __init__(
        self, plane: MediaPlane, event_id: int, addresses: Sequence[str] | None = None
    ) -> None:
        self.plane = plane
        self.event_id = event_id
        self.addresses = addresses
        self._taps: dict[int, tuple[ChannelTap, RecentSound]] = {}
        self._networks: dict[int, NetworkCounter] = {}
        self.figures: dict[int, dict[str, Any] | None] = {}
        "The latest figures of each floor (None: too little sound to measure)."
        self._made = 0

    def taps(self, channel_id: int) -> int:
        """How many subscribers of `channel_id` are a meter's (not listeners)."""
        return 1 if channel_id in self._taps else 0

    async def keep(self, floors: Iterable[int], wanted: bool) -> bool:
        """Measure each floor (tapping it first if needed) when `wanted` (staff are
        here), else stop; whether any figure changed."""
        if not wanted:
            changed = bool(self.figures)
            await self.close()
            return changed
        before = dict(self.figures)
        for floor in floors:
            if floor not in self._taps:
                await self._tap(floor)
            found = self._taps.get(floor)
            window = None if found is None else found[1].window()
            try:
                figures = None if window is None else await asyncio.to_thread(figures_of, window)
            except Exception:
                log.exception("measuring the floor %s failed", floor)
                figures = None
            network = self._networks.setdefault(floor, NetworkCounter()).measure(self.plane, floor)
            if figures is not None and network is not None:
                measured = network_figures(network)
                figures = {
                    **figures,
                    **measured,
                    "verdicts": {**figures["verdicts"], **measured["verdicts"]},
                }
            self.figures[floor] = figures
        return self.figures != before

    async def _tap(self, floor: int) -> None:
        self._made += 1
        tap = ChannelTap(self.plane, f"meter:{self.event_id}:{floor}:{self._made}")
        sound = RecentSound()
        try:
            await tap.start(str(floor), sound.take, self.addresses)
        except Exception:
            log.warning("the floor %s could not be tapped for its meter", floor)
            await tap.close()
            return
        self._taps[floor] = (tap, sound)

    async def close(self) -> None:
        """Stop every tap; forget the figures."""
        taps, self._taps = self._taps, {}
        self.figures = {}
        self._networks = {}
        for tap, _sound in taps.values():
            await tap.close()
