"""Where the app nodes driving one Janus server record what they made on it.

Several app nodes drive the same Janus: each channel must be one room and one mountpoint
on it, whichever node opened it first, and any node must be able to put any publisher on
air (an interpreter on node A hands over to a booth mate on node B). So the plane keeps
on the bus, per channel of the server:

* its **objects**: its kind (audio or video), the room, the mountpoint and the
  mountpoint's RTP port (and, for video, its RTCP port and the ports of the second and
  third simulcast layers);
* its **users**: the nodes that have it open (the last to close it destroys it);
* its **publishers**: each publisher's id in the room, the ``mid`` of the stream it
  forwards (its audio, or its video in a video channel) and whether that stream is
  simulcast;
* its **forwarder**: which publisher is forwarded to the mountpoint, from which room, and
  the forwarder's ``stream_id`` (and those of its other simulcast layers), so any node
  can stop it.

A channel's source may be a publisher of another channel (a *borrowed source*): it is then
forwarded from its own channel's room to the borrowing channel's mountpoint. So the record
also keeps, per server:

* which channel each publisher joined (``publishers``), so any node can find a publisher
  by its peer id alone (:meth:`JanusRegistry.locate`);
* which channels each publisher feeds (``feeds:<peer>``), so that when it leaves, every
  channel it fed is left with no source.

Changes of a channel's record are made under the channel's lock. With an in-memory bus
(one node) this is the plane's own bookkeeping.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass

from interpreta.bus import Bus

__all__ = ["ChannelObjects", "Forwarder", "JanusRegistry", "PublisherLocation", "PublisherRecord"]


@dataclass(frozen=True)
class ChannelObjects:
    """A channel's room and mountpoint on Janus."""

    room_id: int
    mountpoint_id: int
    port: int
    kind: str = "audio"
    "What the channel carries (a :class:`~interpreta.media.plane.MediaKind` value)."
    rtcp_port: int = 0
    "The mountpoint's RTCP port, where key frame requests come from (video; 0: none)."
    port_2: int = 0
    "The mountpoint's RTP port of the second (medium) simulcast layer (video; 0: none)."
    port_3: int = 0
    "The mountpoint's RTP port of the third (high) simulcast layer (video; 0: none)."


@dataclass(frozen=True)
class PublisherRecord:
    """What forwarding a publisher takes: its id in the room, the ``mid`` of the stream
    forwarded (audio, or video in a video channel), and whether it sends simulcast."""

    publisher_id: int
    mid: str
    simulcast: bool = False
    "Its video stream is simulcast: each layer is forwarded to a port of its own."


@dataclass(frozen=True)
class PublisherLocation:
    """Where a publisher joined (its channel and that channel's room and kind), and what
    forwarding it takes."""

    channel_id: str
    "The channel it publishes to."
    room_id: int
    "That channel's room, which its forwarders are started and stopped in."
    kind: str
    "What that channel carries (a :class:`~interpreta.media.plane.MediaKind` value)."
    record: PublisherRecord
    "Its id in the room and the ``mid`` of its forwarded stream."


@dataclass(frozen=True)
class Forwarder:
    """The publisher forwarded to a channel's mountpoint now."""

    source: str
    publisher_id: int
    stream_id: int
    room_id: int = 0
    """The room it was started in: the source's own channel's (0: the fed channel's own
    room, as recorded before sources could be borrowed)."""
    layers: tuple[int, ...] = ()
    """The ``stream_id`` of the forwarders of a simulcast source's second and third
    layers (``stream_id`` forwards its first); stopped with it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))  # a list, read from JSON

    @property
    def stream_ids(self) -> tuple[int, ...]:
        """Every forwarder this one is made of: the first layer's, then the others'."""
        return (self.stream_id, *self.layers)


class JanusRegistry:
    """The shared record of one Janus server's channels."""

    def __init__(self, bus: Bus, server: str) -> None:
        """
        :param server: names the Janus server (its API URL), so nodes of several Janus
            servers keep separate records.
        """
        self.bus = bus
        self._prefix = f"janus:{server}:"

    def _key(self, channel_id: str) -> str:
        return f"{self._prefix}channel:{channel_id}"

    def _feeds_key(self, peer_id: str) -> str:
        return f"{self._prefix}feeds:{peer_id}"

    def lock(self, channel_id: str) -> AbstractAsyncContextManager[None]:
        """The lock every change of the channel's record is made under."""
        return self.bus.lock(self._key(channel_id))

    async def objects(self, channel_id: str) -> ChannelObjects | None:
        """The channel's room and mountpoint, if a node made them."""
        value = (await self.bus.fields(self._key(channel_id))).get("objects")
        return None if value is None else ChannelObjects(**json.loads(value))

    async def record_objects(self, channel_id: str, objects: ChannelObjects) -> None:
        """New objects for the channel: any forwarder recorded before is gone with the old."""
        await self.bus.put(self._key(channel_id), {"objects": json.dumps(asdict(objects))})
        await self.bus.drop(self._key(channel_id), "forwarder")

    async def use(self, channel_id: str) -> None:
        """This node has the channel open."""
        await self.bus.put(self._key(channel_id) + ":users", {self.bus.node: "1"})

    async def release(self, channel_id: str) -> bool:
        """This node closed the channel; True when no live node has it open any more."""
        users = self._key(channel_id) + ":users"
        await self.bus.drop(users, self.bus.node)
        live = await self.bus.live_nodes()
        return not any(node in live for node in await self.bus.fields(users))

    async def forget(self, channel_id: str) -> None:
        """Drop the channel's whole record (its objects were destroyed)."""
        await self.bus.drop(self._key(channel_id))
        await self.bus.drop(self._key(channel_id) + ":users")

    async def record_publisher(
        self, channel_id: str, peer_id: str, record: PublisherRecord
    ) -> None:
        """A publisher joined the channel's room."""
        await self.bus.put(
            self._key(channel_id), {f"publisher:{peer_id}": json.dumps(asdict(record))}
        )
        await self.bus.put(self._prefix + "publishers", {peer_id: channel_id})

    async def publisher(self, channel_id: str, peer_id: str) -> PublisherRecord | None:
        """A publisher of the channel, joined through any node."""
        value = (await self.bus.fields(self._key(channel_id))).get(f"publisher:{peer_id}")
        return None if value is None else PublisherRecord(**json.loads(value))

    async def locate(self, peer_id: str) -> PublisherLocation | None:
        """Where the publisher `peer_id` joined, through any node, if it is still there."""
        channel_id = (await self.bus.fields(self._prefix + "publishers")).get(peer_id)
        if channel_id is None:
            return None
        fields = await self.bus.fields(self._key(channel_id))
        record, objects = fields.get(f"publisher:{peer_id}"), fields.get("objects")
        if record is None or objects is None:
            return None  # it left, or its channel was closed: the index entry is stale
        room = ChannelObjects(**json.loads(objects))
        publisher = PublisherRecord(**json.loads(record))
        return PublisherLocation(channel_id, room.room_id, room.kind, publisher)

    async def forget_publisher(self, channel_id: str, peer_id: str) -> None:
        """A publisher left the room."""
        await self.bus.drop(self._key(channel_id), f"publisher:{peer_id}")
        index = self._prefix + "publishers"
        if (await self.bus.fields(index)).get(peer_id) == channel_id:
            await self.bus.drop(index, peer_id)

    async def forwarder(self, channel_id: str) -> Forwarder | None:
        """The channel's forwarder now, if any."""
        value = (await self.bus.fields(self._key(channel_id))).get("forwarder")
        return None if value is None else Forwarder(**json.loads(value))

    async def record_forwarder(self, channel_id: str, forwarder: Forwarder | None) -> None:
        """The channel's new forwarder (None: nobody is forwarded), and so which channels
        its source and the one before feed."""
        previous = await self.forwarder(channel_id)
        if previous is not None and (forwarder is None or forwarder.source != previous.source):
            await self.drop_feed(previous.source, channel_id)
        if forwarder is None:
            await self.bus.drop(self._key(channel_id), "forwarder")
        else:
            await self.bus.put(self._key(channel_id), {"forwarder": json.dumps(asdict(forwarder))})
            await self.bus.put(self._feeds_key(forwarder.source), {channel_id: "1"})

    async def fed_by(self, peer_id: str) -> list[str]:
        """The channels whose recorded forwarder comes from publisher `peer_id`."""
        return list(await self.bus.fields(self._feeds_key(peer_id)))

    async def drop_feed(self, peer_id: str, channel_id: str) -> None:
        """Publisher `peer_id` feeds the channel no more."""
        await self.bus.drop(self._feeds_key(peer_id), channel_id)
