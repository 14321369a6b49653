"""Recording an event's channels while a host has recording on.

One :class:`EventRecorder` per recorded event, on the node where a host started it: a
:class:`~interpreta.media.recording.ChannelTap` and an
:class:`~interpreta.media.recording.OggOpusRecorder` per channel (the floor of each
topic and each interpretation). Every :data:`FLUSH_SECONDS` the Ogg bytes recorded
since the last flush are stored as the next chunk, encrypted as they enter the
database; nothing is written to a file. As the channels' sources change the recorder
notes who is heard from when (their connection's session names them), so a person's
access export lists the recordings they are in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from interpreta.datamap.activities import RECORDING
from interpreta.media.forwarder.aiortc_hooks import RtpPacket
from interpreta.media.plane import MediaPlane
from interpreta.media.recording import ChannelTap, OggOpusRecorder
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.recordings import store

log = logging.getLogger(__name__)
T = TypeVar("T")

FLUSH_SECONDS = 2.0
"""How often the recorded sound is stored (the most a node dying would lose)."""


@dataclass(eq=False)
class ChannelRecording:
    """One channel being recorded."""

    channel_id: int
    recording_id: int
    tap: ChannelTap
    recorder: OggOpusRecorder = field(default_factory=OggOpusRecorder)
    seq: int = 0
    source: str | None = None
    voice: int | None = None
    """The open ``recording_voices`` row of whoever is heard now."""


class EventRecorder:
    """The recordings of one event's channels, on this node."""

    def __init__(
        self,
        platform: Platform,
        plane: MediaPlane,
        event_id: int,
        *,
        addresses: Sequence[str] | None = None,
    ) -> None:
        self.platform = platform
        self.plane = plane
        self.event_id = event_id
        self.addresses = addresses
        self.channels: dict[int, ChannelRecording] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._started = 0.0
        "When recording started (the event loop's clock, seconds)."

    def taps(self, channel_id: int) -> int:
        """How many subscribers of `channel_id` are this recorder's (not listeners)."""
        return 1 if channel_id in self.channels else 0

    async def start(self, channels: dict[int, str]) -> None:
        """Start recording each channel (ID → label)."""
        now = self.platform.clock.now()
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        started = await asyncio.to_thread(
            self._stored, store.begin, self.event_id, list(channels.items()), now
        )
        for channel_id, recording_id in started.items():
            tap = ChannelTap(self.plane, f"recorder:{self.event_id}:{channel_id}:{recording_id}")
            entry = ChannelRecording(channel_id, recording_id, tap)
            self.channels[channel_id] = entry

            def record(packet: RtpPacket, entry: ChannelRecording = entry) -> None:
                at_ms = int((loop.time() - self._started) * 1000)
                entry.recorder.add(packet.payload, packet.timestamp, at_ms)

            await tap.start(str(channel_id), record, self.addresses)
        self._flusher = asyncio.ensure_future(self._flush_every())

    async def note_sources(self, sources: dict[int, str | None]) -> None:
        """Follow who is on air on each recorded channel (peer IDs from the shared state)."""
        async with self._lock:
            for channel_id, entry in self.channels.items():
                source = sources.get(channel_id)
                if source == entry.source:
                    continue
                entry.source = source
                at = entry.recorder.duration_ms
                if entry.voice is not None:
                    await asyncio.to_thread(self._stored, store.unheard, entry.voice, at)
                    entry.voice = None
                if source is not None:
                    entry.voice = await asyncio.to_thread(
                        self._voice, entry.recording_id, source, at
                    )

    async def stop(self) -> None:
        """Stop recording: the last sound stored, every recording marked done."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        async with self._lock:
            length = int((asyncio.get_running_loop().time() - self._started) * 1000)
            for entry in self.channels.values():
                await entry.tap.close()
                entry.recorder.pad_to(length)
                await self._flush(entry, entry.recorder.finish())
            now = self.platform.clock.now()
            for entry in self.channels.values():
                await asyncio.to_thread(self._stored, store.finish, entry.recording_id, now)

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                async with self._lock:
                    for entry in self.channels.values():
                        await self._flush(entry, entry.recorder.take())
            except Exception:
                log.exception("storing the recording of event %s failed; retrying", self.event_id)

    async def _flush(self, entry: ChannelRecording, data: bytes) -> None:
        duration = entry.recorder.duration_ms
        seq = entry.seq
        if data:  # taken before the store: a flush cancelled while storing keeps its number
            entry.seq += 1
        await asyncio.to_thread(self._stored, store.append, entry.recording_id, seq, data, duration)

    def _voice(self, recording_id: int, peer: str, at: int) -> int | None:
        with processing(RECORDING), self.platform.transaction() as db:
            participant = store.participant_of_session(db, peer.split(":", 1)[0])
            if participant is None:
                return None
            return store.heard(db, recording_id, participant, at)

    def _stored(self, work: Callable[..., T], *args: Any) -> T:
        with processing(RECORDING), self.platform.transaction() as db:
            return work(db, *args)
