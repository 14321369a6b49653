"""``JanusFleet``: one media plane over several Janus servers, surviving the loss of one.

Each server is driven by its own :class:`~interpreta.media.janus.plane.JanusMediaPlane`
(a *member*), and every channel is open on every member: a room for its publishers and
a mountpoint for its listeners on each server.

* A **publisher** joins the member with the fewest peers that answers.
* A **subscriber** (listener) joins the member with the fewest peers too, so listeners
  spread over the servers.
* The channel's **source** is forwarded from the member its publisher is on to the
  channel's mountpoint on *every* member (VideoRoom ``rtp_forward`` to each server's
  forwarding address), so a listener hears the channel on whichever server it landed.
* A **borrowed source** (a publisher of another channel of the same kind, see
  :meth:`~interpreta.media.plane.MediaPlane.set_source`) is forwarded the same way, from
  its own channel's room on its member.
* A **video channel** is the same, with the members' video codec (they must agree). Each
  forwarder into a member's video mountpoint also takes key frame requests from it
  (``rtcp_port``: the mountpoint's RTCP port on that member), so the Streaming plugin of
  any server can ask the source's server for a key frame. The fleet asks the source's
  member itself when a source goes on air, when a viewer on any member connects, and
  when one switches or chooses another layer.
* A **simulcast** camera is forwarded layer by layer to every member's mountpoint (each
  takes three layers), and a viewer's layer is chosen on its member.

**When a server dies**, its member's connection drops. The member reports each of its
peers ``failed``, and the live pages make them again (a listener subscribes anew; an
interpreter or speaker publishes anew). The fleet places these new peers on the
members that still answer, and the forwarders feed those. So a lost server's listeners
move to another within the time it takes their page to notice and subscribe again.

**What the nodes share.** The forwarders are recorded on the bus (``janus-fleet:``),
one per channel and member, so any app node can move a channel's source; the members'
own registries hold the rooms, mountpoints and publishers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace

from interpreta.bus import Bus, MemoryBus
from interpreta.media.janus.api import JanusError
from interpreta.media.janus.plane import JanusMediaPlane
from interpreta.media.plane import (
    ChannelStats,
    MediaKind,
    MediaPlaneError,
    PeerExistsError,
    PeerRole,
    PeerStateChange,
    PeerStateListener,
    UnknownChannelError,
    UnknownPeerError,
    VideoLayer,
)

__all__ = ["JanusFleet"]

logger = logging.getLogger(__name__)

DOWN_FOR = 5.0
"Seconds a member that did not answer is passed over before it is tried again."


@dataclass(frozen=True)
class FleetForwarder:
    """What feeds one member's mountpoint of a channel: a publisher on `server`."""

    source: str
    server: str
    port: int
    "The mountpoint's port it feeds (a server that restarted has new ones)."
    publisher_id: int
    stream_id: int
    room_id: int = 0
    "The room on `server` it was started in (the source's own channel's; 0: this one's)."
    layers: tuple[int, ...] = ()
    "The ``stream_id`` of the forwarders of a simulcast source's other layers."

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))  # a list, read from JSON


class JanusFleet:
    """The media plane over several Janus servers (implements
    :class:`~interpreta.media.plane.MediaPlane`)."""

    def __init__(
        self,
        members: Sequence[JanusMediaPlane],
        *,
        bus: Bus | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        :param members: one plane per server, built on the same `bus`; each with a
            ``forward_host`` the other servers reach.
        """
        if not members:
            raise ValueError("a fleet needs at least one Janus server")
        if len({member.video_codec for member in members}) > 1:
            raise ValueError("the Janus servers of a fleet must forward the same video codec")
        self.members = list(members)
        self._bus = bus or MemoryBus()
        self._clock = clock
        self._open: dict[str, MediaKind] = {}
        self._sources: dict[str, str | None] = {}
        self._down_until: dict[str, float] = {}
        for member in self.members:
            member.on_peer_state(self._on_member_peer_state)

    # --- channels ------------------------------------------------------------------------

    async def open_channel(self, channel_id: str, kind: MediaKind = MediaKind.AUDIO) -> None:
        """Open the channel on every member that answers (on the others when they are
        next used).

        :raises MediaPlaneError: the channel is open with another kind.
        """
        kind = MediaKind(kind)
        known = self._open.get(channel_id)
        if known is not None and known is not kind:
            raise MediaPlaneError(f"channel {channel_id!r} is open as a {known.value} channel")
        self._open[channel_id] = kind
        opened = 0
        for member in self.members:
            if await self._usable(member):
                try:
                    await member.open_channel(channel_id, kind)
                    opened += 1
                except (JanusError, OSError) as exc:
                    self._mark_down(member, exc)
        if not opened:
            self._open.pop(channel_id, None)
            raise MediaPlaneError("no Janus server answers")

    async def close_channel(self, channel_id: str) -> None:
        """Close the channel on every member."""
        self._open.pop(channel_id, None)
        self._sources.pop(channel_id, None)
        for member in self.members:
            try:
                await member.close_channel(channel_id)
            except (JanusError, OSError) as exc:
                logger.info("closing %s on %s: %s", channel_id, member.url, exc)

    async def set_source(self, channel_id: str, peer_id: str | None) -> None:
        """Forward `peer_id` (on whichever member; a publisher of the channel, or borrowed
        from another of its kind) to the channel's mountpoint on every member; ``None``:
        nobody.

        :raises UnknownPeerError: `peer_id` publishes on no member.
        :raises MediaPlaneError: it publishes into a channel of the other kind.
        """
        self._check_open(channel_id)
        async with self._bus.lock(self._key(channel_id)):
            origin = None if peer_id is None else await self._member_publishing(channel_id, peer_id)
            # a wrong peer is refused before anything changes
            if origin is not None and not await origin.has_publisher(channel_id, str(peer_id)):
                raise UnknownPeerError(f"{peer_id!r} is not a publisher")
            for member in self.members:
                if not await self._usable(member):
                    continue
                try:
                    await self._feed(channel_id, member, peer_id, origin)
                except (JanusError, OSError) as exc:
                    if origin is not None and not await origin.reachable():
                        self._mark_down(origin, exc)  # the publisher went with its server:
                        break  # its page publishes again, and that sets the source anew
                    self._mark_down(member, exc)  # died meanwhile: the others still hear
            if peer_id is None:
                await self._bus.drop(self._key(channel_id), "source")
            else:
                await self._bus.put(self._key(channel_id), {"source": peer_id})
            self._sources[channel_id] = peer_id

    def listener_count(self, channel_id: str) -> int:
        """The subscribers of a channel on all members (this node's record)."""
        self._check_open(channel_id)
        return sum(m.listener_count(channel_id) for m in self.members if m.is_open(channel_id))

    def channel_stats(self, channel_id: str) -> ChannelStats:
        """The members' snapshots of a channel, added up."""
        self._check_open(channel_id)
        parts = [m.channel_stats(channel_id) for m in self.members if m.is_open(channel_id)]
        return ChannelStats(
            channel_id=channel_id,
            kind=self._open[channel_id],
            source=self._sources.get(channel_id),
            packets_forwarded=sum(p.packets_forwarded for p in parts),
            publishers=tuple(
                replace(publisher, on_air=publisher.peer_id == self._sources.get(channel_id))
                for part in parts
                for publisher in part.publishers
            ),
            subscribers=tuple(s for p in parts for s in p.subscribers),
        )

    # --- peers ---------------------------------------------------------------------------

    async def publish(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Join a publisher on the least busy member that answers."""
        self._check_open(channel_id)
        self._check_new(peer_id)
        for member in await self._by_load(channel_id):
            try:
                return await member.publish(channel_id, peer_id, offer_sdp)
            except (JanusError, OSError) as exc:
                self._mark_down(member, exc)
        raise MediaPlaneError("no Janus server answers")

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Have a listener watch the channel on the least busy member that answers; its
        mountpoint there is fed first."""
        self._check_open(channel_id)
        self._check_new(peer_id)
        for member in await self._by_load(channel_id):
            try:
                await self._ensure_fed(channel_id, member)
                return await member.subscribe(channel_id, peer_id, offer_sdp)
            except (JanusError, OSError) as exc:
                self._mark_down(member, exc)
        raise MediaPlaneError("no Janus server answers")

    async def switch_subscription(self, peer_id: str, channel_id: str) -> None:
        """Move a listener to another channel, on its member (whose mountpoint of that
        channel is fed first); a video channel's source is asked for a key frame.

        :raises MediaPlaneError: the channel is of another kind than the listener's.
        """
        self._check_open(channel_id)
        member = self._member_of(peer_id)
        kind = member.subscriber_kind(peer_id)
        if kind is not self._open[channel_id]:
            raise MediaPlaneError(
                f"{peer_id!r} receives {kind.value}; {channel_id!r} is a "
                f"{self._open[channel_id].value} channel"
            )
        await self._ensure_fed(channel_id, member)
        await member.switch_subscription(peer_id, channel_id)
        if kind is MediaKind.VIDEO:
            await self._key_frame_for(channel_id)

    @property
    def simulcast(self) -> bool:
        """True: video publishers may send simulcast, as on each member."""
        return True

    async def choose_layer(self, peer_id: str, layer: VideoLayer) -> None:
        """Choose the layer a viewer receives, on its member; its channel's source (on
        whichever member) is asked for a key frame.

        :raises UnknownPeerError: `peer_id` is not a subscriber.
        :raises MediaPlaneError: it receives audio.
        """
        member = self._member_of(peer_id)
        await member.choose_layer(peer_id, layer)
        await self._key_frame_for(member.subscriber_channel(peer_id))

    async def close_peer(self, peer_id: str) -> None:
        """Close a peer on its member; unknown ids are ignored."""
        for member in self.members:
            if member.has_peer(peer_id):
                await member.close_peer(peer_id)

    def on_peer_state(self, listener: PeerStateListener) -> Callable[[], None]:
        """Call `listener` on every peer state change of every member."""
        removers = [member.on_peer_state(listener) for member in self.members]

        def remove() -> None:
            for remover in removers:
                remover()

        return remove

    async def shutdown(self) -> None:
        """Shut every member down."""
        await asyncio.gather(*(member.shutdown() for member in self.members))

    # --- internals -------------------------------------------------------------------------

    def _on_member_peer_state(self, change: PeerStateChange) -> Awaitable[None] | None:
        """A viewer of a video channel connected, on any member: ask for a key frame. A
        publisher closed: the channels it was the source of (here) have none."""
        if change.state == "closed" and change.role is PeerRole.PUBLISHER:
            for fed, source in self._sources.items():
                if source == change.peer_id:
                    self._sources[fed] = None
        channel_id = change.channel_id
        if change.state != "connected" or change.role is not PeerRole.SUBSCRIBER:
            return None
        if channel_id is None or self._open.get(channel_id) is not MediaKind.VIDEO:
            return None
        return self._key_frame_for(channel_id)

    async def _key_frame_for(self, channel_id: str) -> None:
        """Ask a video channel's source, on whichever member it publishes, for a key frame
        (the members' own requests miss it: the fleet feeds their mountpoints)."""
        source = (await self._bus.fields(self._key(channel_id))).get("source")
        if source is None:
            return
        with contextlib.suppress(UnknownPeerError, UnknownChannelError):
            origin = await self._member_publishing(channel_id, source)
            await origin.request_key_frame(channel_id, source)

    @staticmethod
    def _key(channel_id: str) -> str:
        return f"janus-fleet:channel:{channel_id}"

    def _check_open(self, channel_id: str) -> None:
        if channel_id not in self._open:
            raise UnknownChannelError(f"channel {channel_id!r} is not open")

    def _check_new(self, peer_id: str) -> None:
        for member in self.members:
            if member.has_peer(peer_id):
                raise PeerExistsError(f"peer {peer_id!r} is already attached")

    def _member_of(self, peer_id: str) -> JanusMediaPlane:
        for member in self.members:
            if member.has_peer(peer_id):
                return member
        raise UnknownPeerError(f"{peer_id!r} is not a peer of this plane")

    def _mark_down(self, member: JanusMediaPlane, reason: object) -> None:
        logger.warning("Janus at %s does not answer (%s): passed over", member.url, reason)
        self._down_until[member.url] = self._clock() + DOWN_FOR

    async def _usable(self, member: JanusMediaPlane) -> bool:
        """Whether to use `member` now: not passed over lately, and answering."""
        if self._down_until.get(member.url, 0.0) > self._clock():
            return False
        if await member.reachable():
            return True
        self._mark_down(member, "no connection")
        return False

    async def _by_load(self, channel_id: str) -> list[JanusMediaPlane]:
        """The members that answer, the least busy first, the channel open on each."""
        usable = []
        for member in self.members:
            if await self._usable(member):
                try:
                    await member.open_channel(channel_id, self._open[channel_id])
                except (JanusError, OSError) as exc:
                    self._mark_down(member, exc)
                    continue
                usable.append(member)
        return sorted(usable, key=lambda m: m.peer_count)

    async def _member_publishing(self, channel_id: str, peer_id: str) -> JanusMediaPlane:
        for member in self.members:
            if member.has_peer(peer_id):
                return member
        for member in self.members:  # a publisher that joined through another node
            if member.is_open(channel_id) and await member.has_publisher(channel_id, peer_id):
                return member
        raise UnknownPeerError(f"{peer_id!r} publishes into no channel {channel_id!r} may take")

    async def _ensure_fed(self, channel_id: str, member: JanusMediaPlane) -> None:
        """Feed `member`'s mountpoint with the channel's source, if it is not yet (a
        member that came back, or was passed over when the source last changed)."""
        if await self._fed(channel_id, member):
            return  # the usual case, read without the lock
        async with self._bus.lock(self._key(channel_id)):
            source = (await self._bus.fields(self._key(channel_id))).get("source")
            if source is None:
                return
            try:
                origin = await self._member_publishing(channel_id, source)
            except UnknownPeerError:
                return
            await self._feed(channel_id, member, source, origin)

    async def _fed(self, channel_id: str, member: JanusMediaPlane) -> bool:
        """Whether `member`'s mountpoint already gets the channel's source (or there is
        none to get)."""
        fields = await self._bus.fields(self._key(channel_id))
        source = fields.get("source")
        if source is None:
            return True
        value = fields.get(f"into:{member.url}")
        if value is None or not member.is_open(channel_id):
            return False
        current = FleetForwarder(**json.loads(value))
        return current.source == source and current.port == member.mountpoint_port(channel_id)

    async def _feed(
        self,
        channel_id: str,
        member: JanusMediaPlane,
        peer_id: str | None,
        origin: JanusMediaPlane | None,
    ) -> None:
        """Make `peer_id` on `origin` what feeds `member`'s mountpoint (under the lock)."""
        await member.open_channel(channel_id, self._open[channel_id])
        field = f"into:{member.url}"
        value = (await self._bus.fields(self._key(channel_id))).get(field)
        current = None if value is None else FleetForwarder(**json.loads(value))
        port = member.mountpoint_port(channel_id)
        if current is not None and current.source == peer_id and current.port == port:
            return
        if current is not None:
            old = next((m for m in self.members if m.url == current.server), None)
            if old is not None and old.is_open(channel_id):
                try:
                    await old.unforward(
                        channel_id,
                        current.publisher_id,
                        current.stream_id,
                        current.room_id,
                        current.layers,
                    )
                except (JanusError, OSError) as exc:  # that server is gone with its forwarder
                    logger.info("stopping a forwarder on %s: %s", current.server, exc)
            await self._bus.drop(self._key(channel_id), field)
        if peer_id is None or origin is None:
            return
        started = await origin.forward(
            channel_id,
            peer_id,
            member.forward_host,
            port,
            member.mountpoint_rtcp_port(channel_id),
            member.mountpoint_layer_ports(channel_id),
        )
        record = FleetForwarder(
            peer_id,
            origin.url,
            port,
            started.publisher_id,
            started.stream_id,
            started.room_id,
            started.layers,
        )
        await self._bus.put(self._key(channel_id), {field: json.dumps(asdict(record))})
