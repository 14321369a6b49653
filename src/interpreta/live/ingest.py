"""Room feeds: a room's mixing desk, OBS or a hardware encoder on an event's floor.

A *room feed* is a virtual speaker. It joins the event the way a speaker's browser does
(:mod:`interpreta.live.signaling`): a participant and a connection are recorded, a
:class:`~interpreta.live.hub.Client` (role ``speaker``, named "Room feed (WHIP)" or
"Room feed (RTMP)") is attached to the hub, and its offer is published to the floor of
the event's first topic (or the one asked for) through :meth:`LiveHub.publish`, so it
works on every media plane. It has no WebSocket: what the hub sends it is ignored,
except what ends it.

Its right is the event's *ingest key* (``events.ingest_key``, compared in constant
time), as it was when the feed started. A feed ends when its sender ends it (WHIP
``DELETE``, the RTMP stream stopping), when its peer connection fails, when a host mutes
or removes it, when the organiser ends the event or rotates the ingest key, and when the
node shuts down. Every node keeps the feeds it runs; the bus document
``live:{event}:feeds`` lists them all, so a request on any node can end one (it drops the
feed's field and revokes its participant; the node running it finds the field gone and
ends it). The document also remembers each kind of feed's participant, so a feed that
reconnects is the same participant, and a host's removal holds for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import LIVE_EVENT
from interpreta.events import codes, participation
from interpreta.events.models import Event, EventMode, EventStatus, ParticipantRole
from interpreta.i18n.catalogues import gettext
from interpreta.live.access import AccessDenied
from interpreta.live.hub import Client, LiveHub
from interpreta.live.useragent import parse as parse_user_agent
from interpreta.media.plane import MediaPlaneError
from interpreta.privacy.processing import runs_in

__all__ = [
    "FEED_NAMES",
    "FeedKind",
    "FeedRefused",
    "FeedTarget",
    "Refusal",
    "RoomFeed",
    "RoomFeeds",
    "feeds_key",
    "find_target",
]

log = logging.getLogger(__name__)


class FeedKind(StrEnum):
    """How a room feed reaches the platform."""

    WHIP = "whip"
    """WebRTC, offered over HTTP (RFC 9725): OBS, hardware encoders, browsers."""
    RTMP = "rtmp"
    """RTMP to the node's nginx, played back and published by the node."""


FEED_NAMES = {FeedKind.WHIP: "Room feed (WHIP)", FeedKind.RTMP: "Room feed (RTMP)"}
"""The name each kind of feed joins with (what hosts and interpreters see)."""


class Refusal(StrEnum):
    """Why a room feed was refused."""

    UNKNOWN_EVENT = "unknown_event"
    WRONG_KEY = "wrong_key"
    ENDED = "ended"
    UNKNOWN_TOPIC = "unknown_topic"
    REMOVED = "removed"
    BAD_OFFER = "bad_offer"


class FeedRefused(Exception):
    """A room feed may not start (or go on); :attr:`refusal` says why."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


@dataclass(frozen=True)
class FeedTarget:
    """Where a room feed goes: an event's topic, found by the event's code and key."""

    event_id: int
    code: str
    topic_id: int
    mode: EventMode


def feeds_key(event_id: int) -> str:
    """The bus document of an event's room feeds (every node's)."""
    return f"live:{event_id}:feeds"


def _feed_field(feed_id: str) -> str:
    return f"feed:{feed_id}"


def _participant_field(kind: FeedKind) -> str:
    return f"participant:{kind.value}"


@runs_in(LIVE_EVENT)
def find_target(db: Session, code: str, key: str, topic_id: int | None = None) -> FeedTarget:
    """The event with `code` and the topic a feed holding `key` goes to (the first, or
    `topic_id`); raises :class:`FeedRefused` when there is none, the key is not the
    event's ingest key, or the event has ended."""
    event = db.scalar(
        select(Event).where(Event.code == codes.normalise(code), Event.purged_at.is_(None))
    )
    if event is None:
        raise FeedRefused(Refusal.UNKNOWN_EVENT, gettext("No event has this code."))
    if not hmac.compare_digest(key.encode(), event.ingest_key.encode()):
        raise FeedRefused(Refusal.WRONG_KEY, gettext("This is not the event's ingest key."))
    if event.status is EventStatus.ENDED:
        raise FeedRefused(Refusal.ENDED, gettext("The event has ended."))
    topics = [t.id for t in event.topics]
    if topic_id is None and topics:
        topic_id = topics[0]
    if topic_id not in topics:
        raise FeedRefused(Refusal.UNKNOWN_TOPIC, gettext("The event has no such topic."))
    assert topic_id is not None
    return FeedTarget(event.id, event.code, topic_id, event.mode)


@dataclass(frozen=True)
class _Records:
    target: FeedTarget
    key: str
    participant_id: int
    connection_id: int
    session_id: str


@runs_in(LIVE_EVENT)
def _join(
    db: Session,
    target: FeedTarget,
    kind: FeedKind,
    key: str,
    resume: str | None,
    user_agent: str | None,
    ip: str | None,
    now: Any,
) -> _Records:
    """Record the feed's participant (the kind's own, when it joined before) and its
    connection, as a speaker's join does."""
    participant = participation.join(
        db,
        event_id=target.event_id,
        role=ParticipantRole.SPEAKER,
        now=now,
        resume_id=resume,
        first_name=FEED_NAMES[kind],
    )
    equipment = parse_user_agent(user_agent)
    connection = participation.open_connection(
        db,
        participant,
        now=now,
        topic_id=target.topic_id,
        browser=equipment.browser,
        os=equipment.os,
        device_type=equipment.device_type,
        ip_address=ip,
    )
    return _Records(
        target,
        participant.anonymous_id,
        participant.id,
        connection.id,
        connection.session_id,
    )


OnEnd = Callable[[], Awaitable[None]]
"""Called once when a feed ends (the RTMP pull stops its player)."""


@dataclass(eq=False)
class RoomFeed:
    """One room feed running on this node."""

    id: str
    """Its resource id (random; the WHIP session's URL ends with it)."""
    kind: FeedKind
    target: FeedTarget
    key: str
    """The ingest key it started with: its right, checked again when rights change."""
    etag: str
    """The strong entity tag of its ICE session (WHIP's ``ETag``)."""
    client: Client | None = None
    on_end: list[OnEnd] = field(default_factory=list)
    ended: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the feed has ended."""


class RoomFeeds:
    """The room feeds of this node, on its live hub."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self._feeds: dict[str, RoomFeed] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, feed_id: str) -> RoomFeed | None:
        """The feed `feed_id`, if it runs on this node."""
        return self._feeds.get(feed_id)

    def running(self) -> list[RoomFeed]:
        """The feeds running on this node."""
        return list(self._feeds.values())

    async def check(
        self, code: str, key: str, topic_id: int | None = None, kind: FeedKind | None = None
    ) -> FeedTarget:
        """Where a feed of `code` holding `key` would go (:func:`find_target`), nothing
        recorded; with `kind`, also refused when a host removed that kind of feed.

        :raises FeedRefused: why it may not start.
        """
        if kind is None:
            return await asyncio.to_thread(self._find, code, key, topic_id)
        return (await self._admit(kind, code, key, topic_id))[0]

    async def _admit(
        self, kind: FeedKind, code: str, key: str, topic_id: int | None
    ) -> tuple[FeedTarget, str | None]:
        """The feed's target, and its kind's participant in the event if it joined before;
        refused when a host removed that participant."""
        target = await asyncio.to_thread(self._find, code, key, topic_id)
        fields = await self.hub.bus.fields(feeds_key(target.event_id))
        resume = fields.get(_participant_field(kind))
        if resume is not None and await self.hub.is_removed(target.event_id, resume, None):
            raise FeedRefused(
                Refusal.REMOVED, gettext("A host removed the room feed from this event.")
            )
        return target, resume

    def _find(self, code: str, key: str, topic_id: int | None) -> FeedTarget:
        with self.hub.platform.sessions() as db:
            return find_target(db, code, key, topic_id)

    async def start(
        self,
        kind: FeedKind,
        code: str,
        key: str,
        offer_sdp: str,
        *,
        topic_id: int | None = None,
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> tuple[RoomFeed, str]:
        """Start a feed from its publisher's offer; returns the feed and the answer SDP.

        Nothing is recorded unless `key` is the event's ingest key.

        :raises FeedRefused: wrong key, no such event or topic, the event ended, a host
            removed the feed, or the media plane refused the offer.
        """
        target, resume = await self._admit(kind, code, key, topic_id)
        bus = self.hub.bus
        records = await asyncio.to_thread(
            self._records, code, key, target.topic_id, kind, resume, user_agent, ip
        )
        feed = RoomFeed(
            id=secrets.token_urlsafe(16),
            kind=kind,
            target=records.target,
            key=key,
            etag=f'"{secrets.token_urlsafe(12)}"',
        )
        client = Client(
            event_id=target.event_id,
            role=ParticipantRole.SPEAKER,
            key=records.key,
            name=FEED_NAMES[kind],
            participant_id=records.participant_id,
            connection_id=records.connection_id,
            session_id=records.session_id,
            topic_id=records.target.topic_id,
            send=self._sender(feed),
            mode=records.target.mode,
            close=self._closer(feed),
        )
        feed.client = client
        self._feeds[feed.id] = feed
        entry = json.dumps({"key": client.key, "node": bus.node, "kind": kind.value})
        await bus.put(
            feeds_key(target.event_id),
            {_feed_field(feed.id): entry, _participant_field(kind): client.key},
        )
        try:
            await self.hub.attach(client)
            answer = await self.hub.publish(client, offer_sdp)
        except (MediaPlaneError, ValueError, AccessDenied) as exc:
            await self.end(feed, "the media plane refused its offer")
            message = gettext("The offer cannot be answered: %(reason)s", reason=exc)
            raise FeedRefused(Refusal.BAD_OFFER, message) from exc
        except BaseException:
            await self.end(feed, "it could not start")
            raise
        log.info("room feed %s (%s) started in event %s", feed.id, kind, target.event_id)
        return feed, answer

    def _records(
        self,
        code: str,
        key: str,
        topic_id: int,
        kind: FeedKind,
        resume: str | None,
        user_agent: str | None,
        ip: str | None,
    ) -> _Records:
        platform = self.hub.platform
        with platform.transaction() as db:
            target = find_target(db, code, key, topic_id)  # the key still holds
            return _join(db, target, kind, key, resume, user_agent, ip, platform.clock.now())

    async def end(self, feed: RoomFeed, reason: str) -> None:
        """End a feed running here: off the floor, its connection closed, its sender
        stopped (idempotent)."""
        if feed.ended:
            return
        feed.ended = True
        self._feeds.pop(feed.id, None)
        log.info("room feed %s ended: %s", feed.id, reason)
        try:
            with contextlib.suppress(Exception):
                await self.hub.bus.drop(feeds_key(feed.target.event_id), _feed_field(feed.id))
            if feed.client is not None:
                try:
                    await self.hub.detach(feed.client)
                except Exception:
                    log.exception("room feed %s did not leave cleanly", feed.id)
            for stop in feed.on_end:
                try:
                    await stop()
                except Exception:
                    log.exception("room feed %s: its sender did not stop cleanly", feed.id)
        finally:
            feed.finished.set()

    async def stop(self, event_id: int, feed_id: str, reason: str) -> bool:
        """End feed `feed_id` of the event, on whichever node runs it; False when the
        event has no such feed."""
        feed = self._feeds.get(feed_id)
        if feed is not None and feed.target.event_id == event_id:
            await self.end(feed, reason)
            return True
        listed = (await self.hub.bus.fields(feeds_key(event_id))).get(_feed_field(feed_id))
        if listed is None:
            return False
        await self.hub.bus.drop(feeds_key(event_id), _feed_field(feed_id))
        await self.hub.revoke(event_id, reason, key=json.loads(listed)["key"])
        return True

    async def exists(self, event_id: int, feed_id: str) -> bool:
        """Whether the event has feed `feed_id` running on any node."""
        if feed_id in self._feeds:
            return self._feeds[feed_id].target.event_id == event_id
        return _feed_field(feed_id) in await self.hub.bus.fields(feeds_key(event_id))

    async def end_event(self, event_id: int, reason: str) -> int:
        """End every feed of the event, on every node (the ingest key was rotated);
        how many there were."""
        fields = await self.hub.bus.fields(feeds_key(event_id))
        listed = {name: value for name, value in fields.items() if name.startswith("feed:")}
        if listed:
            await self.hub.bus.drop(feeds_key(event_id), *listed)
        here = [f for f in self._feeds.values() if f.target.event_id == event_id]
        for feed in here:
            await self.end(feed, reason)
        keys = {json.loads(value)["key"] for value in listed.values()}
        for key in keys:
            await self.hub.revoke(event_id, reason, key=key)
        return len(listed.keys() | {_feed_field(f.id) for f in here})

    async def shutdown(self) -> None:
        """End every feed of this node (it is shutting down)."""
        for feed in list(self._feeds.values()):
            await self.end(feed, "the node is shutting down")
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- what the hub tells a feed -----------------------------------------------------

    def _sender(self, feed: RoomFeed) -> Callable[[dict[str, Any]], Awaitable[None]]:
        """The feed's ``send``: ignores what the hub tells a client, but ends the feed
        when its microphone is lost (its peer failed) or a host muted it."""

        async def send(message: dict[str, Any]) -> None:
            kind = message.get("type")
            lost = kind == "media.lost" and message.get("what") == "microphone"
            if lost or kind == "muted":
                self._spawn(self.end(feed, "its peer connection was lost" if lost else "muted"))

        return send

    def _closer(self, feed: RoomFeed) -> Callable[[int, str], Awaitable[None]]:
        """The feed's ``close``: the hub revokes sessions whose rights are gone (all of a
        role, or one participant), so the feed checks its own rights again."""

        async def close(_code: int, reason: str) -> None:
            self._spawn(self._recheck(feed, reason))

        return close

    async def _recheck(self, feed: RoomFeed, reason: str) -> None:
        """End the feed unless it is still listed, not removed, and its key, event and
        topic still hold."""
        if feed.ended or feed.client is None:
            return
        event_id = feed.target.event_id
        allowed = _feed_field(feed.id) in await self.hub.bus.fields(feeds_key(event_id))
        if allowed:
            allowed = not await self.hub.is_removed(event_id, feed.client.key, None)
        if allowed:
            try:
                await self.check(feed.target.code, feed.key, feed.target.topic_id)
            except FeedRefused:
                allowed = False
        if not allowed:
            await self.end(feed, reason)

    def _spawn(self, awaitable: Awaitable[None]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
