"""Where the app nodes driving one Janus server record what they made on it.

Several app nodes drive the same Janus: each channel must be one room and one mountpoint
on it, whichever node opened it first, and any node must be able to put any publisher on
air (an interpreter on node A hands over to a booth mate on node B). So the plane keeps
on the bus, per channel of the server:

* its **objects**: its kind (audio or video), the room, the mountpoint and the
  mountpoint's RTP port (and, for video, its RTCP port);
* its **users**: the nodes that have it open (the last to close it destroys it);
* its **publishers**: each publisher's id in the room and the ``mid`` of the stream it
  forwards (its audio, or its video in a video channel);
* its **forwarder**: which publisher is forwarded to the mountpoint, and the forwarder's
  ``stream_id``, so any node can stop it.

Changes are made under the channel's lock. With an in-memory bus (one node) this is the
plane's own bookkeeping.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass

from interpreta.bus import Bus

__all__ = ["ChannelObjects", "Forwarder", "JanusRegistry", "PublisherRecord"]


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


@dataclass(frozen=True)
class PublisherRecord:
    """What forwarding a publisher takes: its id in the room and the ``mid`` of the stream
    forwarded (audio, or video in a video channel)."""

    publisher_id: int
    mid: str


@dataclass(frozen=True)
class Forwarder:
    """The publisher forwarded to a channel's mountpoint now."""

    source: str
    publisher_id: int
    stream_id: int


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

    async def publisher(self, channel_id: str, peer_id: str) -> PublisherRecord | None:
        """A publisher of the channel, joined through any node."""
        value = (await self.bus.fields(self._key(channel_id))).get(f"publisher:{peer_id}")
        return None if value is None else PublisherRecord(**json.loads(value))

    async def forget_publisher(self, channel_id: str, peer_id: str) -> None:
        """A publisher left the room."""
        await self.bus.drop(self._key(channel_id), f"publisher:{peer_id}")

    async def forwarder(self, channel_id: str) -> Forwarder | None:
        """The channel's forwarder now, if any."""
        value = (await self.bus.fields(self._key(channel_id))).get("forwarder")
        return None if value is None else Forwarder(**json.loads(value))

    async def record_forwarder(self, channel_id: str, forwarder: Forwarder | None) -> None:
        """The channel's new forwarder (None: nobody is forwarded)."""
        if forwarder is None:
            await self.bus.drop(self._key(channel_id), "forwarder")
        else:
            await self.bus.put(self._key(channel_id), {"forwarder": json.dumps(asdict(forwarder))})
