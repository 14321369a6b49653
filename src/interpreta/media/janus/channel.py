"""A channel on Janus: a VideoRoom room, a Streaming mountpoint, and the forwarder between.

Publishers of the channel join its room; subscribers watch its mountpoint. The on-air
publisher's stream (its audio, or its video in a video channel) is ``rtp_forward``ed by
the VideoRoom plugin to the mountpoint's RTP port on loopback, untouched (no decoding, no
mixing, no transcoding). A handover stops that forwarder and starts one from the new
source; a source borrowed from another channel is forwarded from that channel's room.
Every forwarder gets an SSRC of its own, so the mountpoint, and each viewer,
always sees a new stream start: the Streaming plugin's RTP switching context then
continues the viewer's sequence numbers and moves its timestamps on by the wall-clock
time since the last packet (``janus_rtp_header_update``).

A video channel's forwarder also has an RTCP port, and the mountpoint one of its own:
the forwarder's first packets there let the mountpoint learn where to send key frame
requests, and the VideoRoom plugin passes those it gets on to the publisher as PLIs.
A video mountpoint takes simulcast: three RTP ports, one per layer, and a simulcast
source is forwarded by three forwarders, one per layer (the second and third without
RTCP: the first one's key frame requests reach the camera's every layer).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interpreta.media.janus.admin import PacketCounters
from interpreta.media.janus.api import JanusHandle
from interpreta.media.plane import MediaKind, PeerRole, VideoLayer

__all__ = ["JanusChannel", "JanusPeer", "PeerPhase", "new_id", "new_ssrc"]


def new_id() -> int:
    """A random id for a room or a mountpoint (Janus ids are 64-bit; 48 bits stay exact
    in JavaScript)."""
    return secrets.randbelow(2**48 - 1) + 1


def new_ssrc() -> int:
    """A random, non-zero SSRC for a forwarder."""
    return secrets.randbelow(2**32 - 1) + 1


class PeerPhase(StrEnum):
    """Where a peer is in its life on the plane."""

    NEGOTIATING = "negotiating"
    "Offer received, not yet answered."
    ATTACHED = "attached"
    "Answered and attached to its channel."
    CLOSED = "closed"
    "Closed; ``closed`` was reported."


@dataclass(eq=False)
class JanusPeer:
    """One peer connection: a VideoRoom publisher or a Streaming viewer."""

    peer_id: str
    "The plane's id of the peer."
    role: PeerRole
    "Publisher or subscriber."
    channel_id: str
    "The channel it is attached to."
    kind: MediaKind = MediaKind.AUDIO
    "What it sends or receives: its channel's kind (a switch keeps it)."
    handle: JanusHandle | None = None
    "Its Janus handle, once attached to the plugin."
    state: str = "new"
    "Its connection state, as last reported."
    phase: PeerPhase = PeerPhase.NEGOTIATING
    "Where it is in its life on the plane."
    publisher_id: int | None = None
    "Its participant id in the room (publishers)."
    mid: str | None = None
    "The mid of its stream forwarded from the room: audio, or video (publishers)."
    simulcast: bool = False
    "Its video is simulcast, as the VideoRoom plugin took it (publishers)."
    layer: VideoLayer = VideoLayer.HIGH
    "The simulcast layer it receives (video subscribers; the Streaming plugin's default)."
    counters: PacketCounters = field(default_factory=PacketCounters)
    "Its packet counters, as last read from the Admin API."
    counted_at: float | None = None
    "When the counters last grew (monotonic seconds), ``None`` if never."
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    "Serialises the requests that change what it receives (subscription switches)."


@dataclass(eq=False)
class JanusChannel:
    """One channel: its Janus room and mountpoint, its peers and its source."""

    channel_id: str
    "The plane's id of the channel."
    room_id: int
    "Its VideoRoom room."
    mountpoint_id: int
    "Its Streaming mountpoint."
    port: int
    "The mountpoint's RTP port (on loopback) that the source is forwarded to."
    kind: MediaKind = MediaKind.AUDIO
    "What it carries."
    rtcp_port: int = 0
    "The mountpoint's RTCP port, for the forwarder's key frame requests (video; 0: none)."
    port_2: int = 0
    "The mountpoint's RTP port of the medium simulcast layer (video; 0: none)."
    port_3: int = 0
    "The mountpoint's RTP port of the high simulcast layer (video; 0: none)."
    publishers: dict[str, JanusPeer] = field(default_factory=dict)
    "Its attached publishers, in the order they joined."
    subscribers: dict[str, JanusPeer] = field(default_factory=dict)
    "Its attached subscribers."
    source: str | None = None
    "The publisher on air, as this node last set or saw it (the registry has the truth)."
    stale: bool = False
    "The connection to Janus was lost: the room and mountpoint must be made again."
    packets_forwarded: int = 0
    "The source's packets counted while it was on air (see ``channel_stats``)."
    key_frame_asked: tuple[str, float] | None = None
    "Which publisher this node last asked for a key frame, and when (monotonic seconds)."
    key_frame_due: str | None = None
    "The publisher a key frame request is waiting for the end of the interval for."
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    "Serialises handovers."

    @property
    def layer_ports(self) -> tuple[int, int]:
        """The mountpoint's ports of the medium and high simulcast layers ((0, 0): it
        takes one layer)."""
        return self.port_2, self.port_3

    def room_request(self, request: str, **fields: Any) -> dict[str, Any]:
        """A VideoRoom request about this channel's room."""
        return {"request": request, "room": self.room_id, **fields}
