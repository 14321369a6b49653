"""``JanusMediaPlane``: the :class:`~interpreta.media.plane.MediaPlane` on a Janus server.

How the vocabulary maps onto Janus (1.1.2, the Debian package):

* a **channel** is a VideoRoom room plus a Streaming mountpoint (an RTP mountpoint
  listening on loopback);
* a **publisher** is a VideoRoom publisher in the channel's room (its offer in, Janus's
  answer out);
* the **source** is the publisher whose audio the VideoRoom plugin ``rtp_forward``s to the
  channel's mountpoint: Opus packets as they came, never decoded (no AudioBridge, which
  mixes and re-encodes). :meth:`set_source` stops one forwarder and starts the next;
* a **subscriber** is a Streaming viewer of the channel's mountpoint;
  :meth:`switch_subscription` is the Streaming ``switch`` request: same peer connection,
  another mountpoint, no renegotiation.

Sequence numbers and timestamps stay continuous for the viewers across a handover and a
switch because Janus's RTP switching context rewrites them whenever the SSRC changes
(see :mod:`interpreta.media.janus.channel`).

Janus 1.1.2's Streaming plugin only makes offers, while subscribers here offer:
:mod:`interpreta.media.janus.sdp` answers each side from the two offers. A viewer's Opus
payload type is fixed when it starts watching (it is the mountpoint's) and kept across
switches, so a subscriber first watches a silent *entry* mountpoint created with its own
payload type, then switches to the channel's.

The plane keeps its own record of channels, peers and sources, so ``listener_count`` and
the membership in ``channel_stats`` are exact and synchronous. Packet counters come from
Janus's Admin API (``handle_info``), read in the background: a snapshot's counters are
up to ``stats_interval`` old, and zero without an Admin API.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

from interpreta.bus import Bus, MemoryBus
from interpreta.media.janus.admin import JanusAdmin, PacketCounters, packet_counters
from interpreta.media.janus.api import JanusError, JanusEvent, JanusHandle, JanusSession
from interpreta.media.janus.channel import JanusChannel, JanusPeer, PeerPhase, new_id, new_ssrc
from interpreta.media.janus.registry import (
    ChannelObjects,
    Forwarder,
    JanusRegistry,
    PublisherRecord,
)
from interpreta.media.janus.sdp import answer_for_janus, answer_for_subscriber, opus_payload_type
from interpreta.media.peer_states import PeerStateListeners
from interpreta.media.plane import (
    ChannelStats,
    PeerRole,
    PeerStateChange,
    PeerStateListener,
    PublisherStats,
    SubscriberStats,
    UnknownChannelError,
    UnknownPeerError,
)
from interpreta.media.records import PlaneRecords
from interpreta.media.tasks import BackgroundTasks

__all__ = ["JanusMediaPlane"]

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
STREAMING = "janus.plugin.streaming"
CHANNEL_PAYLOAD_TYPE = 111
"The channel mountpoints' Opus payload type (what browsers offer; viewers get their own)."
FAILURES = frozenset(
    {
        "ICE failed",
        "ICE gathering error",
        "Gathering error",
        "DTLS error",
        "DTLS timeout",
        "DTLS-SRTP stack error",
    }
)
"Janus ``hangup`` reasons that mean the connection failed (the others close it in order)."
ID_TAKEN = frozenset({427, 456})
"VideoRoom's and Streaming's error codes for an id that is already taken."


class JanusMediaPlane(PlaneRecords[JanusChannel, JanusPeer]):
    """The media plane on a Janus server, driven over its WebSocket API.

    Implements :class:`~interpreta.media.plane.MediaPlane`. The connection is opened on
    first use, so the plane can be built outside an event loop (as ``create_app`` does).
    """

    def __init__(
        self,
        url: str,
        *,
        admin_url: str | None = None,
        admin_secret: str | None = None,
        stats_interval: float = 1.0,
        mountpoint_threads: int = 0,
        forward_host: str = "127.0.0.1",
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        bus: Bus | None = None,
    ) -> None:
        """
        :param url: the Janus API's WebSocket, e.g. ``ws://127.0.0.1:8188``.
        :param admin_url: the Admin API's WebSocket, for packet counters (optional).
        :param admin_secret: Janus's ``admin_secret`` (with ``admin_url``).
        :param stats_interval: seconds between two readings of the packet counters.
        :param mountpoint_threads: helper threads per channel mountpoint that send to its
            viewers (Janus's ``threads``; 0: the mountpoint's own thread sends).
        :param forward_host: where the mountpoints listen for the forwarded RTP, as Janus
            sees it (loopback: nothing outside the server can inject packets).
        :param timeout: seconds to wait for any answer from Janus.
        :param clock: monotonic clock in seconds (for the counters' ages).
        :param bus: shared with the other app nodes driving this Janus (see
            :mod:`~interpreta.media.janus.registry`); this plane's own when None.
        """
        if stats_interval <= 0:
            raise ValueError("stats_interval must be positive")
        if mountpoint_threads < 0:
            raise ValueError("mountpoint_threads must not be negative")
        super().__init__()
        self._url = url
        self._admin = JanusAdmin(admin_url, admin_secret) if admin_url and admin_secret else None
        self._stats_interval = stats_interval
        self._mountpoint_threads = mountpoint_threads
        self._forward_host = forward_host
        self._forward_family = f"ipv{ipaddress.ip_address(forward_host).version}"
        self._timeout = timeout
        self._clock = clock
        self._session: JanusSession | None = None
        self._rooms: JanusHandle | None = None
        self._streams: JanusHandle | None = None
        self._connect_lock = asyncio.Lock()
        self._channel_lock = asyncio.Lock()
        self._entries: dict[int, int] = {}
        self._entry_lock = asyncio.Lock()
        self._listeners = PeerStateListeners()
        self._stats_wanted: dict[str, float] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks(logger, "Janus media plane task failed")
        self._registry = JanusRegistry(bus or MemoryBus(), url)

    # --- channels ------------------------------------------------------------------------

    async def open_channel(self, channel_id: str) -> None:
        """Open a channel (a room and a mountpoint on Janus); opening an open one does nothing."""
        self._check_running()
        async with self._channel_lock:
            if channel_id in self._channels:
                return
            await self._connected()
            async with self._registry.lock(channel_id):
                objects = await self._shared_objects(channel_id)
                await self._registry.use(channel_id)
            self._channels[channel_id] = JanusChannel(
                channel_id, objects.room_id, objects.mountpoint_id, objects.port
            )

    async def close_channel(self, channel_id: str) -> None:
        """Close a channel and every peer of this node attached to it; its room and
        mountpoint go when no other node has it open. Unknown channels are ignored."""
        channel = self._channels.get(channel_id)
        if channel is None:
            return
        peer_ids = [*channel.publishers, *channel.subscribers]
        peer_ids += [p.peer_id for p in self._peers.values() if p.channel_id == channel_id]
        await asyncio.gather(*(self.close_peer(peer_id) for peer_id in dict.fromkeys(peer_ids)))
        if self._channels.get(channel_id) is channel:
            del self._channels[channel_id]
        self._stats_wanted.pop(channel_id, None)
        async with self._registry.lock(channel_id):
            if await self._registry.release(channel_id):
                await self._destroy_objects(channel)
                await self._registry.forget(channel_id)

    async def set_source(self, channel_id: str, peer_id: str | None) -> None:
        """Put a publisher on air (handover), or nobody with ``None``.

        The publisher may have joined through another node. Stops the old source's
        forwarder, then starts the new one's: the channel's listeners miss at most the
        packets in flight during those two requests.
        """
        channel = self._channel(channel_id)
        async with channel.lock, self._registry.lock(channel_id):
            target = None if peer_id is None else await self._publisher_record(channel, peer_id)
            current = await self._registry.forwarder(channel_id)
            if (current.source if current is not None else None) == peer_id:
                channel.source = peer_id
                return
            if current is not None:
                await self._stop_forwarder(channel, current)
                await self._registry.record_forwarder(channel_id, None)
            channel.source = None
            if peer_id is None or target is None:
                return
            stream_id = await self._start_forwarder(channel, target)
            local = channel.publishers.get(peer_id)
            if local is not None and local.phase is not PeerPhase.ATTACHED:
                return  # closed meanwhile: Janus dropped its forwarder with it
            forwarder = Forwarder(peer_id, target.publisher_id, stream_id)
            await self._registry.record_forwarder(channel_id, forwarder)
            channel.source = peer_id

    def listener_count(self, channel_id: str) -> int:
        """The number of subscribers of a channel (the plane's own record: exact, at once)."""
        return len(self._channel(channel_id).subscribers)

    def channel_stats(self, channel_id: str) -> ChannelStats:
        """A snapshot of a channel.

        The source, the peers and their states are exact. The packet counters are the
        last read from Janus's Admin API: reading a channel's stats has them read every
        ``stats_interval`` for a while, so they lag by up to that. ``packets_forwarded``
        adds what the on-air publisher received between two readings; ``bytes_received``
        counts whole RTP packets; Janus counts no stale, late or dropped packets.
        """
        channel = self._channel(channel_id)
        now = self._clock()
        if channel_id not in self._stats_wanted:
            self._spawn_refresh(channel, subscribers=True)
        self._stats_wanted[channel_id] = now
        publishers = tuple(
            PublisherStats(
                peer_id=peer.peer_id,
                state=peer.state,
                on_air=channel.source == peer.peer_id,
                packets_received=peer.counters.packets_in,
                bytes_received=peer.counters.bytes_in,
                packets_stale=0,
                last_packet_age=None if peer.counted_at is None else now - peer.counted_at,
            )
            for peer in channel.publishers.values()
        )
        subscribers = tuple(
            SubscriberStats(
                peer_id=peer.peer_id,
                state=peer.state,
                packets_sent=peer.counters.packets_out,
                packets_late=0,
                packets_dropped=0,
                queued=0,
            )
            for peer in channel.subscribers.values()
        )
        return ChannelStats(
            channel_id=channel_id,
            source=channel.source,
            packets_forwarded=channel.packets_forwarded,
            publishers=publishers,
            subscribers=subscribers,
        )

    async def viewers(self, channel_id: str) -> int:
        """The viewers Janus itself counts on the channel's mountpoint (an ``info``
        request); :meth:`listener_count` is the plane's record of the same."""
        channel = self._channel(channel_id)
        await self._connected()
        data = await self._control(self._streams).request(
            {"request": "info", "id": channel.mountpoint_id}
        )
        return int(data["info"]["viewers"])

    async def refresh_stats(self, channel_id: str) -> None:
        """Read a channel's packet counters from Janus now (nothing without an Admin API)."""
        await self._refresh(self._channel(channel_id), subscribers=True)

    # --- forwarding between servers (for a fleet of them) ---------------------------------

    @property
    def url(self) -> str:
        """The Janus API this plane drives."""
        return self._url

    @property
    def forward_host(self) -> str:
        """Where this server's mountpoints listen for forwarded RTP."""
        return self._forward_host

    async def reachable(self) -> bool:
        """Whether the server answers now (connecting again if the connection dropped)."""
        try:
            await self._connected()
        except (TimeoutError, JanusError, OSError):
            return False
        return True

    def mountpoint_port(self, channel_id: str) -> int:
        """The RTP port of the channel's mountpoint on this server."""
        return self._channel(channel_id).port

    def has_peer(self, peer_id: str) -> bool:
        """Whether `peer_id` is a peer of this plane."""
        return peer_id in self._peers

    @property
    def peer_count(self) -> int:
        """How many peers this plane has on its server (a fleet places by it)."""
        return len(self._peers)

    def is_open(self, channel_id: str) -> bool:
        """Whether the channel is open on this server."""
        return channel_id in self._channels

    async def has_publisher(self, channel_id: str, peer_id: str) -> bool:
        """Whether `peer_id` publishes into the channel on this server (through any node)."""
        try:
            await self._publisher_record(self._channel(channel_id), peer_id)
        except UnknownPeerError:
            return False
        return True

    async def forward(self, channel_id: str, peer_id: str, host: str, port: int) -> tuple[int, int]:
        """Forward a publisher of this server to `host`:`port` (another server's
        mountpoint); its publisher id and the forwarder's ``stream_id``."""
        channel = self._channel(channel_id)
        record = await self._publisher_record(channel, peer_id)
        stream = {"mid": record.mid, "port": port, "ssrc": new_ssrc()}
        family = f"ipv{ipaddress.ip_address(host).version}"
        request = channel.room_request(
            "rtp_forward",
            publisher_id=record.publisher_id,
            host=host,
            host_family=family,
            streams=[stream],
        )
        data = await self._control(self._rooms).request(request)
        return record.publisher_id, int(data["forwarders"][0]["stream_id"])

    async def unforward(self, channel_id: str, publisher_id: int, stream_id: int) -> None:
        """Stop a forwarder :meth:`forward` started (nothing if its publisher left)."""
        channel = self._channel(channel_id)
        await self._stop_forwarder(channel, Forwarder("", publisher_id, stream_id))

    # --- peers ---------------------------------------------------------------------------

    async def publish(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Join a publisher to the channel's room from its offer; returns Janus's answer.

        The publisher is not on air until :meth:`set_source` names it.
        """
        channel = self._channel(channel_id)
        peer = self._add_peer(JanusPeer(peer_id, PeerRole.PUBLISHER, channel_id))
        try:
            session = await self._connected()
            peer.handle = await session.attach(VIDEOROOM, self._on_event(peer))
            join = channel.room_request("joinandconfigure", ptype="publisher", display=peer_id)
            offer = {"type": "offer", "sdp": offer_sdp, "trickle": False}
            data, jsep = await peer.handle.message(join, offer)
            if jsep is None or "id" not in data:
                raise JanusError(0, "the VideoRoom plugin did not answer the offer")
            peer.publisher_id = int(data["id"])
            audio = [s for s in data.get("streams", ()) if s.get("type") == "audio"]
            if not audio:
                raise JanusError(0, "the publisher's offer has no audio stream")
            peer.mid = str(audio[0]["mid"])
        except BaseException:
            await self._discard(peer)
            raise
        answer = self._attach(peer, str(jsep["sdp"]))
        record = PublisherRecord(peer.publisher_id, peer.mid)
        await self._registry.record_publisher(channel_id, peer_id, record)
        return answer

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Have a subscriber watch the channel's mountpoint; returns the answer to its offer."""
        channel = self._channel(channel_id)
        self._check_new_peer_id(peer_id)
        payload_type = opus_payload_type(offer_sdp)
        peer = self._add_peer(JanusPeer(peer_id, PeerRole.SUBSCRIBER, channel_id))
        try:
            session = await self._connected()
            entry = await self._entry_mountpoint(payload_type)
            peer.handle = await session.attach(STREAMING, self._on_event(peer))
            _, jsep = await peer.handle.message({"request": "watch", "id": entry})
            if jsep is None:
                raise JanusError(0, "the Streaming plugin made no offer")
            janus_offer = str(jsep["sdp"])
            await peer.handle.message({"request": "switch", "id": channel.mountpoint_id})
            # every candidate is in the SDP: no trickle
            answer = {"type": "answer", "sdp": answer_for_janus(offer_sdp, janus_offer)}
            await peer.handle.message({"request": "start"}, {**answer, "trickle": False})
        except BaseException:
            await self._discard(peer)
            raise
        return self._attach(peer, answer_for_subscriber(offer_sdp, janus_offer))

    async def switch_subscription(self, peer_id: str, channel_id: str) -> None:
        """Move a subscriber to another channel's mountpoint (Streaming ``switch``)."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER or peer.handle is None:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        new = self._channel(channel_id)
        if peer.phase is not PeerPhase.ATTACHED:
            raise UnknownPeerError(f"{peer_id!r} is not subscribed yet")
        async with peer.lock:
            if peer.channel_id == channel_id or peer.phase is not PeerPhase.ATTACHED:
                return
            await peer.handle.message({"request": "switch", "id": new.mountpoint_id})
            if peer.phase is not PeerPhase.ATTACHED:
                return
            old = self._channels.get(peer.channel_id)
            if old is not None:
                old.subscribers.pop(peer_id, None)
            peer.channel_id = channel_id
            if self._channels.get(channel_id) is new:
                new.subscribers[peer_id] = peer

    async def close_peer(self, peer_id: str) -> None:
        """Close a peer connection and detach it; unknown ids are ignored."""
        peer = self._peers.get(peer_id)
        if peer is not None:
            await self._close(peer)

    def on_peer_state(self, listener: PeerStateListener) -> Callable[[], None]:
        """Call ``listener`` on every peer connection state change; returns a remover."""
        return self._listeners.add(listener)

    async def shutdown(self) -> None:
        """Close every peer and channel, remove them from Janus, and disconnect."""
        self._shut_down = True
        await asyncio.gather(*(self._close(peer) for peer in list(self._peers.values())))
        channels = list(self._channels.values())
        self._channels.clear()
        for channel in channels:
            await self._destroy_objects(channel)
        for mountpoint_id in self._entries.values():
            await self._destroy(self._streams, {"request": "destroy", "id": mountpoint_id})
        self._entries.clear()
        for task in [self._poller, *self._refreshing.values()]:
            if task is not None:
                task.cancel()
        if self._session is not None:
            await self._session.close()
        if self._admin is not None:
            await self._admin.close()
        await self._tasks.wait()

    # --- Janus: connection, rooms, mountpoints, forwarders -------------------------------

    async def _connected(self) -> JanusSession:
        """The session, opened on first use, and again (with the channels' rooms and
        mountpoints made again) after the connection was lost."""
        self._check_running()
        async with self._connect_lock:
            if self._session is None or self._session.closed:
                session = await JanusSession.connect(self._url, timeout=self._timeout)
                try:
                    self._rooms = await session.attach(VIDEOROOM)
                    self._streams = await session.attach(STREAMING)
                except BaseException:
                    await session.close()
                    raise
                session.on_lost = self._on_lost
                self._session = session
                if self._admin is not None and (self._poller is None or self._poller.done()):
                    self._poller = asyncio.create_task(self._poll())
            for channel in list(self._channels.values()):
                if channel.stale:
                    async with self._registry.lock(channel.channel_id):
                        objects = await self._shared_objects(channel.channel_id)
                    channel.room_id, channel.mountpoint_id = objects.room_id, objects.mountpoint_id
                    channel.port = objects.port
                    channel.stale = False
            return self._session

    async def _shared_objects(self, channel_id: str) -> ChannelObjects:
        """The channel's room and mountpoint: those a node recorded, if Janus still has
        them, else new ones (recorded for the other nodes). Under the channel's lock."""
        known = await self._registry.objects(channel_id)
        if known is not None and await self._still_there(known):
            return known
        room_id = await self._create_room(channel_id)
        try:
            mountpoint_id, port = await self._create_mountpoint(
                CHANNEL_PAYLOAD_TYPE, f"interpreta channel {channel_id}", self._mountpoint_threads
            )
        except BaseException:
            await self._destroy(self._rooms, {"request": "destroy", "room": room_id})
            raise
        objects = ChannelObjects(room_id, mountpoint_id, port)
        await self._registry.record_objects(channel_id, objects)
        return objects

    async def _still_there(self, objects: ChannelObjects) -> bool:
        """Whether Janus still has a recorded room and mountpoint (not after a restart)."""
        try:
            room = await self._control(self._rooms).request(
                {"request": "exists", "room": objects.room_id}
            )
            await self._control(self._streams).request(
                {"request": "info", "id": objects.mountpoint_id}
            )
        except JanusError:
            return False
        return bool(room.get("exists"))

    async def _publisher_record(self, channel: JanusChannel, peer_id: str) -> PublisherRecord:
        """What forwarding `peer_id` takes, whichever node it joined through."""
        local = channel.publishers.get(peer_id)
        if local is not None and local.publisher_id is not None and local.mid is not None:
            return PublisherRecord(local.publisher_id, local.mid)
        record = await self._registry.publisher(channel.channel_id, peer_id)
        if record is None:
            raise UnknownPeerError(f"{peer_id!r} is not a publisher of {channel.channel_id!r}")
        return record

    async def _create_room(self, channel_id: str) -> int:
        rooms = self._control(self._rooms)
        for attempt in range(3):
            room_id = new_id()
            request = {
                "request": "create",
                "room": room_id,
                "description": f"interpreta channel {channel_id}",
                "is_private": True,
                "permanent": False,
                "publishers": 64,
                "audiocodec": "opus",
                "opus_fec": True,
                "notify_joining": False,
                "audiolevel_event": False,
            }
            try:
                await rooms.request(request)
            except JanusError as exc:
                if exc.code in ID_TAKEN and attempt < 2:
                    continue
                raise
            return room_id
        raise AssertionError("unreachable")

    async def _create_mountpoint(
        self, payload_type: int, description: str, threads: int = 0
    ) -> tuple[int, int]:
        """A live RTP mountpoint of one Opus stream on loopback; its id and RTP port."""
        streams = self._control(self._streams)
        for attempt in range(3):
            mountpoint_id = new_id()
            medium: dict[str, Any] = {"type": "audio", "mid": "a", "port": 0}
            medium |= {"iface": self._forward_host, "pt": payload_type, "codec": "opus"}
            request: dict[str, Any] = {
                "request": "create",
                "type": "rtp",
                "id": mountpoint_id,
                "description": description,
                "is_private": True,
                "permanent": False,
                "media": [medium],
            }
            if threads:
                request["threads"] = threads
            try:
                data = await streams.request(request)
            except JanusError as exc:
                if exc.code in ID_TAKEN and attempt < 2:
                    continue
                raise
            return mountpoint_id, int(data["stream"]["ports"][0]["port"])
        raise AssertionError("unreachable")

    async def _entry_mountpoint(self, payload_type: int) -> int:
        """The silent mountpoint a subscriber offering ``payload_type`` first watches."""
        async with self._entry_lock:
            if payload_type not in self._entries:
                mountpoint_id, _ = await self._create_mountpoint(
                    payload_type, f"interpreta entry, payload type {payload_type}"
                )
                self._entries[payload_type] = mountpoint_id
            return self._entries[payload_type]

    async def _start_forwarder(self, channel: JanusChannel, publisher: PublisherRecord) -> int:
        stream = {"mid": publisher.mid, "port": channel.port, "ssrc": new_ssrc()}
        request = channel.room_request(
            "rtp_forward",
            publisher_id=publisher.publisher_id,
            host=self._forward_host,
            host_family=self._forward_family,
            streams=[stream],
        )
        data = await self._control(self._rooms).request(request)
        return int(data["forwarders"][0]["stream_id"])

    async def _stop_forwarder(self, channel: JanusChannel, forwarder: Forwarder) -> None:
        request = channel.room_request(
            "stop_rtp_forward", publisher_id=forwarder.publisher_id, stream_id=forwarder.stream_id
        )
        try:
            await self._control(self._rooms).request(request)
        except JanusError as exc:  # the publisher left: Janus dropped its forwarders with it
            logger.info("stopping the forwarder of %s: %s", forwarder.source, exc)

    async def _destroy_objects(self, channel: JanusChannel) -> None:
        await self._destroy(self._rooms, {"request": "destroy", "room": channel.room_id})
        await self._destroy(self._streams, {"request": "destroy", "id": channel.mountpoint_id})

    async def _destroy(self, handle: JanusHandle | None, request: dict[str, Any]) -> None:
        if handle is None or handle.session.closed:
            return
        try:
            await handle.request(request)
        except JanusError as exc:
            logger.warning("Janus refused %s: %s", request, exc)

    def _control(self, handle: JanusHandle | None) -> JanusHandle:
        if handle is None or handle.session.closed:
            raise JanusError(0, "not connected to Janus")
        return handle

    # --- peers: records, events, closing -------------------------------------------------

    def _add_peer(self, peer: JanusPeer) -> JanusPeer:
        self._check_new_peer_id(peer.peer_id)
        self._peers[peer.peer_id] = peer
        return peer

    def _attach(self, peer: JanusPeer, answer: str) -> str:
        """Attach a peer that has just negotiated to its channel; returns its answer.

        A peer closed while it negotiated, or whose channel closed meanwhile, is dropped
        from Janus instead.
        """
        channel = self._channels.get(peer.channel_id)
        if peer.phase is PeerPhase.CLOSED or channel is None or self._shut_down:
            closed = peer.phase is PeerPhase.CLOSED
            self._tasks.spawn(self._discard(peer))
            if closed:
                raise UnknownPeerError(f"peer {peer.peer_id!r} was closed while connecting")
            raise UnknownChannelError(f"channel {peer.channel_id!r} closed while connecting")
        members = channel.publishers if peer.role is PeerRole.PUBLISHER else channel.subscribers
        members[peer.peer_id] = peer
        peer.phase = PeerPhase.ATTACHED
        if peer.state == "new":
            self._set_state(peer, "connecting")
        return answer

    async def _discard(self, peer: JanusPeer) -> None:
        """Forget a peer that never got attached (its negotiation failed or was overtaken),
        and detach its handle."""
        if self._peers.get(peer.peer_id) is peer:
            del self._peers[peer.peer_id]
        peer.phase = PeerPhase.CLOSED
        await self._detach_handle(peer)

    async def _close(self, peer: JanusPeer) -> None:
        """Close a peer: out of the records at once, ``closed`` reported, then out of Janus.

        A peer still negotiating is only marked closed: its negotiation drops it when it
        ends (:meth:`_attach`).
        """
        if peer.phase is PeerPhase.CLOSED:
            return
        negotiating = peer.phase is PeerPhase.NEGOTIATING
        peer.phase = PeerPhase.CLOSED
        if self._peers.get(peer.peer_id) is peer:
            del self._peers[peer.peer_id]
        if negotiating:
            return
        channel = self._channels.get(peer.channel_id)
        if channel is not None:
            if peer.role is PeerRole.PUBLISHER:
                channel.publishers.pop(peer.peer_id, None)
                if channel.source == peer.peer_id:
                    channel.source = None
            else:
                channel.subscribers.pop(peer.peer_id, None)
        if peer.state != "closed":
            self._set_state(peer, "closed")
        if peer.role is PeerRole.PUBLISHER:
            await self._forget_publisher(peer)
        await self._detach_handle(peer)

    async def _forget_publisher(self, peer: JanusPeer) -> None:
        """Out of the shared record, and off air there if it was on air."""
        async with self._registry.lock(peer.channel_id):
            await self._registry.forget_publisher(peer.channel_id, peer.peer_id)
            current = await self._registry.forwarder(peer.channel_id)
            if current is not None and current.source == peer.peer_id:
                await self._registry.record_forwarder(peer.channel_id, None)

    @staticmethod
    async def _detach_handle(peer: JanusPeer) -> None:
        handle = peer.handle
        if handle is not None and not handle.session.closed:
            with contextlib.suppress(JanusError):
                await handle.detach()

    def _on_event(self, peer: JanusPeer) -> Callable[[JanusEvent], None]:
        def on_event(event: JanusEvent) -> None:
            if peer.phase is PeerPhase.CLOSED:
                return
            if event.kind == "webrtcup":
                self._set_state(peer, "connected")
            elif event.kind == "hangup":
                if event.body.get("reason") in FAILURES:
                    self._set_state(peer, "failed")
                if peer.phase is PeerPhase.ATTACHED:
                    self._tasks.spawn(self._close(peer))
            elif event.kind == "detached" and peer.phase is PeerPhase.ATTACHED:
                self._tasks.spawn(self._close(peer))

        return on_event

    def _set_state(self, peer: JanusPeer, state: str) -> None:
        if peer.state == state:
            return
        peer.state = state
        change = PeerStateChange(peer.peer_id, peer.channel_id, peer.role, state)
        self._listeners.tell(change, self._tasks.spawn)

    def _on_lost(self) -> None:
        """The connection to Janus dropped: every peer connection is lost with it, and the
        channels get a new room and mountpoint when the plane next connects."""
        for peer in list(self._peers.values()):
            if peer.phase is PeerPhase.ATTACHED:
                self._set_state(peer, "failed")
            self._tasks.spawn(self._close(peer))
        for channel in self._channels.values():
            channel.source = None
            channel.stale = True
        self._entries.clear()

    # --- packet counters -----------------------------------------------------------------

    async def _poll(self) -> None:
        """Read the counters: always the publishers', the subscribers' of channels whose
        stats were read in the last minute."""
        while not self._shut_down:
            await asyncio.sleep(self._stats_interval)
            now = self._clock()
            for channel in list(self._channels.values()):
                wanted = self._stats_wanted.get(channel.channel_id)
                recent = wanted is not None and now - wanted < 60
                if not recent:
                    self._stats_wanted.pop(channel.channel_id, None)
                try:
                    await self._refresh(channel, subscribers=recent)
                except JanusError as exc:
                    logger.debug("reading counters of %s failed: %s", channel.channel_id, exc)

    def _spawn_refresh(self, channel: JanusChannel, *, subscribers: bool) -> None:
        running = self._refreshing.get(channel.channel_id)
        if self._admin is None or (running is not None and not running.done()):
            return
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to refresh from
            task = asyncio.get_running_loop().create_task(
                self._refresh(channel, subscribers=subscribers)
            )
            self._refreshing[channel.channel_id] = task
            task.add_done_callback(self._tasks.done)

    async def _refresh(self, channel: JanusChannel, *, subscribers: bool) -> None:
        admin, session = self._admin, self._session
        if admin is None or session is None or session.closed:
            return
        peers = list(channel.publishers.values())
        if subscribers:
            peers += channel.subscribers.values()
        for peer in peers:
            if peer.handle is None or peer.phase is not PeerPhase.ATTACHED:
                continue
            on_air = channel.source == peer.peer_id
            try:
                info = await admin.handle_info(session.session_id, peer.handle.handle_id)
            except JanusError:
                continue
            self._count(channel, peer, packet_counters(info), on_air)

    def _count(
        self, channel: JanusChannel, peer: JanusPeer, counters: PacketCounters, on_air: bool
    ) -> None:
        before = peer.counters
        if counters.packets_in > before.packets_in or counters.packets_out > before.packets_out:
            peer.counted_at = self._clock()
        if on_air and channel.source == peer.peer_id:
            channel.packets_forwarded += max(0, counters.packets_in - before.packets_in)
        peer.counters = counters

    # --- checks --------------------------------------------------------------------------
