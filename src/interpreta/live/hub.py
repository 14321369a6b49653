"""The live side of events: who is connected, what they hear, who is on air.

The hub of each node keeps one :class:`LiveEvent` per event that has a client connected
to this node. What every node must agree on lives on the bus
(:mod:`interpreta.live.shared_state`): the booth consoles (seats, who is on air, the
pending handover), the floors' publishers, presence and listener counts. Every change of
it is made under the event's lock on the bus, then announced with a ``changed`` message,
on which each node sends its own clients their new view. Booth chat, handover requests,
the slow-down signal and revocations reach clients on any node through bus messages.

The microphone on air is a lease on the bus held by the interpreter (not the node): taken
when they go on air, passed on at a handover, renewed by the node their microphone
reaches, and lapsing when no node renews it, so two nodes can never both put a
microphone of one booth on air, and an interpreter whose node died keeps the air while
they reconnect elsewhere.

The channel's *source* on the media plane is derived from the state: after each change
the hub applies the sources that changed. It never touches WebSocket details: a client is
anything with an async ``send(message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from interpreta.booths import on_air as on_air_time
from interpreta.bus import Bus, BusError, MemoryBus
from interpreta.clock import wall_seconds
from interpreta.datamap.activities import TRANSCRIPTION
from interpreta.events import participation
from interpreta.events.models import (
    BoothChatMessage,
    Channel,
    ChannelKind,
    Event,
    EventMode,
    Participant,
    ParticipantRole,
    Topic,
)
from interpreta.i18n.catalogues import gettext
from interpreta.live import caption_delivery, shared_state, sources, video_feeds
from interpreta.live.access import AccessDenied, BoothSeat
from interpreta.live.booth import BoothConsole, ConsoleError
from interpreta.live.captions import (
    CaptionStream,
    EventCaptions,
    captioned,
    default_max_streams,
    recognised,
)
from interpreta.live.content_delivery import deliver
from interpreta.live.input_meter import FloorMeters
from interpreta.live.machine_voice import MachineVoice
from interpreta.live.recording import EventRecorder
from interpreta.live.shared_state import Presence, SharedState
from interpreta.live.sound_check import SoundCheck
from interpreta.live.sources import ChannelInfo, talkback_channel
from interpreta.media.plane import (
    MediaKind,
    MediaPlane,
    PeerStateChange,
    UnknownChannelError,
    UnknownPeerError,
)
from interpreta.meetings import transcripts
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.recordings import store as recordings_store
from interpreta.speech import interpretation
from interpreta.speech.engines import engine_for
from interpreta.speech.recognition import Caption

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
BROADCAST_DELAY = 0.05

Close = Callable[[int, str], Awaitable[None]]
"""Closes a client's WebSocket with a code and a reason."""

CLOSE_REVOKED = 4403
"""The close code of a session whose rights are gone (final: the page does not retry)."""

TOPIC = "live"
"""The bus topic of live events."""

LEASE_TTL = 10.0
"""Seconds the microphone on air stays leased without a renewal: longer than a client
takes to reconnect through the balancer after its node died."""

KEEP_ALIVE = 2.0
"""Seconds between two beats of this node (and renewals of the leases it keeps)."""

NODE_TTL = 3 * KEEP_ALIVE
"""Seconds after its last beat a node counts as gone."""


FORGET_AFTER = 30.0
"""Seconds an event stays loaded on a node after its last client there left, so one
listener coming and going does not close and reopen its channels on the media servers
each time (the node's keeper forgets it then)."""


METERED_FOR = frozenset({ParticipantRole.INTERPRETER, ParticipantRole.MODERATOR})
"""Who sees the floors' input-quality meter (and whose presence here keeps it running)."""

PRESETS = frozenset({"take_over", "coffee", "numbers", "terminology", "slower", "sound"})
"""The preset booth messages (the page words them in the reader's language)."""

COUNTDOWNS = range(0, 31)
"""Seconds a countdown handover may take (0: the mate accepts)."""

ON_AIR_WARNING = 30 * 60.0
"""Seconds on air without a handover after which the console warns (ISO 24019: turns of
about 30 minutes)."""

MAIN = "main"
"""The subscription slot of what a client hears."""

UNDER = "under"
"""The slot of the channel a listener mixes under the main one (the floor)."""


LANE_SLOTS = {sources.lane_slot(lane): lane for lane in sources.LANES}
"""The slots in which a client hears a floor's lanes (``lane1``...), and their lanes."""


def _check_slot(slot: str) -> None:
    if slot not in (MAIN, UNDER) and slot not in LANE_SLOTS:
        raise ConsoleError(
            "bad_request",
            gettext(
                "The slot must be main, under, or lane1 to lane%(lanes)s.",
                lanes=sources.FLOOR_LANES,
            ),
        )


def _slot_peer(client: Client, slot: str) -> str | None:
    """The client's subscription in `slot`, if it has one."""
    if slot == MAIN:
        return client.ear_peer
    if slot == UNDER:
        return client.under_peer
    lane = client.lane_peers.get(LANE_SLOTS[slot])
    return None if lane is None else lane[0]


def _set_slot(client: Client, slot: str, peer: str | None, channel_id: int | None) -> None:
    """Note what the client hears in `slot` (None and None: nothing any more)."""
    if slot == MAIN:
        client.ear_peer, client.listening = peer, channel_id
    elif slot == UNDER:
        client.under_peer, client.under_channel = peer, channel_id
    elif peer is None or channel_id is None:
        client.lane_peers.pop(LANE_SLOTS[slot], None)
    else:
        client.lane_peers[LANE_SLOTS[slot]] = (peer, channel_id)


def _slot_channel(live: LiveEvent, slot: str, channel_id: int) -> str:
    """The plane channel a subscription in `slot` to `channel_id` hears: the channel
    itself, or one of its lanes (the channel must then be a floor)."""
    _check_slot(slot)
    lane = LANE_SLOTS.get(slot)
    if lane is None:
        return _plane_id(channel_id)
    if live.channels[channel_id].kind is not ChannelKind.FLOOR:
        raise ConsoleError("bad_request", gettext("Only a floor has lanes: name a floor channel."))
    return sources.lane_channel(channel_id, lane)


def close_reason(text: str) -> str:
    """`text` as a WebSocket close reason: at most 120 bytes of UTF-8 (a close frame
    holds 123), cut between characters (a translation may have non-ASCII ones)."""
    return text.encode()[:120].decode(errors="ignore")


def removed_key(event_id: int) -> str:
    """The bus document of the participants (and accounts) a host removed from an event."""
    return f"live:{event_id}:removed"


def mic_lease(channel_id: int) -> str:
    """The lease of a booth's microphone on air."""
    return f"mic:{channel_id}"


@dataclass(eq=False)
class Client:
    """One connected browser (one WebSocket) in a live event, on this node."""

    event_id: int
    role: ParticipantRole
    key: str
    name: str
    participant_id: int
    connection_id: int
    session_id: str
    topic_id: int
    send: Send
    seat: BoothSeat | None = None
    user_id: int | None = None
    close: Close | None = None
    """Ends the client's session (closes its WebSocket) when its rights are gone."""
    mic_peer: str | None = None
    ear_peer: str | None = None
    under_peer: str | None = None
    """A listener's second subscription: the floor under the interpretation (the mix)."""
    under_channel: int | None = None
    """The channel of :attr:`under_peer` (not counted as a listener of it)."""
    talkback_peer: str | None = None
    """An interpreter's subscription to their booth's talkback (what mates say to them)."""
    lane_peers: dict[int, tuple[str, int]] = field(default_factory=dict)
    """The floor lanes the client hears (the other talkers): lane → peer and floor."""
    listening: int | None = None
    last_view: str | None = None
    media_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while the client's peers change (one negotiation at a time)."""
    mode: EventMode = EventMode.WEBINAR
    """The event's mode when the client joined: who may talk on the floor."""
    waiting: bool = False
    """In the waiting room: connected, but nothing else until a host lets them in."""
    cohost: bool = False
    """Made a co-host by a host (kept current from the shared moderation state)."""
    video_peers: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The video the client sends: feed kind → publisher peer and feed id."""
    sound_check: SoundCheck | None = None
    """The client's sound check, while one runs."""
    captions: tuple[int, str] | None = None
    """The channel whose automatic captions the client shows, and in which language."""
    viewers: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The video the client watches: its slot (a name the page chooses) → viewer peer
    and feed."""

    @property
    def hosting(self) -> bool:
        """Whether the client hosts: the event's organisers (moderators) and co-hosts."""
        return self.role is ParticipantRole.MODERATOR or self.cohost

    @property
    def staff(self) -> bool:
        """Whether the client sees listener counts (interpreters, speakers, moderators)."""
        return self.role is not ParticipantRole.LISTENER


@dataclass(eq=False)
class LiveEvent:
    """One event as this node sees it: its clients here, and the shared state as last read."""

    event_id: int
    channels: dict[int, ChannelInfo]
    shared: SharedState = field(default_factory=SharedState)
    clients: set[Client] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Guards this node's membership (clients joining while the event is forgotten)."""
    counts_written: dict[int, int] | None = None
    broadcast_pending: bool = False
    emptied_at: float | None = None
    """When its last client here left (monotonic seconds); None while it has clients."""
    stale: bool = False
    """A node announced a change since :attr:`shared` was read: the next broadcast reads it
    again (a broadcast for this node's own clients alone does not need to)."""
    stages: dict[int, str] = field(default_factory=dict)
    """The camera last on each topic's stage (kept while nobody with a camera speaks)."""
    caption_offer: dict[int, list[str]] = field(default_factory=dict)
    """The captioned channels and the languages their captions come in (its own first),
    as the event's settings were last read."""
    transcribed: dict[int, str] = field(default_factory=dict)
    """The channels whose sentences the event keeps as a transcript, with their language
    (all it can caption, while the organiser keeps one)."""
    machines_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Starting and stopping this node's machine voices of the event: one at a time."""
    interpreted: dict[int, tuple[int, str, str]] = field(default_factory=dict)
    """Each machine channel that can speak now: its source channel (the floor of its
    topic, which speaks a language a recogniser understands), the source's language and
    its own."""
    on_air_log: dict[int, deque[tuple[float, str | None]]] = field(default_factory=dict)
    """Per transcribed channel, who went on air when (wall-clock seconds, the source's
    peer): a sentence is told to whoever was on air while it was said, not when its
    caption came."""

    @property
    def booths(self) -> dict[int, BoothConsole]:
        """The booth consoles, by channel."""
        return self.shared.booths

    def floor_of(self, topic_id: int) -> int:
        """The floor channel of a topic."""
        return next(
            c.id
            for c in self.channels.values()
            if c.topic_id == topic_id and c.kind is ChannelKind.FLOOR
        )


MACHINE_START = 15.0
"""Seconds a machine channel's voice may take to connect to the plane."""
MACHINE_RETRY = 15.0
"""Seconds before a voice that did not start is tried again."""


def _interpreted(
    channels: dict[int, ChannelInfo], floor_language: str | None
) -> dict[int, tuple[int, str, str]]:
    """Each machine channel that can speak, with its source (its topic's floor, where a
    recogniser understands the floor's language and a translation into the channel's
    language is installed), the source's language and its own."""
    source_language = recognised(floor_language)
    if source_language is None:
        return {}
    speaks = interpretation.languages(source_language)
    found = {}
    for info in channels.values():
        target = (info.language_code or "").split("-")[0].lower()
        if info.machine and target in speaks:
            floor = next(
                (
                    c.id
                    for c in channels.values()
                    if c.topic_id == info.topic_id and c.kind is ChannelKind.FLOOR
                ),
                None,
            )
            if floor is not None:
                found[info.id] = (floor, source_language, target)
    return found


def _plane_id(channel_id: int) -> str:
    return str(channel_id)


class LiveHub:
    """The live events of this node, on one media plane and one bus."""

    def __init__(
        self,
        platform: Platform,
        plane: MediaPlane,
        bus: Bus | None = None,
        *,
        tap_addresses: Sequence[str] | None = None,
    ) -> None:
        """
        :param bus: what the nodes share; an in-memory bus (one node) when None.
        :param tap_addresses: where the recorder's peers gather ICE candidates (the
            embedded plane's own address; None: every interface but loopback).
        """
        self.platform = platform
        self.plane = plane
        self.bus: Bus = bus or MemoryBus()
        self._events: dict[int, LiveEvent] = {}
        self._peers: dict[str, tuple[LiveEvent, Client]] = {}
        self._serial = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe = plane.on_peer_state(self._peer_state_changed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock: asyncio.Lock | None = None
        self._start_lock_loop: asyncio.AbstractEventLoop | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.forget_after = FORGET_AFTER
        "Seconds an empty event stays loaded here (see :data:`FORGET_AFTER`)."
        self._loading: dict[int, asyncio.Lock] = {}
        "Per event: loading it (and opening its channels) and forgetting it take turns."
        self._recorders: dict[int, EventRecorder] = {}
        "The events this node records, while a host has recording on."
        self._tap_addresses = None if tap_addresses is None else tuple(tap_addresses)
        self._meters: dict[int, FloorMeters] = {}
        "The floors' input-quality meters, per event with staff connected here."
        self._captions: dict[int, EventCaptions] = {}
        "The channels this node captions, per event, while someone wants their captions."
        self._machines: dict[int, dict[int, MachineVoice]] = {}
        self._machine_retry: dict[int, float] = {}
        "Per machine channel whose voice did not start: when to try again (loop time)."
        "Per event, the machine channels whose voice this node sends (it captions their source)."
        self._translations = caption_delivery.Translations()
        self.caption_streams = default_max_streams()
        "Channels this node captions at most at once (each costs part of a core)."
        self.on_air_warning = ON_AIR_WARNING
        "Seconds on air without a handover before the console warns."
        self.wall = wall_seconds
        "The real time of the live timers (countdowns, time on air), in epoch seconds."

    # --- joining and leaving -------------------------------------------------------

    async def revoke(
        self,
        event_id: int,
        reason: str,
        *,
        user_id: int | None = None,
        roles: frozenset[ParticipantRole] | None = None,
        key: str | None = None,
    ) -> int:
        """End the live sessions of `event_id` whose rights are gone, on every node: those
        of `user_id` (any, when None) in `roles` (any, when None), of the participant
        `key` (any, when None). Each is told why, then closed; returns how many on this
        node (the others end theirs on the bus message)."""
        await self._started()
        await self.bus.publish(
            TOPIC,
            {
                "event": event_id,
                "kind": "revoke",
                "node": self.bus.node,
                "reason": reason,
                "user_id": user_id,
                "roles": None if roles is None else sorted(r.value for r in roles),
                "key": key,
            },
        )
        return await self._revoke_here(event_id, reason, user_id, roles, key)

    async def remove_participant(self, event_id: int, key: str) -> None:
        """A host removes participant `key`: their sessions end on every node, and they
        (that participant, and their account if they have one) cannot join again while
        the event is live."""
        user_id = await asyncio.to_thread(self._user_of, event_id, key)
        barred = {f"key:{key}": "1"}
        if user_id is not None:
            barred[f"user:{user_id}"] = "1"
        await self.bus.put(removed_key(event_id), barred)
        await self.revoke(event_id, "A host removed you from this event.", key=key)

    async def is_removed(self, event_id: int, key: str, user_id: int | None) -> bool:
        """Whether a host removed participant `key` (or the account `user_id`)."""
        barred = await self.bus.fields(removed_key(event_id))
        return f"key:{key}" in barred or (user_id is not None and f"user:{user_id}" in barred)

    async def attach(self, client: Client, *, waiting_room: bool = False) -> LiveEvent:
        """Register a connected client; interpreters take their seat in the booth. With
        a `waiting_room`, a listener not yet let in waits there."""
        await self._started()
        while True:
            live = await self._live_event(client.event_id)
            if client.seat is not None and client.seat.channel_id not in live.channels:
                await self._reload(live)  # the organiser added a language since
            async with live.lock:
                if self._events.get(client.event_id) is not live:
                    continue  # forgotten meanwhile (its last client left): take the new one
                live.clients.add(client)
                live.emptied_at = None
                break
        booth = client.seat.channel_id if client.seat is not None else None
        presence = Presence(self.bus.node, client.key, client.role.value, booth, client.name)
        await shared_state.set_presence(self.bus, client.event_id, client.session_id, presence)
        moderation = await self._moderation(client.event_id)
        client.cohost = client.key in moderation.cohosts
        if waiting_room and client.role is ParticipantRole.LISTENER:
            client.waiting = client.key not in moderation.admitted
        if client.waiting:
            await self.moderate(client.event_id, put={f"waiting:{client.key}": self._entry(client)})
        if client.seat is None:
            self._schedule_broadcast(live)  # nothing shared changes: no lock for a listener
            return live
        async with self._changing(live) as shared:
            shared.booths[client.seat.channel_id].sit(client.key, client.name)
        return live

    async def detach(self, client: Client) -> None:
        """Forget a client that disconnected: take its microphone off, free its seat,
        close its media."""
        live = self._events.get(client.event_id)
        if live is None:
            return
        async with live.lock:
            live.clients.discard(client)
            if not live.clients:
                live.emptied_at = time.monotonic()
        await shared_state.clear_presence(self.bus, client.event_id, client.session_id)
        if not any(c.key == client.key for c in live.clients):
            await self.moderate(
                client.event_id, drop=(f"hand:{client.key}", f"waiting:{client.key}")
            )
        if client.seat is not None or client.mic_peer is not None:
            await self._leave_shared(live, client)
        lanes = [peer for peer, _floor in client.lane_peers.values()]
        for peer in (
            client.mic_peer,
            client.ear_peer,
            client.under_peer,
            client.talkback_peer,
            *lanes,
        ):
            if peer is not None:
                self._peers.pop(peer, None)
                await self.plane.close_peer(peer)
        await self.stop_sound_check(client)
        try:
            for slot in list(client.viewers):
                await self.stop_watching(client, slot)
            for kind in list(client.video_peers):
                await self.stop_video(client, kind)
        except Exception:  # the bus or the plane failed: the rest of the leaving goes on
            log.exception("the video of %s did not stop cleanly", client.session_id)
        if client.seat is not None:
            await self._to_booth(
                live, client.seat.channel_id, {"type": "booth.left", "name": client.name}
            )
        await asyncio.to_thread(self._close_connection, client.connection_id)
        self._schedule_broadcast(live)  # the keeper forgets it once empty for a while

    async def _leave_shared(self, live: LiveEvent, client: Client) -> None:
        """Free the leaving client's seat (unless the same interpreter is still connected
        elsewhere: then only this microphone goes) or its place on the floor."""
        async with self._changing(live) as shared:
            if client.seat is not None:
                console = shared.booths.get(client.seat.channel_id)
                seat = None if console is None else console.seats.get(client.key)
                elsewhere = any(
                    p.key == client.key and p.booth == client.seat.channel_id
                    for p in shared.presence.values()
                )
                if console is not None and seat is not None:
                    if not elsewhere:
                        console.leave(client.key)
                    elif seat.mic_peer == client.mic_peer is not None:
                        console.attach_microphone(client.key, None)
            elif client.mic_peer is not None:
                sources.drop_floor_publisher(shared, client.mic_peer)

    # --- media ---------------------------------------------------------------------

    async def subscribe(
        self, client: Client, channel_id: int, offer_sdp: str, slot: str = MAIN
    ) -> str:
        """Start hearing a channel: the browser's recvonly offer in, the answer out. The
        ``under`` slot is a second subscription a listener mixes under the first (the
        floor beneath the interpretation); ``lane1``... hear a floor's other talkers."""
        live = self._events[client.event_id]
        await self._check_channel(live, channel_id)
        target = _slot_channel(live, slot, channel_id)
        async with client.media_lock:
            old = _slot_peer(client, slot)
            if old is not None:
                self._peers.pop(old, None)
                await self.plane.close_peer(old)
            name = "ear" if slot == MAIN else slot
            peer = f"{client.session_id}:{name}:{next(self._serial)}"
            answer = await self.plane.subscribe(target, peer, offer_sdp)
            _set_slot(client, slot, peer, channel_id)
            self._peers[peer] = (live, client)
        if slot in (MAIN, UNDER):  # a lane is part of hearing the floor, not a new use
            kind = "listen" if slot == MAIN else "mix"
            await asyncio.to_thread(self._record_media, client, peer, channel_id, kind)
        self._schedule_broadcast(live)
        return answer

    async def switch(self, client: Client, channel_id: int, slot: str = MAIN) -> None:
        """Hear another channel without renegotiating (language switch, relay)."""
        live = self._events[client.event_id]
        await self._check_channel(live, channel_id)
        target = _slot_channel(live, slot, channel_id)
        async with client.media_lock:
            peer = _slot_peer(client, slot)
            if peer is None:
                raise ConsoleError("not_listening", gettext("Start listening first."))
            await self.plane.switch_subscription(peer, target)
            _set_slot(client, slot, peer, channel_id)
        if slot in (MAIN, UNDER):
            await asyncio.to_thread(self._record_media, client, peer, channel_id, "switch")
        self._schedule_broadcast(live)

    async def unsubscribe(self, client: Client, slot: str = UNDER) -> None:
        """Stop a subscription (a listener turning the mix off)."""
        _check_slot(slot)
        async with client.media_lock:
            peer = _slot_peer(client, slot)
            if peer is None:
                return
            self._peers.pop(peer, None)
            _set_slot(client, slot, None, None)
            await self.plane.close_peer(peer)
        self._schedule_broadcast(self._events[client.event_id])

    async def publish(self, client: Client, offer_sdp: str) -> str:
        """Send the microphone: speakers to their floor, interpreters to their booth.

        The new microphone is connected before the old one (if any) is closed, so a
        republishing client on air leaves no gap.
        """
        live = self._events[client.event_id]
        if client.role is ParticipantRole.LISTENER and not self.may_talk(live, client):
            raise AccessDenied(
                gettext(
                    "Listeners cannot publish: in a webinar, raise your hand and a host can let "
                    "you talk."
                )
            )
        channel_id = (
            client.seat.channel_id if client.seat is not None else live.floor_of(client.topic_id)
        )
        async with client.media_lock:
            old = client.mic_peer
            peer = f"{client.session_id}:mic:{next(self._serial)}"
            answer = await self.plane.publish(_plane_id(channel_id), peer, offer_sdp)
            client.mic_peer = peer
            self._peers[peer] = (live, client)
            async with self._changing(live) as shared:
                if client.seat is not None:
                    console = shared.booths[channel_id]
                    console.sit(client.key, client.name)
                    console.attach_microphone(client.key, peer)
                else:
                    if old is not None:
                        sources.drop_floor_publisher(shared, old)
                    shared.floors.setdefault(channel_id, []).append(peer)
            if old is not None:
                self._peers.pop(old, None)
                await self.plane.close_peer(old)
        await asyncio.to_thread(self._record_media, client, peer, channel_id, "publish")
        return answer

    # --- video: the plane's part (live/video.py says who may do what) ----------------

    def joined(self, client: Client) -> LiveEvent:
        """The live event a connected client is in."""
        return self._events[client.event_id]

    async def send_video(
        self, client: Client, kind: video_feeds.FeedKind, offer_sdp: str, booth: int | None
    ) -> str:
        """Start (or replace) the client's feed of `kind` (a booth camera: for `booth`):
        its own video channel, the client's peer on air in it, and every node told.
        Returns the answer SDP."""
        live = self._events[client.event_id]
        async with client.media_lock:
            old = client.video_peers.get(kind.value)
            feed_id = old[1] if old is not None else video_feeds.new_feed_id()
            channel = video_feeds.plane_channel(client.event_id, feed_id)
            await self.plane.open_channel(channel, MediaKind.VIDEO)
            peer = f"{client.session_id}:{kind.value}:{next(self._serial)}"
            try:
                answer = await self.plane.publish(channel, peer, offer_sdp)
                await self.plane.set_source(channel, peer)
            except BaseException:
                if old is None:
                    await self.plane.close_channel(channel)  # and the peer with it
                else:
                    await self.plane.close_peer(peer)
                raise
            client.video_peers[kind.value] = (peer, feed_id)
            self._peers[peer] = (live, client)
            feed = video_feeds.Feed(
                id=feed_id,
                kind=kind.value,
                key=client.key,
                name=client.name,
                session=client.session_id,
                topic_id=client.topic_id,
                booth=booth,
                node=self.bus.node,
            )
            await self.bus.put(video_feeds.video_key(client.event_id), {feed_id: feed.to_json()})
            if old is not None:
                self._peers.pop(old[0], None)
                await self.plane.close_peer(old[0])
        await self._announce(live)
        return answer

    async def stop_video(self, client: Client, kind: str, *, peer: str | None = None) -> None:
        """Stop the client's feed of `kind` (nothing if it sends none, or, given a `peer`,
        if that is no longer the feed's: a newer one replaced it)."""
        live = self._events[client.event_id]
        async with client.media_lock:
            sending = client.video_peers.get(kind)
            if sending is None or (peer is not None and sending[0] != peer):
                return
            del client.video_peers[kind]
            self._peers.pop(sending[0], None)
            try:
                await video_feeds.withdraw(self.bus, client.event_id, sending[1])
            finally:  # its viewers' connections close with it
                await self.plane.close_channel(
                    video_feeds.plane_channel(client.event_id, sending[1])
                )
        await self._announce(live)

    async def watch(self, client: Client, slot: str, feed: str, offer_sdp: str) -> str:
        """Watch a feed in one of the client's slots (replacing what the slot showed)."""
        live = self._events[client.event_id]
        channel = video_feeds.plane_channel(client.event_id, feed)
        async with client.media_lock:
            old = client.viewers.pop(slot, None)
            if old is not None:
                self._peers.pop(old[0], None)
                await self.plane.close_peer(old[0])
            await self.plane.open_channel(channel, MediaKind.VIDEO)
            peer = f"{client.session_id}:view:{next(self._serial)}"
            answer = await self.plane.subscribe(channel, peer, offer_sdp)
            client.viewers[slot] = (peer, feed)
            self._peers[peer] = (live, client)
        self._schedule_broadcast(live)  # its view says what it watches
        return answer

    async def switch_view(self, client: Client, slot: str, feed: str) -> None:
        """Show another feed in a slot, on the same connection (no renegotiation)."""
        async with client.media_lock:
            watching = client.viewers.get(slot)
            if watching is None:
                raise ConsoleError("not_watching", gettext("Watch a feed in this slot first."))
            channel = video_feeds.plane_channel(client.event_id, feed)
            await self.plane.open_channel(channel, MediaKind.VIDEO)
            await self.plane.switch_subscription(watching[0], channel)
            client.viewers[slot] = (watching[0], feed)
        self._schedule_broadcast(self._events[client.event_id])

    async def stop_watching(self, client: Client, slot: str) -> None:
        """Stop watching in a slot (nothing if it shows nothing)."""
        async with client.media_lock:
            watching = client.viewers.pop(slot, None)
            if watching is not None:
                self._peers.pop(watching[0], None)
                await self.plane.close_peer(watching[0])
        if watching is not None and client.event_id in self._events:
            self._schedule_broadcast(self._events[client.event_id])

    # --- the sound check ---------------------------------------------------------------

    async def start_sound_check(self, client: Client, offer_sdp: str) -> str:
        """Start (again) the client's sound check with its microphone's offer."""
        await self.stop_sound_check(client)
        check = SoundCheck(
            self.plane, f"{client.session_id}:{next(self._serial)}", self._tap_addresses
        )
        answer = await check.start(offer_sdp)
        client.sound_check = check
        return answer

    async def sound_check_result(self, client: Client) -> dict[str, Any] | None:
        """What the client's sound check measured so far (None: too little sound yet)."""
        if client.sound_check is None:
            raise ConsoleError("not_checking", gettext("Start a sound check first."))
        return await client.sound_check.result()

    async def stop_sound_check(self, client: Client) -> None:
        """End the client's sound check, if one runs."""
        check, client.sound_check = client.sound_check, None
        if check is not None:
            await check.close()

    # --- meeting and webinar: who may talk, hands, the waiting room -----------------

    def may_talk(self, live: LiveEvent, client: Client) -> bool:
        """Whether a listener may send their microphone to the floor: in a meeting,
        everyone; in a webinar, those a host lets talk (and hosts)."""
        if client.waiting:
            return False
        return (
            client.mode is EventMode.MEETING
            or client.hosting
            or client.key in live.shared.moderation.talkers
        )

    async def moderate(
        self, event_id: int, *, put: dict[str, str] | None = None, drop: tuple[str, ...] = ()
    ) -> None:
        """Change the event's moderation state (hands, talkers, co-hosts, waiting room)
        on the bus, and tell every node."""
        await shared_state.moderate(self.bus, event_id, put=put, drop=drop)
        await self.bus.publish(TOPIC, {"event": event_id, "kind": "changed"})

    def _entry(self, client: Client) -> str:
        """A hand or waiting-room entry: the name, and when (for the order)."""
        return json.dumps(
            {
                "name": client.name,
                "at": self.platform.clock.now().timestamp(),
                "seq": time.monotonic_ns(),  # the order within one tick of the clock
            }
        )

    async def raise_hand(self, client: Client, raised: bool) -> None:
        """Raise or lower the client's hand."""
        field = f"hand:{client.key}"
        if raised:
            await self.moderate(client.event_id, put={field: self._entry(client)})
        else:
            await self.moderate(client.event_id, drop=(field,))

    async def mute(self, event_id: int, key: str, by: str) -> None:
        """Take participant `key`'s microphone off the floor, on every node; in a
        webinar they may not talk again until a host lets them."""
        await self.moderate(event_id, drop=(f"talk:{key}", f"hand:{key}"))
        await self.bus.publish(TOPIC, {"event": event_id, "kind": "mute", "key": key, "by": by})

    async def admit(self, event_id: int, key: str) -> None:
        """Let participant `key` in from the waiting room (now and when they rejoin)."""
        await self.moderate(event_id, put={f"admitted:{key}": "1"}, drop=(f"waiting:{key}",))
        await self.bus.publish(TOPIC, {"event": event_id, "kind": "admit", "key": key})

    async def react(self, client: Client, emoji: str) -> None:
        """Show a reaction to everyone in the event (nothing is stored)."""
        message = {"type": "reaction", "emoji": emoji, "from": client.name}
        await self.bus.publish(
            TOPIC, {"event": client.event_id, "kind": "reaction", "message": message}
        )

    async def start_recording(self, client: Client) -> None:
        """Record every channel of the event, on this node, until a host stops it."""
        live = self._events[client.event_id]
        async with self.bus.lock(shared_state.lock_name(live.event_id)):
            if (await self._moderation(live.event_id)).recording is not None:
                raise ConsoleError("recording", gettext("The event is being recorded already."))
            await shared_state.moderate(self.bus, live.event_id, put={"recording": self.bus.node})
        several = len({c.topic_id for c in live.channels.values()}) > 1
        labels = {
            info.id: (info.language_code or "floor")
            + (f" (topic {info.topic_id})" if several else "")
            for info in live.channels.values()
        }
        recorder = EventRecorder(
            self.platform, self.plane, live.event_id, addresses=self._tap_addresses
        )
        self._recorders[live.event_id] = recorder
        floors = {
            info.id: "floor video" + (f" (topic {info.topic_id})" if several else "")
            for info in live.channels.values()
            if info.kind is ChannelKind.FLOOR
        }
        lanes = {  # a meeting's floor with several talkers: a track per lane
            sources.lane_channel(info.id, lane): (info.id, f"{labels[info.id]}, talker {lane + 1}")
            for info in live.channels.values()
            if info.kind is ChannelKind.FLOOR
            for lane in sources.LANES
        }
        try:
            await recorder.start(labels, floors, lanes)
        except Exception:
            self._recorders.pop(live.event_id, None)
            await shared_state.moderate(self.bus, live.event_id, drop=("recording",))
            raise
        await self._note_sources(recorder, live)
        self._update_stages(live)
        await recorder.note_stages(self._stages(live))
        await self._announce(live)

    @staticmethod
    async def _note_sources(recorder: EventRecorder, live: LiveEvent) -> None:
        """Tell the recorder who is heard on each channel and each floor lane now."""
        lanes = sources.lane_sources(live.shared, live.channels)
        await recorder.note_sources(
            sources.sources(live.shared, live.channels),
            {sources.lane_channel(floor, lane): s for (floor, lane), s in lanes.items()},
        )

    async def stop_recording(self, client: Client) -> None:
        """Stop the event's recording, on whichever node records it."""
        node = (await self._moderation(client.event_id)).recording
        if node is None:
            raise ConsoleError("not_recording", gettext("The event is not being recorded."))
        if node == self.bus.node:
            await self._stop_recorder(client.event_id)
        else:
            await self.bus.publish(
                TOPIC, {"event": client.event_id, "kind": "recording.stop", "node": node}
            )

    async def _stop_recorder(self, event_id: int) -> None:
        recorder = self._recorders.pop(event_id, None)
        if recorder is not None:
            await recorder.stop()
        await self.moderate(event_id, drop=("recording",))

    async def _moderation(self, event_id: int) -> shared_state.Moderation:
        fields = await self.bus.fields(shared_state.moderation_key(event_id))
        return shared_state.Moderation.from_fields(fields)

    async def _mute_here(self, live: LiveEvent, key: str, by: str) -> None:
        for client in [c for c in live.clients if c.key == key and c.seat is None]:
            attendee = client.role is ParticipantRole.LISTENER and not client.hosting
            if attendee and client.mode is EventMode.WEBINAR:  # no longer on the panel
                for kind in (video_feeds.FeedKind.CAMERA, video_feeds.FeedKind.SCREEN):
                    await self.stop_video(client, kind.value)
            peer = client.mic_peer
            if peer is None:
                continue
            async with client.media_lock:
                client.mic_peer = None
                self._peers.pop(peer, None)
                async with self._changing(live) as shared:
                    sources.drop_floor_publisher(shared, peer)
                await self.plane.close_peer(peer)
            await self._send(client, {"type": "muted", "by": by})

    # --- booth console ---------------------------------------------------------------

    async def console(self, client: Client, action: str, **arguments: Any) -> None:
        """A console function: microphone, cough key, handover (accepted, or with a
        countdown), takeover, talkback, and the booth's output (retour)."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters in a booth have a console."))
        channel_id = client.seat.channel_id
        announcement: dict[str, Any] | None = None
        due: float | None = None
        if action == "output" and arguments.get("channel") is not None:
            self._check_output(live, channel_id, arguments["channel"])
        if action == "handover.request":
            countdown = arguments.get("countdown") or 0
            if not isinstance(countdown, int) or countdown not in COUNTDOWNS:
                raise ConsoleError("bad_request", gettext("A countdown is 0 to 30 seconds."))
            if countdown:
                due = self.wall() + countdown
        async with self._changing(live) as shared:
            console = shared.booths[channel_id]
            if action == "mic":
                console.microphone(client.key, bool(arguments["on"]))
            elif action == "cough":
                console.cough(client.key, bool(arguments["held"]))
            elif action == "handover.request":
                request = console.request_handover(client.key, arguments.get("to"), due=due)
                announcement = {
                    "type": "handover.requested",
                    "from": client.name,
                    "giver": request.giver,
                    "taker": request.taker,
                    "due": request.due,
                }
            elif action == "handover.accept":
                console.accept_handover(client.key)
            elif action == "handover.decline":
                console.decline_handover(client.key)
            elif action == "takeover":
                console.take_over(client.key)
                announcement = {"type": "booth.takeover", "from": client.name}
            elif action == "talkback":
                console.talkback(client.key, bool(arguments["held"]))
            elif action == "output":
                channel = arguments.get("channel")
                if channel is not None and sources.retour_into(shared, channel) not in (
                    None,
                    channel_id,
                ):
                    raise ConsoleError(
                        "taken", gettext("Another booth is working into that channel.")
                    )
                console.work_into(client.key, channel)
            else:
                raise ConsoleError(
                    "unknown_action",
                    gettext("Unknown console action %(action)s.", action=repr(action)),
                )
        if announcement is not None:
            await self._to_booth(live, channel_id, announcement, skip=client.session_id)
        if due is not None:
            self._spawn(self._hand_over_when_due(live, channel_id, due))
        if action in ("mic", "takeover", "output"):
            kind = action if action != "mic" else ("mic_on" if arguments["on"] else "mic_off")
            detail = str(arguments.get("channel")) if action == "output" else None
            await asyncio.to_thread(self._record_usage, client, kind, detail)

    def _check_output(self, live: LiveEvent, booth: int, channel: Any) -> None:
        """A booth may work into another language channel of its own topic (not one a
        machine interprets: it has no booth, and its listeners hear its voice)."""
        info = live.channels.get(channel) if isinstance(channel, int) else None
        own = live.channels[booth]
        if (
            info is None
            or info.kind is not ChannelKind.LANGUAGE
            or info.machine
            or info.topic_id != own.topic_id
        ):
            raise ConsoleError(
                "bad_output",
                gettext("A booth can work into another language channel of its topic."),
            )

    async def _hand_over_when_due(self, live: LiveEvent, channel_id: int, due: float) -> None:
        """Pass the microphone when a countdown handover ends (the keeper does it too, if
        this node is gone by then)."""
        await asyncio.sleep(max(0.0, due - self.wall()))
        await self._complete_due_handovers(live)

    async def _complete_due_handovers(self, live: LiveEvent) -> None:
        now = self.wall()
        if not any(
            c.handover is not None and c.handover.due is not None and c.handover.due <= now
            for c in live.booths.values()
        ):
            return
        async with self._changing(live) as shared:
            for console in shared.booths.values():
                console.complete_due_handover(now)

    async def booth_preset(self, client: Client, code: str) -> None:
        """A preset message to the booth mates (take over, coffee, numbers...): sent, not
        stored; each mate's page words it in their language."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters in a booth can send booth messages."))
        if code not in PRESETS:
            raise ConsoleError(
                "bad_request", gettext("Unknown booth message %(code)s.", code=repr(code))
            )
        message = {"type": "preset", "code": code, "from": client.name}
        await self._to_booth(live, client.seat.channel_id, message, skip=client.session_id)

    async def glossary_changed(self, event_id: int) -> None:
        """Tell the event's booths and organisers, on every node, that its glossary
        changed (their consoles fetch it again). Best effort: the change is stored
        already, and a console that missed the word fetches it when it reconnects."""
        try:
            await self._started()
            await self.bus.publish(TOPIC, {"event": event_id, "kind": "glossary"})
        except BusError:
            log.warning("the glossary change of event %s was not announced", event_id)

    async def set_retour_fill(self, client: Client, booth: int, fill: int | None) -> None:
        """A host chooses what a booth's own channel carries while the booth is on a
        retour: another booth's channel (a relay), or the floor with None."""
        live = self._events[client.event_id]
        if not client.hosting:
            raise AccessDenied(gettext("Only the event's hosts choose the relay during a retour."))
        info = live.channels.get(booth)
        if info is None or info.kind is not ChannelKind.LANGUAGE or info.machine:
            raise ConsoleError("bad_request", gettext("No such booth in this event."))
        if fill is not None:
            if fill == booth:
                raise ConsoleError("bad_request", gettext("A booth cannot relay itself."))
            self._check_output(live, booth, fill)
        async with self._changing(live) as shared:
            shared.booths[booth].retour_fill = fill

    async def subscribe_talkback(self, client: Client, offer_sdp: str) -> str:
        """Hear the booth's talkback (what a mate says only to the booth): the console's
        recvonly offer in, the answer out. Only the booth's interpreters can."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters in a booth hear its talkback."))
        async with client.media_lock:
            old = client.talkback_peer
            if old is not None:
                self._peers.pop(old, None)
                await self.plane.close_peer(old)
            peer = f"{client.session_id}:talkback:{next(self._serial)}"
            answer = await self.plane.subscribe(
                talkback_channel(client.seat.channel_id), peer, offer_sdp
            )
            client.talkback_peer = peer
            self._peers[peer] = (live, client)
        return answer

    async def booth_chat(self, client: Client, text: str) -> None:
        """A message to the booth mates (stored as confidential meeting content)."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters in a booth can use booth chat."))
        text = text.strip()[:2000]
        if not text:
            return
        await asyncio.to_thread(self._store_chat, client, text)
        message = {"type": "chat", "from": client.name, "text": text}
        await self._to_booth(live, client.seat.channel_id, message)

    async def slow_down(self, client: Client) -> None:
        """An interpreter asks the speaker to slow down; speakers and moderators see it."""
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters can send the slow-down signal."))
        message = {"type": "slowdown", "language": client.seat.language_code, "from": client.name}
        await self.bus.publish(
            TOPIC,
            {
                "event": client.event_id,
                "kind": "slowdown",
                "topic": client.topic_id,
                "message": message,
            },
        )

    # --- state -----------------------------------------------------------------------

    def view(self, live: LiveEvent, client: Client) -> dict[str, Any]:
        """What `client` sees of the event now."""
        channels = []
        lanes = sources.lane_sources(live.shared, live.channels)
        heard_in = None  # where its own microphone is heard: "floor", or a lane's slot
        for info in live.channels.values():
            on_air = sources.source(live.shared, info, live.channels)
            entry: dict[str, Any] = {
                "id": info.id,
                "topic_id": info.topic_id,
                "kind": str(info.kind),
                "language_code": info.language_code,
                "machine": info.machine,
                "live": sources.is_live(live.shared, info),
                "on_air": on_air is not None,
                "captions": live.caption_offer.get(info.id, []),
            }
            if info.kind is ChannelKind.FLOOR:  # which of its lanes carry a talker now
                entry["lanes"] = [lanes[(info.id, lane)] is not None for lane in sources.LANES]
                if client.mic_peer is not None and info.topic_id == client.topic_id:
                    if on_air == client.mic_peer:
                        heard_in = "floor"
                    for lane in sources.LANES:
                        if lanes[(info.id, lane)] == client.mic_peer:
                            heard_in = sources.lane_slot(lane)
            if client.staff:
                entry["listeners"] = live.shared.listeners.get(info.id, 0)
                entry["carrier"] = sources.carrier(live.shared, info, live.channels)
                console = live.booths.get(info.id)
                if console is not None and console.on_air in console.seats:
                    entry["on_air_name"] = console.seats[console.on_air].name
                if console is not None:
                    entry["output"] = console.output
                    entry["retour_fill"] = console.retour_fill
            channels.append(entry)
        view: dict[str, Any] = {
            "type": "state",
            "channels": channels,
            "listening": client.listening,
        }
        moderation = live.shared.moderation
        view["recording"] = moderation.recording is not None
        view["captions"] = None if client.captions is None else list(client.captions)
        view["transcript"] = bool(live.transcribed)
        view["you"] = {
            "host": client.hosting,
            "cohost": client.cohost,
            "waiting": client.waiting,
            "hand": client.key in moderation.hands,
            "may_talk": client.role is not ParticipantRole.LISTENER or self.may_talk(live, client),
            "mode": client.mode.value,
            "heard_in": heard_in,
        }
        if client.hosting:  # whom they may let in, let talk, mute, promote or remove
            people = {p.key: p for p in live.shared.presence.values()}
            view["participants"] = [
                {
                    "key": p.key,
                    "name": p.name or p.role.title(),
                    "role": p.role,
                    "cohost": p.key in moderation.cohosts,
                    "may_talk": p.key in moderation.talkers,
                    "hand": p.key in moderation.hands,
                }
                for p in sorted(people.values(), key=lambda p: (p.role, p.name, p.key))
                if p.key not in moderation.waiting
            ]
            view["hands"] = [{"key": k, "name": n} for k, n in moderation.hands.items()]
            view["waiting"] = [{"key": k, "name": n} for k, n in moderation.waiting.items()]
        view["video"] = self._video_view(live, client)
        meters = self._meters.get(live.event_id)
        if meters is not None and client.role in METERED_FOR:
            view["input_quality"] = {str(floor): f for floor, f in meters.figures.items()}
        if client.seat is not None:
            console = live.booths.get(client.seat.channel_id) or BoothConsole("")
            view["booth"] = {
                "channel_id": client.seat.channel_id,
                "language_code": client.seat.language_code,
                "you": client.key,
                "on_air": console.on_air,
                "seats": [
                    {
                        "key": s.key,
                        "name": s.name,
                        "mic": s.mic_peer is not None,
                        "on_air": console.on_air == s.key,
                        "coughing": s.coughing,
                    }
                    for s in console.seats.values()
                ],
                "handover": None
                if console.handover is None
                else {
                    "giver": console.handover.giver,
                    "taker": console.handover.taker,
                    "due": console.handover.due,
                },
                "output": console.output,
                "talking": console.talking,
                "on_air_since": console.on_air_since,
                "warn_after": self.on_air_warning,
            }
        return view

    def _update_stages(self, live: LiveEvent) -> None:
        """Set each topic's stage from the state just read (once per broadcast, for every
        view): the camera of whoever speaks on its floor, kept while nobody with a camera
        speaks."""
        for info in live.channels.values():
            if info.kind is not ChannelKind.FLOOR:
                continue
            speaking = video_feeds.speaking_session(
                sources.source(live.shared, info, live.channels)
            )
            previous = live.stages.get(info.topic_id)
            stage = video_feeds.stage(live.shared.feeds, info.topic_id, speaking, previous)
            if stage is None:
                live.stages.pop(info.topic_id, None)
            else:
                live.stages[info.topic_id] = stage

    def _stages(self, live: LiveEvent) -> dict[int, tuple[str, str] | None]:
        """Each topic's stage, by its floor channel: the feed's plane channel and the
        session sending it (for the recorder)."""
        stages: dict[int, tuple[str, str] | None] = {}
        for info in live.channels.values():
            if info.kind is not ChannelKind.FLOOR:
                continue
            feed = live.shared.feeds.get(live.stages.get(info.topic_id) or "")
            stages[info.id] = (
                None
                if feed is None
                else (video_feeds.plane_channel(live.event_id, feed.id), feed.session)
            )
        return stages

    def _video_view(self, live: LiveEvent, client: Client) -> dict[str, Any]:
        """The feeds `client` may watch, the camera on its topic's stage, and what it
        watches and sends."""
        if client.waiting:
            return {
                "feeds": [],
                "stage": None,
                "watching": {},
                "sending": [],
                "simulcast": self.plane.simulcast,
            }
        topic = client.topic_id
        stage = live.stages.get(topic)
        booth = client.seat.channel_id if client.seat is not None else None
        return {
            "feeds": [
                {
                    "id": feed.id,
                    "kind": feed.kind,
                    "name": feed.name,
                    "mine": feed.session == client.session_id,
                }
                for feed in live.shared.feeds.values()
                if video_feeds.visible(feed, booth) and feed.topic_id == topic
            ],
            "stage": stage,
            "watching": {slot: feed for slot, (_peer, feed) in client.viewers.items()},
            "sending": sorted(client.video_peers),
            "simulcast": self.plane.simulcast,
        }

    def _schedule_broadcast(self, live: LiveEvent) -> None:
        if live.broadcast_pending:
            return
        live.broadcast_pending = True

        async def later() -> None:
            try:
                await asyncio.sleep(BROADCAST_DELAY)
            finally:
                live.broadcast_pending = False
            await self.broadcast(live)

        self._spawn(later())

    async def broadcast(self, live: LiveEvent) -> None:
        """Publish this node's listener counts if they changed, read the shared state if a
        node changed it since, and send every client here its view, when it changed since
        the last one it got."""
        if self._events.get(live.event_id) is not live:
            return  # forgotten meanwhile: its channels are closed
        recorder = self._recorders.get(live.event_id)
        meters = self._meters.get(live.event_id)
        captions = self._captions.get(live.event_id)
        mixing = Counter(c.under_channel for c in live.clients if c.under_peer is not None)
        counts = {  # neither the recorder's taps nor a mix beneath count as listeners
            info.id: self.plane.listener_count(_plane_id(info.id))
            - (recorder.taps(info.id) if recorder else 0)
            - (meters.taps(info.id) if meters else 0)
            - (captions.taps(info.id) if captions else 0)
            - mixing[info.id]
            for info in live.channels.values()
        }
        if counts != live.counts_written:
            live.counts_written = counts
            await shared_state.set_listener_counts(self.bus, live.event_id, counts)
            await self._announce(live)
        if live.stale:
            live.stale = False  # before the read: a change announced during it marks it again
            await self._refresh(live)
        self._update_stages(live)
        self._note_on_air(live)
        if recorder is not None:
            # a lane's first talker starts its tap, and a new stage moves one: both
            # negotiate, so not here (the recorder's lock keeps them in order)
            self._spawn(self._note_sources(recorder, live))
            self._spawn(recorder.note_stages(self._stages(live)))
        for client in list(live.clients):
            client.cohost = client.key in live.shared.moderation.cohosts
            view = self.view(live, client)
            encoded = json.dumps(view, sort_keys=True)
            if encoded != client.last_view:
                client.last_view = encoded
                await self._send(client, view)

    # --- shared state ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _changing(self, live: LiveEvent) -> AsyncIterator[SharedState]:
        """Change the event's shared state: under its lock, on a fresh read.

        When the block ends, the microphone leases follow who is now on air (a refused
        lease undoes the whole change), the state is written, the channels whose source
        changed get it on the media plane, and every node is told. A block that raises
        changes nothing.
        """
        async with self.bus.lock(shared_state.lock_name(live.event_id)):
            shared = await self._read(live)
            before = sources.sources(shared, live.channels)
            talkback_before = sources.talkback_sources(shared)
            lanes_before = sources.lane_sources(shared, live.channels)
            on_air = {channel: console.on_air for channel, console in shared.booths.items()}
            machines = dict(shared.machines)
            yield shared  # the block works on this fresh copy: raising leaves live.shared as is
            now = self.platform.clock.now()
            went_on_air = {
                channel: console.on_air
                for channel, console in shared.booths.items()
                if console.on_air != on_air.get(channel)
            }
            for channel, key in went_on_air.items():
                shared.booths[channel].on_air_since = None if key is None else self.wall()
            await self._settle_leases(shared, on_air)
            await shared_state.save(
                self.bus,
                live.event_id,
                shared.booths,
                shared.floors,
                shared.machines,
                machines,
                shared.machine_nodes,
            )
            live.shared = shared
            for channel, source in sources.sources(shared, live.channels).items():
                if before.get(channel) != source:
                    await self._set_source(_plane_id(channel), source)
            for channel, source in sources.talkback_sources(shared).items():
                if talkback_before.get(channel) != source:
                    await self._set_source(talkback_channel(channel), source)
            for (floor, lane), source in sources.lane_sources(shared, live.channels).items():
                if lanes_before.get((floor, lane)) != source:
                    await self._set_source(sources.lane_channel(floor, lane), source)
        if went_on_air:
            try:
                await asyncio.to_thread(self._record_on_air, live.event_id, went_on_air, now)
            except Exception:  # the change stands; only its line in the on-air report is lost
                log.exception("the on-air time of event %s was not recorded", live.event_id)
        await self._announce(live)

    async def _settle_leases(self, shared: SharedState, before: dict[int, str | None]) -> None:
        """Take, pass on or give up each booth's microphone lease as its on-air changed."""
        for channel, console in shared.booths.items():
            old, new = before.get(channel), console.on_air
            if old == new:
                continue
            lease = mic_lease(channel)
            if new is None:
                if old is not None:
                    await self.bus.release(lease, old)
            elif old is not None and await self.bus.transfer(lease, old, new, LEASE_TTL):
                continue
            elif not await self.bus.acquire(lease, new, LEASE_TTL):
                raise ConsoleError(
                    "mate_on_air",
                    gettext("Your booth mate is on air: request a handover instead."),
                )

    async def _read(self, live: LiveEvent) -> SharedState:
        shared = await shared_state.load(self.bus, live.event_id)
        for info in live.channels.values():
            if (
                info.kind is ChannelKind.LANGUAGE
                and not info.machine
                and info.id not in shared.booths
            ):
                shared.booths[info.id] = BoothConsole(_plane_id(info.id))
        return shared

    async def _refresh(self, live: LiveEvent) -> None:
        live.shared = await self._read(live)

    async def _announce(self, live: LiveEvent) -> None:
        await self.bus.publish(TOPIC, {"event": live.event_id, "kind": "changed"})

    async def _set_source(self, channel: str, source: str | None) -> None:
        try:
            await self.plane.set_source(channel, source)
        except (UnknownPeerError, UnknownChannelError) as exc:  # closed meanwhile
            log.info("source of channel %s not set: %s", channel, exc)

    async def _to_booth(
        self, live: LiveEvent, channel_id: int, message: dict[str, Any], skip: str | None = None
    ) -> None:
        """Send `message` to every client in the booth, on every node (but session `skip`)."""
        await self.bus.publish(
            TOPIC,
            {
                "event": live.event_id,
                "kind": "booth",
                "channel": channel_id,
                "skip": skip,
                "message": message,
            },
        )

    async def _on_message(self, message: dict[str, Any]) -> None:
        """A message on the live topic, from any node."""
        live = self._events.get(message.get("event"))  # type: ignore[arg-type]
        if live is None:
            return
        kind = message.get("kind")
        if kind == "changed":
            live.stale = True
            self._schedule_broadcast(live)
        elif kind == "booth":
            for client in list(live.clients):
                seat = client.seat
                in_booth = seat is not None and seat.channel_id == message["channel"]
                if in_booth and client.session_id != message.get("skip"):
                    await self._send(client, message["message"])
        elif kind == "content":
            await deliver([c for c in live.clients if not c.waiting], message, self._send)
        elif kind == "reaction":
            for client in [c for c in live.clients if not c.waiting]:
                await self._send(client, message["message"])
        elif kind == caption_delivery.KIND:  # a translation takes a moment: not in line
            self._spawn(
                caption_delivery.deliver(
                    list(live.clients), message, self._send, self._translations
                )
            )
        elif kind == "recording.stop" and message.get("node") == self.bus.node:
            await self._stop_recorder(live.event_id)
        elif kind == "mute":
            await self._mute_here(live, str(message["key"]), str(message["by"]))
        elif kind == "admit":
            for client in [c for c in live.clients if c.key == message["key"]]:
                client.waiting = False
                await self._send(client, {"type": "admitted"})
            self._schedule_broadcast(live)
        elif kind == "glossary":
            for client in list(live.clients):
                if client.seat is not None or client.role is ParticipantRole.MODERATOR:
                    await self._send(client, {"type": "glossary.changed"})
        elif kind == "slowdown":
            for client in list(live.clients):
                if client.role is ParticipantRole.MODERATOR or (
                    client.role is ParticipantRole.SPEAKER and client.topic_id == message["topic"]
                ):
                    await self._send(client, message["message"])
        elif kind == "revoke" and message.get("node") != self.bus.node:
            roles = message.get("roles")
            await self._revoke_here(
                live.event_id,
                str(message["reason"]),
                message.get("user_id"),
                None if roles is None else frozenset(ParticipantRole(r) for r in roles),
                message.get("key"),
            )

    async def _revoke_here(
        self,
        event_id: int,
        reason: str,
        user_id: int | None,
        roles: frozenset[ParticipantRole] | None,
        key: str | None = None,
    ) -> int:
        live = self._events.get(event_id)
        if live is None:
            return 0
        ended = [
            c
            for c in list(live.clients)
            if (user_id is None or c.user_id == user_id)
            and (roles is None or c.role in roles)
            and (key is None or c.key == key)
        ]
        for client in ended:
            with contextlib.suppress(Exception):
                await client.send({"type": "error", "code": "revoked", "message": reason})
            if client.close is not None:
                with contextlib.suppress(Exception):
                    await client.close(CLOSE_REVOKED, close_reason(reason))
        return len(ended)

    # --- this node's life on the bus ---------------------------------------------------

    async def _started(self) -> None:
        """Subscribe to the live topic and start beating, once per event loop (the app
        may be served by several loops in turn, as the test client does)."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        if self._start_lock is None or self._start_lock_loop is not loop:
            self._start_lock, self._start_lock_loop = asyncio.Lock(), loop
        async with self._start_lock:
            if self._loop is loop:
                return
            self._loading.clear()  # locks of an earlier loop
            await self.bus.subscribe(TOPIC, self._on_message)
            await self.bus.beat(NODE_TTL)
            self._keeper = loop.create_task(self._keep_alive())
            self._loop = loop

    async def _keep_alive(self) -> None:
        """Beat, renew the leases of the microphones on air here, and take off air the
        booths whose lease lapsed (their node died and nobody came back in time)."""
        while True:
            await asyncio.sleep(KEEP_ALIVE)
            try:
                await self.bus.beat(NODE_TTL)
                for live in list(self._events.values()):
                    await self._keep_event(live)
                    emptied = live.emptied_at
                    if emptied is not None and time.monotonic() - emptied >= self.forget_after:
                        await self._forget(live)
            except Exception:
                log.exception("keeping the live state failed; retrying")

    async def _keep_event(self, live: LiveEvent) -> None:
        await self._sweep(live)
        await self._keep_meters(live)
        await self._read_caption_offer(live)
        await self._keep_captions(live)
        await self._complete_due_handovers(live)
        renewed: set[int] = set()
        for client in list(live.clients):
            seat = client.seat
            if seat is None or client.mic_peer is None:
                continue
            console = live.booths.get(seat.channel_id)
            on_air_here = console is not None and console.on_air == client.key
            lease = mic_lease(seat.channel_id)
            if on_air_here and await self.bus.renew(lease, client.key, LEASE_TTL):
                renewed.add(seat.channel_id)
        lapsed = [
            channel
            for channel, console in live.booths.items()
            if console.on_air is not None
            and channel not in renewed
            and await self.bus.holder(mic_lease(channel)) != console.on_air
        ]
        if not lapsed:
            return
        async with self._changing(live) as shared:
            for channel in lapsed:
                console = shared.booths[channel]
                holder = await self.bus.holder(mic_lease(channel))
                if console.on_air is not None and holder != console.on_air:
                    log.warning("the microphone lease of booth %s lapsed", channel)
                    console.on_air = None
                    console.handover = None

    async def _keep_meters(self, live: LiveEvent) -> None:
        """Measure the floors while interpreters or organisers are connected here (they
        see the figures), and stop when they are gone."""
        wanted = any(c.role in METERED_FOR for c in live.clients)
        meters = self._meters.get(live.event_id)
        if meters is None:
            if not wanted:
                return
            meters = self._meters[live.event_id] = FloorMeters(
                self.plane, live.event_id, self._tap_addresses
            )
        floors = [c.id for c in live.channels.values() if c.kind is ChannelKind.FLOOR]
        if await meters.keep(floors, wanted):
            self._schedule_broadcast(live)
        if not wanted:
            del self._meters[live.event_id]

    # --- automatic captions ------------------------------------------------------------

    async def choose_captions(self, client: Client, message: dict[str, Any]) -> dict[str, Any]:
        """Show `client` the captions a ``captions`` request asks for (or none), and have
        them made if nobody does yet.

        :raises ConsoleError: a channel without captions, or a language they are not in.
        """
        live = self._events[client.event_id]
        await self._read_caption_offer(live)  # the organiser may just have turned them on
        before, client.captions = (
            client.captions,
            caption_delivery.chosen(message, live.caption_offer),
        )
        try:
            await self._keep_captions(live)
        except BaseException:
            client.captions = before  # refused as a whole: the page keeps what it had
            raise
        self._schedule_broadcast(live)
        return {"captions": None if client.captions is None else list(client.captions)}

    async def _read_caption_offer(self, live: LiveEvent) -> None:
        """Read again whether the event offers captions, and of which channels, and
        whether it keeps a transcript; a choice no longer offered is dropped."""
        enabled, floor_language, keep = await asyncio.to_thread(
            self._caption_settings, live.event_id
        )
        languages = {info.id: info.language_code for info in live.channels.values()}
        offer = await asyncio.to_thread(
            caption_delivery.offer, captioned(enabled, floor_language, languages.items())
        )
        transcribed = captioned(keep, floor_language, languages.items())
        interpreted = _interpreted(live.channels, floor_language)
        if (
            offer == live.caption_offer
            and transcribed == live.transcribed
            and interpreted == live.interpreted
        ):
            return
        live.caption_offer, live.transcribed = offer, transcribed
        live.interpreted = interpreted
        for client in live.clients:
            if client.captions and client.captions[1] not in offer.get(client.captions[0], []):
                client.captions = None
        self._schedule_broadcast(live)

    def _caption_settings(self, event_id: int) -> tuple[bool, str | None, bool]:
        with self.platform.sessions() as db:
            row = db.execute(
                select(Event.captions, Event.floor_language, Event.keep_transcript).where(
                    Event.id == event_id
                )
            ).first()
        return (False, None, False) if row is None else (bool(row[0]), row[1], bool(row[2]))

    def caption_stream(self, event_id: int, channel_id: int) -> CaptionStream | None:
        """The recogniser this node runs for a channel's captions, if it runs one."""
        captions = self._captions.get(event_id)
        return None if captions is None else captions.streams.get(channel_id)

    async def _keep_captions(self, live: LiveEvent) -> None:
        """Caption the channels somebody here wants captions of, every channel of a
        transcript and every source of a machine channel (where this node holds or takes
        their lease), and stop the others; then send the voices of the machine channels
        whose source this node captions."""
        wanted = dict(live.transcribed)
        wanted |= {source: language for source, language, _ in live.interpreted.values()}
        wanted |= {
            client.captions[0]: live.caption_offer[client.captions[0]][0]
            for client in live.clients
            if client.captions is not None
            and not client.waiting
            and client.captions[0] in live.caption_offer
        }
        if self._events.get(live.event_id) is not live:
            return  # forgotten meanwhile
        running = self._captions.get(live.event_id)
        if running is None:  # kept until the event is forgotten here (see EventCaptions)
            if not wanted:
                return
            event_id = live.event_id

            async def publish(
                channel_id: int, language: str, caption: Caption, started: float
            ) -> None:
                stream = f"{self.bus.node}:{started:.3f}"
                message = caption_delivery.bus_message(
                    event_id, channel_id, language, caption, stream
                )
                await self.bus.publish(TOPIC, message)
                if caption.final and caption.text and channel_id in live.transcribed:
                    await self._transcribe(live, channel_id, language, caption, started)
                for machine, voice in self._machines.get(event_id, {}).items():
                    if live.interpreted.get(machine, (None,))[0] == channel_id:
                        voice.hear(caption)

            running = self._captions[event_id] = EventCaptions(
                self.plane, self.bus, event_id, publish, self._tap_addresses
            )
        room = self.caption_streams - sum(len(c.streams) for c in self._captions.values())
        await running.keep(wanted, room)
        await self._keep_machines(live, running)

    async def _keep_machines(self, live: LiveEvent, running: EventCaptions) -> None:
        """Send the voice of each machine channel whose source this node captions, and
        stop the others here; the shared state names each voice (and its node), so every
        node's plane forwards it. One call at a time (the beat and requests both come);
        a failure is logged, never raised into the beat."""
        async with live.machines_lock:
            if self._events.get(live.event_id) is not live:
                return  # forgotten meanwhile: its voices are closed already
            try:
                await self._keep_machines_now(live, running)
            except Exception:
                log.exception("the machine channels of event %s were not kept", live.event_id)

    async def _keep_machines_now(self, live: LiveEvent, running: EventCaptions) -> None:
        voices = self._machines.setdefault(live.event_id, {})
        now = asyncio.get_running_loop().time()
        stop = [
            channel
            for channel, voice in voices.items()
            if voice.failed
            or channel not in live.interpreted
            or live.interpreted[channel][0] not in running.streams
        ]
        start = [
            channel
            for channel, (source, _, _) in live.interpreted.items()
            if source in running.streams
            and (channel not in voices or channel in stop)
            and self._machine_retry.get(channel, 0.0) <= now
        ]
        named = {channel: voice.peer_id for channel, voice in voices.items()}
        unnamed = [c for c, peer in named.items() if live.shared.machines.get(c) != peer]
        if not stop and not start and not unnamed:
            return
        gone = {channel: voices.pop(channel) for channel in stop}
        try:
            for channel in start:
                voice = await self._start_voice(live, channel)
                if voice is None:
                    self._machine_retry[channel] = now + MACHINE_RETRY
                else:
                    voices[channel] = voice
            async with self._changing(live) as shared:
                for channel, voice in gone.items():
                    if shared.machines.get(channel) == voice.peer_id:
                        del shared.machines[channel]
                        shared.machine_nodes.pop(channel, None)
                for channel, voice in voices.items():
                    shared.machines[channel] = voice.peer_id
                    shared.machine_nodes[channel] = self.bus.node
        finally:
            for voice in gone.values():
                await self._end_voice(voice)

    async def _start_voice(self, live: LiveEvent, channel: int) -> MachineVoice | None:
        """A machine channel's voice, publishing on the plane; None when it could not
        start (logged; tried again after :data:`MACHINE_RETRY`)."""
        _, source_language, language = live.interpreted[channel]
        voice = MachineVoice(
            channel,
            f"machine:{live.event_id}:{channel}:{next(self._serial)}",
            source_language,
            language,
            self._tap_addresses,
        )
        try:
            offer = await asyncio.wait_for(voice.offer(), MACHINE_START)
            answer = await asyncio.wait_for(
                self.plane.publish(_plane_id(channel), voice.peer_id, offer), MACHINE_START
            )
            await voice.answered(answer)
        except Exception:
            log.exception("the voice of machine channel %s did not start", channel)
            await self._end_voice(voice)
            return None
        return voice

    async def _end_voice(self, voice: MachineVoice) -> None:
        with contextlib.suppress(Exception):
            await voice.close()
        with contextlib.suppress(Exception):
            await self.plane.close_peer(voice.peer_id)

    async def _close_machines(self, event_id: int) -> None:
        """Stop this node's voices of the event, and unname them in the shared state."""
        voices = self._machines.pop(event_id, {})
        for voice in voices.values():
            await self._end_voice(voice)
        with contextlib.suppress(Exception):
            await shared_state.drop_machines(
                self.bus, event_id, {c: v.peer_id for c, v in voices.items()}
            )

    def _note_on_air(self, live: LiveEvent) -> None:
        """Note who is on air in each transcribed channel, when it changed."""
        for channel_id in live.transcribed:
            info = live.channels.get(channel_id)
            peer = None if info is None else sources.source(live.shared, info, live.channels)
            noted = live.on_air_log.setdefault(channel_id, deque(maxlen=64))
            if not noted or noted[-1][1] != peer:
                noted.append((self.wall(), peer))

    def _on_air_at(self, live: LiveEvent, channel_id: int, at: float) -> str | None:
        """Who was on air in a channel at wall-clock time `at` (as noted; who is on air
        now when nothing was noted yet)."""
        noted = live.on_air_log.get(channel_id)
        info = live.channels.get(channel_id)
        if not noted:
            return None if info is None else sources.source(live.shared, info, live.channels)
        peer = None
        for since, source in noted:
            if since > at:
                break
            peer = source
        return peer

    async def _transcribe(
        self, live: LiveEvent, channel_id: int, language: str, caption: Caption, started: float
    ) -> None:
        """Keep a final caption in the event's transcript, told to whoever was on air
        while it was said (`started`: its stream's start, wall-clock seconds)."""
        said = started + caption.start
        peer = self._on_air_at(live, channel_id, said + (caption.end - caption.start) / 2)
        found = self._peers.get(peer) if peer is not None else None
        speaker = found[1].participant_id if found is not None else None
        duration = caption.end - caption.start
        ago = max(0.0, self.wall() - said)  # the platform's clock stands still in tests
        spoken_at = self.platform.clock.now() - timedelta(seconds=ago)

        def store() -> None:
            with processing(TRANSCRIPTION), self.platform.transaction() as db:
                heard = speaker
                if heard is None and peer is not None:  # on air through another node
                    heard = recordings_store.participant_of_session(db, peer.split(":", 1)[0])
                    if heard is None:
                        return  # hidden by their restriction (P31), or gone: not kept
                elif heard is not None and not transcripts.may_keep(db, heard):
                    return  # they restricted processing (P31): their words are not kept
                transcripts.record(
                    db,
                    live.event_id,
                    channel_id,
                    language,
                    engine_for(language).name,
                    heard,
                    caption.text,
                    spoken_at,
                    int(duration * 1000),
                )

        try:
            await asyncio.to_thread(store)
        except Exception:
            log.exception("keeping a sentence of channel %s's transcript failed", channel_id)

    async def _sweep(self, live: LiveEvent) -> None:
        """Forget what gone nodes left: their presence and counts, and the seats of
        interpreters connected nowhere any more (after a node died and they did not
        come back through another)."""
        await shared_state.sweep(self.bus, live.event_id)
        shared = await self._read(live)
        seated = {(p.booth, p.key) for p in shared.presence.values()}
        if not any(
            (channel, key) not in seated
            for channel, console in shared.booths.items()
            for key in console.seats
        ):
            return
        async with self._changing(live) as fresh:
            seated = {(p.booth, p.key) for p in fresh.presence.values()}
            for channel, console in fresh.booths.items():
                for key in [k for k in console.seats if (channel, k) not in seated]:
                    log.warning("booth %s: a seat whose interpreter is gone was freed", channel)
                    console.leave(key)

    # --- internals -------------------------------------------------------------------

    async def _live_event(self, event_id: int) -> LiveEvent:
        live = self._events.get(event_id)
        if live is not None:
            return live
        async with self._loading.setdefault(event_id, asyncio.Lock()):
            live = self._events.get(event_id)
            if live is not None:
                return live
            channels = await asyncio.to_thread(self._load_channels, event_id)
            live = LiveEvent(event_id, channels)
            for info in channels.values():  # open before anyone can use them
                await self._open(info)
            await self._refresh(live)
            await self._read_caption_offer(live)
            self._events[event_id] = live
            return live

    async def _reload(self, live: LiveEvent) -> LiveEvent:
        """Pick up channels and booths added to the event since it was loaded."""
        channels = await asyncio.to_thread(self._load_channels, live.event_id)
        for info in channels.values():
            if info.id not in live.channels:
                live.channels[info.id] = info
                await self._open(info)
        await self._refresh(live)
        return live

    async def _forget(self, live: LiveEvent) -> None:
        """Drop an event nobody here is connected to any more, and close its channels on
        this node's plane; the shared state goes when nobody is connected anywhere."""
        async with self._loading.setdefault(live.event_id, asyncio.Lock()):
            async with live.lock:
                if live.clients or self._events.get(live.event_id) is not live:
                    return
                del self._events[live.event_id]
            if live.event_id in self._recorders:  # nobody left to record
                await self._stop_recorder(live.event_id)
            meters = self._meters.pop(live.event_id, None)
            if meters is not None:
                await meters.close()
            captions = self._captions.pop(live.event_id, None)
            if captions is not None:
                await captions.close()
            async with live.machines_lock:  # a voice starting now is closed with the rest
                await self._close_machines(live.event_id)
            for info in live.channels.values():  # before the event can be loaded again
                await self.plane.close_channel(_plane_id(info.id))
                if info.kind is ChannelKind.LANGUAGE:
                    await self.plane.close_channel(talkback_channel(info.id))
                if info.kind is ChannelKind.FLOOR:
                    for lane in sources.LANES:
                        await self.plane.close_channel(sources.lane_channel(info.id, lane))
        async with self.bus.lock(shared_state.lock_name(live.event_id)):
            if live.event_id in self._events:
                return  # someone joined here meanwhile
            shared = await shared_state.load(self.bus, live.event_id)
            if shared.presence:
                await shared_state.set_listener_counts(self.bus, live.event_id, {})
                await self._announce(live)  # the other nodes count without this one
                return
            for channel, console in shared.booths.items():
                if console.on_air is not None:
                    await self.bus.release(mic_lease(channel), console.on_air)
            await shared_state.forget(self.bus, live.event_id)

    async def _open(self, info: ChannelInfo) -> None:
        """Open a channel on this node's plane, a booth's talkback with its channel, and a
        floor's lanes with the floor."""
        await self.plane.open_channel(_plane_id(info.id))
        if info.kind is ChannelKind.LANGUAGE:
            await self.plane.open_channel(talkback_channel(info.id))
        if info.kind is ChannelKind.FLOOR:
            for lane in sources.LANES:
                await self.plane.open_channel(sources.lane_channel(info.id, lane))

    def _load_channels(self, event_id: int) -> dict[int, ChannelInfo]:
        with self.platform.sessions() as db:
            rows = db.execute(
                select(
                    Channel.id,
                    Channel.topic_id,
                    Channel.kind,
                    Channel.language_code,
                    Channel.machine,
                )
                .join(Topic, Channel.topic_id == Topic.id)
                .where(Topic.event_id == event_id)
                .order_by(Topic.position, Channel.id)
            ).all()
        return {r[0]: ChannelInfo(r[0], r[1], ChannelKind(r[2]), r[3], bool(r[4])) for r in rows}

    async def _check_channel(self, live: LiveEvent, channel_id: int) -> None:
        if channel_id not in live.channels:
            await self._reload(live)
        if channel_id not in live.channels:
            raise ConsoleError("unknown_channel", gettext("No such channel in this event."))

    async def _peer_state_changed(self, change: PeerStateChange) -> None:
        if change.state not in ("failed", "closed"):
            return
        found = self._peers.pop(change.peer_id, None)
        if found is None:
            return
        live, client = found
        if change.peer_id == client.mic_peer:
            client.mic_peer = None
            async with self._changing(live) as shared:
                if client.seat is not None:
                    console = shared.booths.get(client.seat.channel_id)
                    seat = None if console is None else console.seats.get(client.key)
                    if console is not None and seat is not None and seat.mic_peer == change.peer_id:
                        console.attach_microphone(client.key, None)
                else:
                    sources.drop_floor_publisher(shared, change.peer_id)
            if client.seat is not None:
                dropped = {"type": "booth.dropped", "name": client.name}
                await self._to_booth(live, client.seat.channel_id, dropped, skip=client.session_id)
            await self._send(client, {"type": "media.lost", "what": "microphone"})
        elif change.peer_id == client.under_peer:
            client.under_peer = client.under_channel = None
            await self._send(client, {"type": "media.lost", "what": "mix"})
        elif (
            lane := next(
                (n for n, (p, _f) in client.lane_peers.items() if p == change.peer_id), None
            )
        ) is not None:
            del client.lane_peers[lane]
            await self._send(
                client, {"type": "media.lost", "what": "lane", "slot": sources.lane_slot(lane)}
            )
        elif change.peer_id == client.talkback_peer:
            client.talkback_peer = None
            await self._send(client, {"type": "media.lost", "what": "talkback"})
        elif change.peer_id == client.ear_peer:
            client.ear_peer = None
            await self._send(client, {"type": "media.lost", "what": "listening"})
        elif any(sent[0] == change.peer_id for sent in client.video_peers.values()):
            kind = next(k for k, sent in client.video_peers.items() if sent[0] == change.peer_id)
            await self.stop_video(client, kind, peer=change.peer_id)
            await self._send(client, {"type": "media.lost", "what": "video", "kind": kind})
        else:
            slot = next((s for s, w in client.viewers.items() if w[0] == change.peer_id), None)
            if slot is not None:
                del client.viewers[slot]
                await self._send(client, {"type": "media.lost", "what": "view", "slot": slot})
        self._schedule_broadcast(live)

    async def _send(self, client: Client, message: dict[str, Any]) -> None:
        try:
            await client.send(message)
        except Exception:  # a closed socket: its own handler detaches the client
            log.debug("could not send to %s", client.session_id, exc_info=True)

    def _spawn(self, awaitable: Awaitable[None]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)  # a task nobody holds may be collected before it runs
        task.add_done_callback(self._tasks.discard)

    def _record_media(self, client: Client, peer: str, channel_id: int, kind: str) -> None:
        with self.platform.transaction() as db:
            participation.set_media(
                db,
                client.connection_id,
                media_session_id=peer,
                stream_id=_plane_id(channel_id),
                media_url=f"webrtc://{self.platform.settings.media_host}",
            )
            participation.record_usage(
                db, client.connection_id, kind, str(channel_id), self.platform.clock.now()
            )

    def _record_usage(self, client: Client, kind: str, detail: str | None) -> None:
        with self.platform.transaction() as db:
            participation.record_usage(
                db, client.connection_id, kind, detail, self.platform.clock.now()
            )

    def _record_on_air(self, event_id: int, on_air: dict[int, str | None], at: datetime) -> None:
        """Note who went on air where (for the on-air time report)."""
        with self.platform.transaction() as db:
            on_air_time.record_changes(db, event_id, on_air, at)

    def _close_connection(self, connection_id: int) -> None:
        with self.platform.transaction() as db:
            participation.close_connection(db, connection_id, self.platform.clock.now())

    def _user_of(self, event_id: int, key: str) -> int | None:
        with self.platform.sessions() as db:
            return db.scalar(
                select(Participant.user_id).where(
                    Participant.event_id == event_id, Participant.anonymous_id == key
                )
            )

    def _store_chat(self, client: Client, text: str) -> None:
        assert client.seat is not None
        with self.platform.transaction() as db:
            db.add(
                BoothChatMessage(
                    booth_id=client.seat.booth_id,
                    participant_id=client.participant_id,
                    body=text,
                    sent_at=self.platform.clock.now(),
                )
            )

    async def shutdown(self) -> None:
        """Stop recording, stop beating, leave the bus, and shut the media plane down."""
        for event_id in list(self._recorders):
            with contextlib.suppress(Exception):
                await self._stop_recorder(event_id)
        for meters in list(self._meters.values()):
            with contextlib.suppress(Exception):
                await meters.close()
        self._meters.clear()
        for captions in list(self._captions.values()):
            with contextlib.suppress(Exception):
                await captions.close()
        self._captions.clear()
        for event_id in list(self._machines):
            await self._close_machines(event_id)
        self._unsubscribe()
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._keeper
        await self.plane.shutdown()
        await self.bus.close()
