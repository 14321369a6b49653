"""Recording an event's channels while a host has recording on.

One :class:`EventRecorder` per recorded event, on the node where a host started it: a
:class:`~interpreta.media.recording.ChannelTap` and an
:class:`~interpreta.media.recording.OggOpusRecorder` per channel (the floor of each
topic and each interpretation), one per floor *lane* that carried a talker (a meeting's
floor with several talkers is recorded as several tracks, from each lane's first
talker on, on the event's timeline), and per topic a recording of its stage's video (the
camera of whoever speaks, as every listener's stage shows it): a
:class:`~interpreta.media.video_recording.VideoTap` that moves to the stage's feed as it
changes, and a :class:`~interpreta.media.video_recording.VideoRecorder`. Every
:data:`FLUSH_SECONDS` the bytes recorded since the last flush are stored as the next
chunk, encrypted as they enter the database; nothing is written to a file. As the
channels' sources and the stages change the recorder notes who is heard (or seen) from
when (their connection's session names them), so a person's access export lists the
recordings they are in, and their erasure silences (or blacks out) those stretches.
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
from interpreta.media.forwarder.frames import AssembledFrame
from interpreta.media.plane import MediaPlane
from interpreta.media.recording import ChannelTap, OggOpusRecorder
from interpreta.media.video_recording import VideoRecorder, VideoTap, media_type
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


@dataclass(eq=False)
class StageRecording:
    """The video of one topic's stage being recorded."""

    floor_id: int
    "The floor channel of the topic."
    recording_id: int
    recorder: VideoRecorder
    "Where the frames go."
    tap: VideoTap | None = None
    "The viewer of the stage's feed, while there is one."
    feed: str | None = None
    """The plane's video channel the tap watches (the stage's feed), if any."""
    seq: int = 0
    "The number of the next chunk stored."
    taps: int = 0
    "Taps made so far (each has its own peer id)."
    failed: bool = False
    "A frame could not be recorded (logged once)."
    voice: int | None = None
    """The open ``recording_voices`` row of whoever is seen now."""


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
        self.stages: dict[int, StageRecording] = {}
        "The stage recordings, by the floor channel of their topic (from its first video)."
        self._floors: dict[int, str] = {}
        self.lanes: dict[str, ChannelRecording] = {}
        "The floor lanes' recordings, by the lane's plane channel (from its first talker)."
        self._lanes: dict[str, tuple[int, str]] = {}
        self.stopped = False
        "Whether :meth:`stop` ran (a late :meth:`note_stages` then does nothing)."
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._started = 0.0
        "When recording started (the event loop's clock, seconds)."
        self._started_at = platform.clock.now()
        """When recording started (the platform's clock): every recording of the event,
        begun with it or later (a lane, a stage), starts there, as its sound or picture
        does."""

    def taps(self, channel_id: int) -> int:
        """How many subscribers of `channel_id` are this recorder's (not listeners)."""
        return 1 if channel_id in self.channels else 0

    async def start(
        self,
        channels: dict[int, str],
        floors: dict[int, str] | None = None,
        lanes: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        """Start recording each channel (ID → label); the stage video of each topic (its
        floor channel's ID → label) and each floor lane (its plane channel → the floor's
        ID and a label) are recorded from when they first show or carry someone."""
        now = self.platform.clock.now()
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        self._started_at = now
        started = await asyncio.to_thread(
            self._stored, store.begin, self.event_id, list(channels.items()), now
        )
        self._floors = dict(floors or {})
        self._lanes = dict(lanes or {})
        for channel_id, recording_id in started.items():
            entry = self._tapped(channel_id, str(channel_id), recording_id)
            self.channels[channel_id] = entry
            await entry.tap.start(str(channel_id), self._hearing(entry), self.addresses)
        self._flusher = asyncio.ensure_future(self._flush_every())

    def _tapped(self, channel_id: int, plane_channel: str, recording_id: int) -> ChannelRecording:
        """A channel's recording, with a tap (not started) on `plane_channel`."""
        tap = ChannelTap(self.plane, f"recorder:{self.event_id}:{plane_channel}:{recording_id}")
        return ChannelRecording(channel_id, recording_id, tap)

    def _hearing(self, entry: ChannelRecording) -> Callable[[RtpPacket], None]:
        """What a channel's tap calls with each packet: it goes into the recording, at
        its time since recording started."""
        loop = asyncio.get_running_loop()

        def record(packet: RtpPacket) -> None:
            at_ms = int((loop.time() - self._started) * 1000)
            entry.recorder.add(packet.payload, packet.timestamp, at_ms)

        return record

    async def note_sources(
        self, sources: dict[int, str | None], lanes: dict[str, str | None] | None = None
    ) -> None:
        """Follow who is on air on each recorded channel, and on each floor lane (by its
        plane channel): peer IDs from the shared state. A lane's recording begins with its
        first talker."""
        async with self._lock:
            if self.stopped:
                return
            for channel_id, entry in self.channels.items():
                await self._follow(entry, sources.get(channel_id))
            for lane, source in (lanes or {}).items():
                if lane in self.lanes:
                    await self._follow(self.lanes[lane], source)
                elif source is not None and lane in self._lanes:
                    await self._begin_lane(lane, source)

    async def _begin_lane(self, lane: str, source: str) -> None:
        """Start recording a floor lane, when it first carries someone: its tap first, so
        a lane that closed meanwhile leaves no recording behind (the next change tries
        again)."""
        floor_id, label = self._lanes[lane]
        entry = self._tapped(floor_id, lane, 0)
        try:
            await entry.tap.start(lane, self._hearing(entry), self.addresses)
        except Exception:
            log.warning("lane %s of event %s could not be recorded", lane, self.event_id)
            await entry.tap.close()
            return
        begun = await asyncio.to_thread(
            self._stored, store.begin, self.event_id, [(floor_id, label)], self._started_at
        )
        entry.recording_id = begun[floor_id]
        self.lanes[lane] = entry
        elapsed = asyncio.get_running_loop().time() - self._started
        await self._follow(entry, source, int(elapsed * 1000))

    async def _follow(
        self, entry: ChannelRecording, source: str | None, at: int | None = None
    ) -> None:
        """Note who is heard on a recorded channel from now on (or from `at` ms: a lane's
        recording, begun with its first talker, holds no sound yet)."""
        if source == entry.source:
            return
        entry.source = source
        at = entry.recorder.duration_ms if at is None else at
        if entry.voice is not None:
            await asyncio.to_thread(self._stored, store.unheard, entry.voice, at)
            entry.voice = None
        if source is not None:
            entry.voice = await asyncio.to_thread(self._voice, entry.recording_id, source, at)

    async def note_stages(self, stages: dict[int, tuple[str, str] | None]) -> None:
        """Follow each topic's stage (by floor channel: the feed's plane channel and the
        session sending it, or None): the tap moves to the new feed, and who is seen is
        noted."""
        async with self._lock:
            if self.stopped:
                return  # a broadcast that began before the stop
            for floor_id, label in self._floors.items():
                if floor_id not in self.stages and stages.get(floor_id) is not None:
                    await self._begin_stage(floor_id, label)
            for floor_id, entry in self.stages.items():
                stage = stages.get(floor_id)
                feed = None if stage is None else stage[0]
                if feed == entry.feed and (entry.tap is None or not entry.tap.closed):
                    continue
                at = entry.recorder.duration_ms
                if entry.tap is not None:
                    await entry.tap.close()
                    entry.tap = None
                entry.feed = feed
                if entry.voice is not None:
                    await asyncio.to_thread(self._stored, store.unheard, entry.voice, at)
                    entry.voice = None
                if stage is None:
                    continue
                entry.taps += 1
                peer = f"recorder:{self.event_id}:stage:{entry.recording_id}:{entry.taps}"
                entry.tap = VideoTap(self.plane, peer, entry.recorder.codec)
                try:
                    await entry.tap.start(stage[0], self._recording(entry), self.addresses)
                except Exception:  # the feed stopped meanwhile: the next stage is tried
                    log.warning("the stage of floor %s could not be recorded", floor_id)
                    await entry.tap.close()
                    entry.tap, entry.feed = None, None
                    continue
                entry.voice = await asyncio.to_thread(self._voice, entry.recording_id, stage[1], at)

    async def _begin_stage(self, floor_id: int, label: str) -> None:
        """Start recording a topic's stage, when it first shows someone."""
        codec = self.platform.settings.video_codec
        begun = await asyncio.to_thread(
            self._stored,
            store.begin,
            self.event_id,
            [(floor_id, label)],
            self._started_at,
            media_type(codec),
        )
        self.stages[floor_id] = StageRecording(floor_id, begun[floor_id], VideoRecorder(codec))

    def _recording(self, entry: StageRecording) -> Callable[[AssembledFrame], None]:
        """What a stage tap calls with each frame: it goes into the recording. (It runs
        inside aiortc's receive loop: an error is logged, never raised there.)"""
        loop = asyncio.get_running_loop()

        def record(frame: AssembledFrame) -> None:
            at_ms = int((loop.time() - self._started) * 1000)
            try:
                entry.recorder.add(frame.data, frame.key, at_ms)
            except Exception:
                if not entry.failed:
                    log.exception(
                        "a frame of the stage of floor %s was not recorded", entry.floor_id
                    )
                entry.failed = True

        return record

    async def stop(self) -> None:
        """Stop recording: the last sound stored, every recording marked done.

        The lock is taken before the periodic flusher is cancelled: a flush under way
        finishes first. Cancelled in the middle of storing, its chunk would be written by
        its thread after the last one (a recording's first chunk, with the Ogg headers,
        committed after the recording was marked done and read back unplayable)."""
        async with self._lock:
            if self._flusher is not None:
                self._flusher.cancel()  # it sleeps, or waits for this lock
                with contextlib.suppress(asyncio.CancelledError):
                    await self._flusher
            self.stopped = True
            length = int((asyncio.get_running_loop().time() - self._started) * 1000)
            for entry in [*self.channels.values(), *self.lanes.values()]:
                await entry.tap.close()
                entry.recorder.pad_to(length)
                await self._flush(entry, entry.recorder.finish())
            for stage in self.stages.values():
                if stage.tap is not None:
                    await stage.tap.close()
                if stage.voice is not None:
                    await asyncio.to_thread(self._stored, store.unheard, stage.voice, length)
                await self._flush(stage, stage.recorder.finish())
            now = self.platform.clock.now()
            for recording_id in [
                *(e.recording_id for e in self.channels.values()),
                *(e.recording_id for e in self.lanes.values()),
                *(s.recording_id for s in self.stages.values()),
            ]:
                await asyncio.to_thread(self._stored, store.finish, recording_id, now)

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                async with self._lock:
                    recordings: list[ChannelRecording | StageRecording] = [
                        *self.channels.values(),
                        *self.lanes.values(),
                        *self.stages.values(),
                    ]
                    for entry in recordings:
                        await self._flush(entry, entry.recorder.take())
            except Exception:
                log.exception("storing the recording of event %s failed; retrying", self.event_id)

    async def _flush(self, entry: ChannelRecording | StageRecording, data: bytes) -> None:
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
