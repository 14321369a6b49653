"""RTMP ingest: encoders that speak RTMP feed an event's floor through the node's nginx.

``INTERPRETA_RTMP_PORT`` turns it on. The node then runs nginx with Debian's RTMP module
as a child process (:class:`~interpreta.live.rtmp_server.NginxRtmp`, its configuration
in ``<data dir>/rtmp/<node name>``) and listens for its notifications on loopback
(:class:`~interpreta.live.rtmp_hooks.HookListener`).

An encoder publishes to ``rtmp://HOST:PORT/live`` with the stream key
``<event code>-<ingest key>`` (``?topic=<id>`` after it chooses a topic other than the
first). Before nginx accepts the stream it asks this node, which answers yes only when
the key is the event's ingest key (compared in constant time) and the event has not
ended; nothing else is accepted, and nothing is recorded before. Once accepted, the node
plays the stream back from nginx (:class:`~interpreta.live.rtmp_pull.RtmpPublisher`) and
publishes its sound as a room feed (:class:`~interpreta.live.ingest.RoomFeeds`), exactly
as a WHIP feed or a speaker. When the encoder stops, nginx says so and the feed ends;
when the feed ends for another reason (the key rotated, the event ended, a host removed
it), the next ``on_update`` is refused and nginx drops the encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from interpreta.config import Settings
from interpreta.datamap.activities import LIVE_EVENT
from interpreta.live.ingest import FeedKind, FeedRefused, RoomFeed, RoomFeeds
from interpreta.live.rtmp_hooks import HookListener
from interpreta.live.rtmp_pull import RtmpPublisher
from interpreta.live.rtmp_server import NginxRtmp
from interpreta.media.plane import MediaPlaneError
from interpreta.privacy.processing import enter

__all__ = ["STREAM_KEY", "RtmpIngest", "split_stream_key", "stream_key"]

log = logging.getLogger(__name__)

STREAM_KEY = re.compile(r"(?P<code>[A-Za-z0-9]{1,16})-(?P<key>[A-Za-z0-9_-]{1,64})")
"""A stream key: the event's code, a dash, the event's ingest key."""


def stream_key(code: str, ingest_key: str) -> str:
    """The RTMP stream key of an event: its code and its ingest key."""
    return f"{code}-{ingest_key}"


def split_stream_key(name: str) -> tuple[str, str] | None:
    """The event code and ingest key in a stream key, None when it is not one."""
    found = STREAM_KEY.fullmatch(name)
    return None if found is None else (found["code"], found["key"])


@dataclass(eq=False)
class _Pull:
    """One accepted stream, played back and published as a room feed."""

    name: str
    task: asyncio.Task[None] | None = None
    feed: RoomFeed | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when nginx says the stream ended."""


class RtmpIngest:
    """This node's RTMP ingest: nginx, its hooks, and a room feed per accepted stream."""

    def __init__(
        self, feeds: RoomFeeds, settings: Settings, addresses: Sequence[str] | None = None
    ) -> None:
        """
        :param addresses: where the feeds' peers gather ICE candidates (the embedded
            plane's address; None: every interface but loopback).
        """
        if settings.rtmp_port is None:
            raise ValueError("RTMP ingest is off (rtmp_port is not set)")
        self.feeds = feeds
        self.settings = settings
        self._addresses = None if addresses is None else tuple(addresses)
        self._hooks = HookListener(self._hook)
        self._nginx: NginxRtmp | None = None
        self._pulls: dict[str, _Pull] = {}

    @property
    def server(self) -> NginxRtmp:
        """The running nginx."""
        if self._nginx is None:
            raise RuntimeError("RTMP ingest is not started")
        return self._nginx

    async def start(self) -> None:
        """Listen for nginx's notifications, then start nginx.

        :raises RtmpNotInstalledError: nginx or its RTMP module is missing.
        :raises RtmpStartError: nginx did not start.
        """
        port = self.settings.rtmp_port
        assert port is not None
        await self._hooks.start()
        folder = self.settings.data_dir.resolve() / "rtmp" / _safe(self.settings.node_name)
        try:
            self._nginx = NginxRtmp(
                folder=folder, port=port, host=self.settings.rtmp_host, hooks_url=self._hooks.url
            )
            await asyncio.to_thread(self._nginx.start)
        except BaseException:
            await self._hooks.close()
            raise
        log.info("RTMP ingest on port %s", port)

    async def close(self) -> None:
        """End the streams' feeds, stop nginx and the hooks."""
        for pull in list(self._pulls.values()):
            pull.done.set()
        tasks = [p.task for p in self._pulls.values() if p.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        if self._nginx is not None:
            await asyncio.to_thread(self._nginx.stop)
        await self._hooks.close()

    # --- nginx's notifications ---------------------------------------------------------------

    async def _hook(self, fields: dict[str, str]) -> bool:
        enter(LIVE_EVENT)  # the room feed's records are the live event's
        call, name = fields.get("call", ""), fields.get("name", "")
        if call == "publish":
            return await self._accept(name, fields)
        if call == "publish_done":
            pull = self._pulls.get(name)
            if pull is not None:
                pull.done.set()
            return True
        if call == "update_publish":
            pull = self._pulls.get(name)
            return pull is not None and not pull.done.is_set()
        return call == "update_play"  # the node's own playback

    async def _accept(self, name: str, fields: dict[str, str]) -> bool:
        """Whether nginx may accept the stream `name`; starts its feed when it may."""
        parts = split_stream_key(name)
        topic = fields.get("topic")
        if parts is None or (topic is not None and not topic.isdigit()) or name in self._pulls:
            return False
        code, key = parts
        topic_id = None if topic is None else int(topic)
        try:
            await self.feeds.check(code, key, topic_id, FeedKind.RTMP)
        except FeedRefused as exc:
            log.info("RTMP stream for event %s refused: %s", code, exc.message)
            return False
        pull = self._pulls[name] = _Pull(name)
        pull.task = asyncio.create_task(self._run(pull, code, key, topic_id, fields.get("addr")))
        return True

    async def _run(
        self, pull: _Pull, code: str, key: str, topic_id: int | None, address: str | None
    ) -> None:
        """Play the stream back and publish its sound as a room feed until it ends."""
        publisher = RtmpPublisher(self.server.play_url(pull.name), self._addresses)
        try:
            offer = await publisher.offer()
            pull.feed, answer = await self.feeds.start(
                FeedKind.RTMP, code, key, offer, topic_id=topic_id, ip=address
            )
            pull.feed.on_end.append(publisher.close)
            await publisher.answered(answer)
            waits = [
                asyncio.ensure_future(publisher.sound.ended.wait()),
                asyncio.ensure_future(pull.done.wait()),
                asyncio.ensure_future(pull.feed.finished.wait()),
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        except (FeedRefused, MediaPlaneError) as exc:
            log.warning("RTMP stream for event %s not published: %s", code, exc)
        except Exception:
            log.exception("RTMP stream for event %s failed", code)
        finally:
            pull.done.set()  # the next on_update drops the encoder, if it is still there
            if pull.feed is not None:
                await self.feeds.end(pull.feed, "the RTMP stream ended")
            with contextlib.suppress(Exception):
                await publisher.close()
            self._pulls.pop(pull.name, None)


def _safe(name: str) -> str:
    """A node name as a folder name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "node"
