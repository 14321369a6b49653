"""The live side of events: who is connected, what they hear, who is on air.

The hub keeps one :class:`LiveEvent` per event that has someone connected. It
drives the media plane (open channels, publish, subscribe, set the source) and
tells every connected client what changed. It never touches WebSocket details:
a client is anything with an async ``send(message)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from interpreta.events import participation
from interpreta.events.models import BoothChatMessage, Channel, ChannelKind, ParticipantRole, Topic
from interpreta.live.access import AccessDenied, BoothSeat
from interpreta.live.booth import BoothConsole, ConsoleError
from interpreta.media.plane import MediaPlane, PeerStateChange
from interpreta.platform import Platform

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
BROADCAST_DELAY = 0.05


Close = Callable[[int, str], Awaitable[None]]
"""Closes a client's WebSocket with a code and a reason."""

CLOSE_REVOKED = 4403
"""The close code of a session whose rights are gone (final: the page does not retry)."""


@dataclass(eq=False)
class Client:
    """One connected browser (one WebSocket) in a live event."""

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
    listening: int | None = None
    last_view: str | None = None

    @property
    def staff(self) -> bool:
        """Whether the client sees listener counts (interpreters, speakers, moderators)."""
        return self.role is not ParticipantRole.LISTENER


@dataclass(frozen=True)
class ChannelInfo:
    """What the hub knows about one channel of the event."""

    id: int
    topic_id: int
    kind: ChannelKind
    language_code: str | None


@dataclass(eq=False)
class LiveEvent:
    """The live state of one event."""

    event_id: int
    channels: dict[int, ChannelInfo]
    booths: dict[int, BoothConsole] = field(default_factory=dict)
    floor_publishers: dict[int, list[str]] = field(default_factory=dict)
    clients: set[Client] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    broadcast_pending: bool = False

    def floor_of(self, topic_id: int) -> int:
        """The floor channel of a topic."""
        return next(
            c.id
            for c in self.channels.values()
            if c.topic_id == topic_id and c.kind is ChannelKind.FLOOR
        )


def _plane_id(channel_id: int) -> str:
    return str(channel_id)


class LiveHub:
    """All live events of this process, on one media plane."""

    def __init__(self, platform: Platform, plane: MediaPlane) -> None:
        self.platform = platform
        self.plane = plane
        self._events: dict[int, LiveEvent] = {}
        self._peers: dict[str, tuple[LiveEvent, Client]] = {}
        self._serial = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe = plane.on_peer_state(self._peer_state_changed)

    # --- joining and leaving -------------------------------------------------------

    async def revoke(
        self,
        event_id: int,
        reason: str,
        *,
        user_id: int | None = None,
        roles: frozenset[ParticipantRole] | None = None,
    ) -> int:
        """End the live sessions of `event_id` whose rights are gone: those of `user_id`
        (any, when None) in `roles` (any, when None). Each is told why, then closed;
        returns how many."""
        live = self._events.get(event_id)
        if live is None:
            return 0
        ended = [
            c
            for c in list(live.clients)
            if (user_id is None or c.user_id == user_id) and (roles is None or c.role in roles)
        ]
        for client in ended:
            with contextlib.suppress(Exception):
                await client.send({"type": "error", "code": "revoked", "message": reason})
            if client.close is not None:
                with contextlib.suppress(Exception):
                    await client.close(CLOSE_REVOKED, reason[:120])
        return len(ended)

    async def attach(self, client: Client) -> LiveEvent:
        """Register a connected client; interpreters take their seat in the booth."""
        while True:
            live = await self._live_event(client.event_id)
            if client.seat is not None and client.seat.channel_id not in live.booths:
                await self._reload(live)  # the organiser added a language since
            async with live.lock:
                if self._events.get(client.event_id) is not live:
                    continue  # forgotten meanwhile (its last client left): take the new one
                if client.seat is not None:
                    live.booths[client.seat.channel_id].sit(client.key, client.name)
                live.clients.add(client)
                break
        self._schedule_broadcast(live)
        return live

    async def detach(self, client: Client) -> None:
        """Forget a client that disconnected: close its media, free its seat."""
        live = self._events.get(client.event_id)
        if live is None:
            return
        async with live.lock:
            live.clients.discard(client)
            for peer in (client.mic_peer, client.ear_peer):
                if peer is not None:
                    self._peers.pop(peer, None)
                    await self.plane.close_peer(peer)
            if client.seat is not None and client.seat.channel_id in live.booths:
                console = live.booths[client.seat.channel_id]
                mates = self._booth_mates(live, client)
                seat = console.seats.get(client.key)
                if seat is not None and not any(m.key == client.key for m in mates):
                    await self._apply_source(console, console.leave(client.key))
                elif seat is not None and seat.mic_peer == client.mic_peer is not None:
                    # the same interpreter is still connected elsewhere: only this mic goes
                    await self._apply_source(console, console.attach_microphone(client.key, None))
                for mate in mates:
                    await self._send(mate, {"type": "booth.left", "name": client.name})
            if client.mic_peer is not None and client.seat is None:
                await self._drop_floor_publisher(live, client.mic_peer)
            emptied = not live.clients
        await asyncio.to_thread(self._close_connection, client.connection_id)
        if emptied and self._events.get(client.event_id) is live:
            await self._forget(live)  # nobody left: free its channels, reload on next join
        else:
            self._schedule_broadcast(live)

    # --- media ---------------------------------------------------------------------

    async def subscribe(self, client: Client, channel_id: int, offer_sdp: str) -> str:
        """Start hearing a channel: the browser's recvonly offer in, the answer out."""
        live = self._events[client.event_id]
        await self._check_channel(live, channel_id)
        async with live.lock:
            if client.ear_peer is not None:
                self._peers.pop(client.ear_peer, None)
                await self.plane.close_peer(client.ear_peer)
            peer = f"{client.session_id}:ear:{next(self._serial)}"
            answer = await self.plane.subscribe(_plane_id(channel_id), peer, offer_sdp)
            client.ear_peer, client.listening = peer, channel_id
            self._peers[peer] = (live, client)
        await asyncio.to_thread(self._record_media, client, peer, channel_id, "listen")
        self._schedule_broadcast(live)
        return answer

    async def switch(self, client: Client, channel_id: int) -> None:
        """Hear another channel without renegotiating (language switch, relay)."""
        live = self._events[client.event_id]
        await self._check_channel(live, channel_id)
        if client.ear_peer is None:
            raise ConsoleError("not_listening", "Start listening first.")
        async with live.lock:
            await self.plane.switch_subscription(client.ear_peer, _plane_id(channel_id))
            client.listening = channel_id
        await asyncio.to_thread(self._record_media, client, client.ear_peer, channel_id, "switch")
        self._schedule_broadcast(live)

    async def publish(self, client: Client, offer_sdp: str) -> str:
        """Send the microphone: speakers to their floor, interpreters to their booth."""
        live = self._events[client.event_id]
        if client.role is ParticipantRole.LISTENER:
            raise AccessDenied("Listeners cannot publish.")
        channel_id = (
            client.seat.channel_id if client.seat is not None else live.floor_of(client.topic_id)
        )
        async with live.lock:
            if client.mic_peer is not None:
                self._peers.pop(client.mic_peer, None)
                await self.plane.close_peer(client.mic_peer)
                if client.seat is None:
                    await self._drop_floor_publisher(live, client.mic_peer)
            peer = f"{client.session_id}:mic:{next(self._serial)}"
            answer = await self.plane.publish(_plane_id(channel_id), peer, offer_sdp)
            client.mic_peer = peer
            self._peers[peer] = (live, client)
            if client.seat is not None:
                console = live.booths[channel_id]
                await self._apply_source(console, console.attach_microphone(client.key, peer))
            else:
                live.floor_publishers.setdefault(channel_id, []).append(peer)
                await self.plane.set_source(_plane_id(channel_id), peer)
        await asyncio.to_thread(self._record_media, client, peer, channel_id, "publish")
        self._schedule_broadcast(live)
        return answer

    # --- booth console ---------------------------------------------------------------

    async def console(self, client: Client, action: str, **arguments: Any) -> None:
        """A console function: microphone, cough key, handover."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied("Only interpreters in a booth have a console.")
        console = live.booths[client.seat.channel_id]
        async with live.lock:
            if action == "mic":
                await self._apply_source(
                    console, console.microphone(client.key, bool(arguments["on"]))
                )
            elif action == "cough":
                await self._apply_source(
                    console, console.cough(client.key, bool(arguments["held"]))
                )
            elif action == "handover.request":
                request = console.request_handover(client.key, arguments.get("to"))
                for mate in self._booth_mates(live, client):
                    await self._send(
                        mate,
                        {
                            "type": "handover.requested",
                            "from": client.name,
                            "giver": request.giver,
                            "taker": request.taker,
                        },
                    )
            elif action == "handover.accept":
                await self._apply_source(console, console.accept_handover(client.key))
            elif action == "handover.decline":
                console.decline_handover(client.key)
            else:
                raise ConsoleError("unknown_action", f"Unknown console action {action!r}.")
        if action == "mic":
            await asyncio.to_thread(
                self._record_usage, client, "mic_on" if arguments["on"] else "mic_off", None
            )
        self._schedule_broadcast(live)

    async def booth_chat(self, client: Client, text: str) -> None:
        """A message to the booth mates (stored as confidential meeting content)."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied("Only interpreters in a booth can use booth chat.")
        text = text.strip()[:2000]
        if not text:
            return
        await asyncio.to_thread(self._store_chat, client, text)
        message = {"type": "chat", "from": client.name, "text": text}
        for member in [client, *self._booth_mates(live, client)]:
            await self._send(member, message)

    async def slow_down(self, client: Client) -> None:
        """An interpreter asks the speaker to slow down; speakers and moderators see it."""
        live = self._events[client.event_id]
        if client.seat is None:
            raise AccessDenied("Only interpreters can send the slow-down signal.")
        message = {"type": "slowdown", "language": client.seat.language_code, "from": client.name}
        for other in list(live.clients):
            same_topic = other.topic_id == client.topic_id
            if other.role is ParticipantRole.MODERATOR or (
                other.role is ParticipantRole.SPEAKER and same_topic
            ):
                await self._send(other, message)

    # --- state -----------------------------------------------------------------------

    def view(self, live: LiveEvent, client: Client) -> dict[str, Any]:
        """What `client` sees of the event now."""
        channels = []
        for info in live.channels.values():
            source = self._source(live, info)
            entry: dict[str, Any] = {
                "id": info.id,
                "topic_id": info.topic_id,
                "kind": str(info.kind),
                "language_code": info.language_code,
                "live": self._is_live(live, info),
                "on_air": source is not None,
            }
            if client.staff:
                entry["listeners"] = self.plane.listener_count(_plane_id(info.id))
                console = live.booths.get(info.id)
                if console is not None and console.on_air in console.seats:
                    entry["on_air_name"] = console.seats[console.on_air].name
            channels.append(entry)
        view: dict[str, Any] = {
            "type": "state",
            "channels": channels,
            "listening": client.listening,
        }
        if client.seat is not None:
            console = live.booths[client.seat.channel_id]
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
                else {"giver": console.handover.giver, "taker": console.handover.taker},
            }
        return view

    def _source(self, live: LiveEvent, info: ChannelInfo) -> str | None:
        if info.kind is ChannelKind.FLOOR:
            publishers = live.floor_publishers.get(info.id) or []
            return publishers[-1] if publishers else None
        console = live.booths.get(info.id)
        return console.source() if console else None

    def _is_live(self, live: LiveEvent, info: ChannelInfo) -> bool:
        if info.kind is ChannelKind.FLOOR:
            return bool(live.floor_publishers.get(info.id))
        console = live.booths.get(info.id)
        return console is not None and any(s.mic_peer for s in console.seats.values())

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

        task = asyncio.get_running_loop().create_task(later())
        self._tasks.add(task)  # a task nobody holds may be collected before it runs
        task.add_done_callback(self._tasks.discard)

    async def broadcast(self, live: LiveEvent) -> None:
        """Send every client its view, when it changed since the last one it got."""
        for client in list(live.clients):
            view = self.view(live, client)
            encoded = json.dumps(view, sort_keys=True)
            if encoded != client.last_view:
                client.last_view = encoded
                await self._send(client, view)

    # --- internals -------------------------------------------------------------------

    async def _live_event(self, event_id: int) -> LiveEvent:
        live = self._events.get(event_id)
        if live is not None:
            return live
        channels = await asyncio.to_thread(self._load_channels, event_id)
        live = self._events.setdefault(event_id, LiveEvent(event_id, channels))
        for info in channels.values():
            await self.plane.open_channel(_plane_id(info.id))
            if info.kind is ChannelKind.LANGUAGE and info.id not in live.booths:
                live.booths[info.id] = BoothConsole(_plane_id(info.id))
        return live

    async def _reload(self, live: LiveEvent) -> LiveEvent:
        """Pick up channels and booths added to the event since it was loaded."""
        channels = await asyncio.to_thread(self._load_channels, live.event_id)
        async with live.lock:
            for info in channels.values():
                if info.id not in live.channels:
                    live.channels[info.id] = info
                    await self.plane.open_channel(_plane_id(info.id))
                if info.kind is ChannelKind.LANGUAGE and info.id not in live.booths:
                    live.booths[info.id] = BoothConsole(_plane_id(info.id))
        return live

    async def _forget(self, live: LiveEvent) -> None:
        """Drop an event nobody is connected to any more, and close its channels."""
        async with live.lock:
            if live.clients or self._events.get(live.event_id) is not live:
                return
            del self._events[live.event_id]
            for info in live.channels.values():
                await self.plane.close_channel(_plane_id(info.id))

    def _load_channels(self, event_id: int) -> dict[int, ChannelInfo]:
        with self.platform.sessions() as db:
            rows = db.execute(
                select(Channel.id, Channel.topic_id, Channel.kind, Channel.language_code)
                .join(Topic, Channel.topic_id == Topic.id)
                .where(Topic.event_id == event_id)
                .order_by(Topic.position, Channel.id)
            ).all()
        return {r[0]: ChannelInfo(r[0], r[1], ChannelKind(r[2]), r[3]) for r in rows}

    async def _check_channel(self, live: LiveEvent, channel_id: int) -> None:
        if channel_id not in live.channels:
            await self._reload(live)
        if channel_id not in live.channels:
            raise ConsoleError("unknown_channel", "No such channel in this event.")

    def _booth_mates(self, live: LiveEvent, client: Client) -> list[Client]:
        if client.seat is None:
            return []
        return [
            c
            for c in live.clients
            if c is not client
            and c.seat is not None
            and c.seat.channel_id == client.seat.channel_id
        ]

    async def _apply_source(self, console: BoothConsole, source: str | None) -> None:
        await self.plane.set_source(console.channel_id, source)

    async def _drop_floor_publisher(self, live: LiveEvent, peer: str) -> None:
        for channel_id, publishers in live.floor_publishers.items():
            if peer in publishers:
                publishers.remove(peer)
                await self.plane.set_source(
                    _plane_id(channel_id), publishers[-1] if publishers else None
                )

    async def _peer_state_changed(self, change: PeerStateChange) -> None:
        if change.state not in ("failed", "closed"):
            return
        found = self._peers.pop(change.peer_id, None)
        if found is None:
            return
        live, client = found
        async with live.lock:
            if change.peer_id == client.mic_peer:
                client.mic_peer = None
                if client.seat is not None:
                    console = live.booths[client.seat.channel_id]
                    if client.key in console.seats:
                        await self._apply_source(
                            console, console.attach_microphone(client.key, None)
                        )
                    for mate in self._booth_mates(live, client):
                        await self._send(mate, {"type": "booth.dropped", "name": client.name})
                else:
                    await self._drop_floor_publisher(live, change.peer_id)
                await self._send(client, {"type": "media.lost", "what": "microphone"})
            elif change.peer_id == client.ear_peer:
                client.ear_peer = None
                await self._send(client, {"type": "media.lost", "what": "listening"})
        self._schedule_broadcast(live)

    async def _send(self, client: Client, message: dict[str, Any]) -> None:
        try:
            await client.send(message)
        except Exception:  # a closed socket: its own handler detaches the client
            log.debug("could not send to %s", client.session_id, exc_info=True)

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

    def _close_connection(self, connection_id: int) -> None:
        with self.platform.transaction() as db:
            participation.close_connection(db, connection_id, self.platform.clock.now())

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
        """Stop listening to the plane and shut it down."""
        self._unsubscribe()
        await self.plane.shutdown()
