"""Automatic captions of an event's channels, made on one node and shown on every node.

Which channels: when the organiser offers captions (``Event.captions``), every channel in
a language an installed recogniser understands (:func:`captioned`): the floor in its
declared language (``Event.floor_language``), and a booth's channel in the booth's. A
floor that mixes languages (no floor language) gets none.

Who makes them: captions run only while somebody wants them. Every node asks for the
channels its own listeners want captioned; the first to take the channel's lease on the
bus (:func:`caption_lease`) runs its :class:`CaptionStream`, renews the lease each beat
while its listeners still want them, and lets it go when they do not (another node that
still wants them takes it at its next beat). A node that dies lets its leases lapse
within :data:`LEASE_TTL`. A node runs at most as many streams as its ``max_streams``,
since each costs a quarter to a half of a core.

A stream is a tap on the channel (a subscriber, as a listener is, not counted as one)
that hands each Opus packet to a recogniser process (:class:`~interpreta.speech.worker.
CaptionProcess`, off the event loop and at a lower priority), and tells it when the
channel has been quiet, so an utterance closes while nobody speaks. Each caption that
comes back is published on the bus for every node to deliver
(:mod:`interpreta.live.caption_delivery`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from aiortc.rtp import RtpPacket

from interpreta.bus import Bus
from interpreta.clock import wall_seconds
from interpreta.media.plane import MediaPlane
from interpreta.media.recording import ChannelTap
from interpreta.speech import engines
from interpreta.speech.recognition import Caption
from interpreta.speech.worker import CaptionProcess

__all__ = [
    "LEASE_TTL",
    "QUIET",
    "CaptionStream",
    "EventCaptions",
    "caption_lease",
    "captioned",
    "default_max_streams",
    "recognised",
]

log = logging.getLogger(__name__)

LEASE_TTL = 10.0
"""Seconds a node's hold on a channel's captions lasts without renewal."""

QUIET = 0.25
"""Seconds without a packet after which the recogniser is told the channel is quiet."""

Publish = Callable[[int, str, Caption, float], Awaitable[None]]
"""Publishes one caption of a channel (its ID and language), with the wall-clock time
(epoch seconds) its stream started: the caption's ``start`` and ``end`` count from it."""

CLOSE_WAIT = 5.0
"""Seconds a stopping recogniser may take to give its last caption before it is killed."""

RETRY_AFTER = (2.0, 5.0, 15.0, 60.0)
"""Seconds before a recogniser that failed or crashed is started again, the first time,
the second, ... (the last one thereafter): one that cannot run is not restarted at
every beat."""


def caption_lease(channel_id: int) -> str:
    """The bus lease of the node that captions `channel_id`."""
    return f"captions:{channel_id}"


def default_max_streams() -> int:
    """Streams a node runs at most: half its cores (at least one)."""
    return max(1, (os.cpu_count() or 2) // 2)


def recognised(language: str | None) -> str | None:
    """The recogniser's language for a channel in `language` (``en-GB`` is ``en``), or
    None when no installed engine understands it."""
    if not language:
        return None
    primary = language.split("-")[0].lower()
    return primary if primary in engines.languages() else None


def captioned(
    enabled: bool, floor_language: str | None, channels: Iterable[tuple[int, str | None]]
) -> dict[int, str]:
    """The channels that get captions, with the language they are recognised in.

    :param enabled: the organiser offers captions.
    :param channels: each channel's ID and language (None: the floor, which speaks
        `floor_language`).
    """
    if not enabled:
        return {}
    found = {}
    for channel_id, language in channels:
        spoken = recognised(language if language is not None else floor_language)
        if spoken is not None:
            found[channel_id] = spoken
    return found


class CaptionStream:
    """One channel captioned on this node: a tap into a recogniser process whose captions
    are published as they come."""

    def __init__(
        self,
        plane: MediaPlane,
        channel_id: int,
        language: str,
        peer_id: str,
        publish: Publish,
        addresses: Sequence[str] | None = None,
    ) -> None:
        self.channel_id = channel_id
        self.language = language
        self._tap = ChannelTap(plane, peer_id)
        self._process = CaptionProcess(language)
        self._publish = publish
        self._addresses = addresses
        self._tasks: list[asyncio.Task[None]] = []
        self._last_packet = 0.0
        self._heard_until = 0.0
        self.started_at = 0.0
        "When the stream started (epoch seconds): its captions' times count from it."
        self.ended = False
        "The recogniser stopped (crashed or closed): the stream is to be started again."

    @property
    def ready(self) -> bool:
        """The recogniser has loaded its model (what is said from then on is heard)."""
        return self._process.ready.is_set()

    @property
    def pid(self) -> int | None:
        """The recogniser's process ID."""
        return self._process.pid

    async def start(self) -> None:
        """Start the recogniser, then tap the channel."""
        await self._process.start()
        self._last_packet = self._heard_until = time.monotonic()
        self.started_at = wall_seconds()
        self._tasks = [
            asyncio.create_task(self._forward()),
            asyncio.create_task(self._keep_time()),
        ]
        try:
            await self._tap.start(str(self.channel_id), self._packet, self._addresses)
        except BaseException:
            await self.close()
            raise

    def _packet(self, packet: RtpPacket) -> None:
        self._last_packet = self._heard_until = time.monotonic()
        self._process.packet(packet.timestamp, packet.payload)

    async def _keep_time(self) -> None:
        """Tell the recogniser about each stretch with no packets (nobody on air)."""
        while True:
            await asyncio.sleep(QUIET / 2)
            now = time.monotonic()
            if now - self._last_packet >= QUIET:
                self._process.silence(int((now - self._heard_until) * 1000))
                self._heard_until = now

    async def _forward(self) -> None:
        try:
            async for caption in self._process.captions():
                try:
                    await self._publish(self.channel_id, self.language, caption, self.started_at)
                except Exception:
                    log.exception("publishing a caption of channel %s failed", self.channel_id)
        finally:
            self.ended = True

    @property
    def exit_code(self) -> int | None:
        """The recogniser's exit code, once it ended by itself."""
        return self._process.returncode

    async def close(self) -> None:
        """Stop tapping, end the recogniser (its last caption is still published if it
        comes within :data:`CLOSE_WAIT`), and wait for it."""
        self.ended = True
        try:
            await self._tap.close()
        finally:
            keeping_time = self._tasks[1:] if self._tasks else []
            for task in keeping_time:
                task.cancel()
            await self._process.close(CLOSE_WAIT)
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, CLOSE_WAIT)
            self._tasks = []


class EventCaptions:
    """The captioned channels of one event that this node runs, each under its lease.

    There is one for the life of the event on this node (dropped when the node forgets
    the event, after :meth:`close`), so two calls never run two streams of one channel.
    Stopping a stream waits for its recogniser in the background: the node's beat, which
    renews its leases, never waits for a process to end.
    """

    def __init__(
        self,
        plane: MediaPlane,
        bus: Bus,
        event_id: int,
        publish: Publish,
        addresses: Sequence[str] | None = None,
    ) -> None:
        self.plane = plane
        self.bus = bus
        self.event_id = event_id
        self._publish = publish
        self._addresses = addresses
        self.streams: dict[int, CaptionStream] = {}
        self._made = 0
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        self._failures: dict[int, tuple[int, float]] = {}
        "Per channel: its recogniser's failures in a row, and when it may start again."
        self.closed = False

    def taps(self, channel_id: int) -> int:
        """How many subscribers of `channel_id` are a recogniser's (not listeners)."""
        return 1 if channel_id in self.streams else 0

    async def keep(self, wanted: Mapping[int, str], room: int) -> None:
        """Run the streams of `wanted` (channel → language) whose lease this node holds or
        takes, starting at most `room` new ones; stop the others and let their leases
        go. A stream whose recogniser ended is started again, after a pause that grows
        with each failure in a row (:data:`RETRY_AFTER`)."""
        async with self._lock:  # a request and the beat: one at a time
            if not self.closed:
                await self._keep(wanted, room)

    async def _keep(self, wanted: Mapping[int, str], room: int) -> None:
        node = self.bus.node
        for channel_id, stream in list(self.streams.items()):
            if stream.ended and stream.exit_code not in (None, 0):
                self._failed(channel_id, f"its recogniser exited with {stream.exit_code}")
            keep = (
                channel_id in wanted
                and wanted[channel_id] == stream.language
                and not stream.ended
                and await self.bus.renew(caption_lease(channel_id), node, LEASE_TTL)
            )
            if not keep:
                self._stop(channel_id)
        for channel_id, language in wanted.items():
            if channel_id in self.streams or room <= 0:
                continue
            _failures, retry_at = self._failures.get(channel_id, (0, 0.0))
            if time.monotonic() < retry_at:
                continue
            lease = caption_lease(channel_id)
            if not await self.bus.acquire(lease, node, LEASE_TTL):
                continue  # another node captions it
            self._made += 1
            stream = CaptionStream(
                self.plane,
                channel_id,
                language,
                f"captions:{self.event_id}:{channel_id}:{self._made}",
                self._publish,
                self._addresses,
            )
            try:
                await stream.start()
            except Exception as exc:
                self._failed(channel_id, f"it could not start: {exc!r}")
                await self.bus.release(lease, node)
                continue
            self.streams[channel_id] = stream
            room -= 1

    def _failed(self, channel_id: int, why: str) -> None:
        failures = self._failures.get(channel_id, (0, 0.0))[0] + 1
        pause = RETRY_AFTER[min(failures, len(RETRY_AFTER)) - 1]
        self._failures[channel_id] = (failures, time.monotonic() + pause)
        log.warning(
            "captions of channel %s stopped: %s; starting again in %.0f s", channel_id, why, pause
        )

    def _stop(self, channel_id: int) -> None:
        """Stop a stream in the background, its lease let go once it has ended (unless a
        new stream of the channel took it meanwhile)."""
        stream = self.streams.pop(channel_id)
        if not stream.ended or stream.exit_code in (None, 0):
            self._failures.pop(channel_id, None)

        async def stopping() -> None:
            try:
                await stream.close()
            except Exception:
                log.exception("stopping the captions of channel %s failed", channel_id)
            finally:
                if channel_id not in self.streams:
                    await self.bus.release(caption_lease(channel_id), self.bus.node)

        task = asyncio.create_task(stopping())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Stop every stream, wait for them, and let their leases go; nothing starts
        again afterwards."""
        async with self._lock:
            self.closed = True
            for channel_id in list(self.streams):
                self._stop(channel_id)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
