"""``JanusMediaPlane``: the :class:`~interpreta.media.plane.MediaPlane` on a Janus server.

How the vocabulary maps onto Janus (1.1.2, the Debian package):

* a **channel** is a VideoRoom room plus a Streaming mountpoint (an RTP mountpoint
  listening on loopback) with one stream: Opus for an audio channel, the plane's video
  codec (VP8 or H.264, ``video_codec``) for a video channel;
* a **publisher** is a VideoRoom publisher in the channel's room (its offer in, Janus's
  answer out). A video channel's room is created with the plane's video codec only, so
  the answer accepts nothing else;
* the **source** is the publisher whose stream (audio, or video) the VideoRoom plugin
  ``rtp_forward``s to the channel's mountpoint: packets as they came, never decoded (no
  AudioBridge, which mixes and re-encodes; no transcoding of video).
  :meth:`set_source` stops one forwarder and starts the next. A *borrowed source*, a
  publisher of another channel of the same kind, is forwarded from its own channel's
  room; a publisher has as many forwarders as channels it feeds;
* a **subscriber** is a Streaming viewer of the channel's mountpoint;
  :meth:`switch_subscription` is the Streaming ``switch`` request: same peer connection,
  another mountpoint of the same kind, no renegotiation.

Sequence numbers and timestamps stay continuous for the viewers across a handover and a
switch because Janus's RTP switching context rewrites them whenever the SSRC changes
(see :mod:`interpreta.media.janus.channel`).

Janus 1.1.2's Streaming plugin only makes offers, while subscribers here offer:
:mod:`interpreta.media.janus.sdp` answers each side from the two offers. A viewer's
payload type is fixed when it starts watching (it is the mountpoint's) and kept across
switches, so a subscriber first watches a silent *entry* mountpoint created with its own
payload type (one per codec and payload type), then switches to the channel's.

**Video: key frames.** A viewer can only decode from a key frame, and a camera sends one
only when asked (browsers send none on their own), so the plane asks the on-air camera
for one whenever a viewer needs it: when a viewer's connection is up (Janus's
``webrtcup``), when a viewer switches to the channel, and, for every viewer at once, when
:meth:`set_source` puts a new camera on air. It asks with the VideoRoom ``configure``
request (``keyframe: true``) on the publisher's handle, so Janus sends the camera a PLI;
a publisher that joined through another app node is asked by that node, over the bus.
Requests to one camera are at least :data:`KEY_FRAME_INTERVAL` apart (viewers arriving
together share a key frame). Measured with aiortc peers on one machine: the new picture
60-100 ms after ``set_source`` or a switch, and a new viewer's first picture 100-200 ms
after it subscribed (ICE and DTLS included). Besides:

* a video mountpoint has an RTCP port, and each forwarder into it is started with that
  port (VideoRoom ``rtp_forward``'s ``rtcp_port``): the forwarder's first packets tell
  the mountpoint where to send key frame requests, and the VideoRoom plugin passes those
  it gets on to the publisher as a PLI. The Streaming plugin sends one when a viewer
  starts or switches to the mountpoint (at most one a second), and passes on a viewer's
  own (its answer keeps PLI and FIR);
* the mountpoint does not keep the last key frame for new viewers (Streaming
  ``bufferkf``): Janus 1.1.2's buffering is broken for forwarded streams (see
  :mod:`interpreta.media.janus.codecs`).

**Video: simulcast.** A camera may send simulcast (:attr:`JanusMediaPlane.simulcast`):
its picture three times, at three sizes, as an ``a=simulcast:send`` of up to three
rids, listed from the smallest picture up (the pages' ``sendEncodings`` scale the
picture down by 4, 2 and 1); VP8 or H.264, as the VideoRoom plugin takes both. Every
video mountpoint, the entry ones too, is created with ``simulcast`` and two more RTP
ports (``port2``, ``port3``), and a simulcast camera is forwarded to them by one
``rtp_forward`` of three forwarders (``port_2``, ``port_3``; ``simulcast: false``, which
in Janus 1.1.2 means "each layer to its own port"; ``simulcast: true`` would forward the
best layer alone). Each viewer gets the layer :meth:`choose_layer` chose
(Streaming ``configure`` with ``substream``), the high one by default; the Streaming
plugin switches it on the layer's next key frame, which the plane asks the camera for. A
camera without simulcast feeds the first port alone, and every viewer gets its one
picture: the Streaming plugin falls back to the layers that come.

The plane keeps its own record of channels, peers and sources, so ``listener_count`` and
the membership in ``channel_stats`` are exact and synchronous. Packet counters come from
Janus's Admin API (``handle_info``), read in the background: a snapshot's counters are
up to ``stats_interval`` old, and zero without an Admin API. They count RTP packets,
video too (Janus knows nothing of frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from interpreta.bus import Bus, MemoryBus
from interpreta.bus.interface import Unsubscribe
from interpreta.media.janus.admin import JanusAdmin, PacketCounters, packet_counters
from interpreta.media.janus.api import JanusError, JanusEvent, JanusHandle, JanusSession
from interpreta.media.janus.channel import JanusChannel, JanusPeer, PeerPhase, new_id, new_ssrc
from interpreta.media.janus.codecs import StreamCodec, stream_codec, video_codec_named
from interpreta.media.janus.registry import (
    ChannelObjects,
    Forwarder,
    JanusRegistry,
    PublisherLocation,
    PublisherRecord,
)
from interpreta.media.janus.sdp import (
    answer_for_janus,
    answer_for_subscriber,
    check_publisher_offer,
    codec_payload_type,
    offers_simulcast,
)
from interpreta.media.peer_states import PeerStateListeners
from interpreta.media.plane import (
    ChannelStats,
    MediaKind,
    MediaPlaneError,
    PeerRole,
    PeerStateChange,
    PeerStateListener,
    PublisherStats,
    SubscriberStats,
    UnknownChannelError,
    UnknownPeerError,
    VideoLayer,
)
from interpreta.media.records import PlaneRecords
from interpreta.media.tasks import BackgroundTasks

__all__ = ["JanusMediaPlane"]

logger = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
STREAMING = "janus.plugin.streaming"
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
KEY_FRAME_INTERVAL = 0.25
"""Seconds between two key frame requests the plane sends one publisher of a channel:
viewers switching together share one key frame, and a camera is not flooded."""
SECOND_KEY_FRAME_AFTER = 1.0
"""Seconds after a new viewer's connection is up when its camera is asked for a key
frame once more (see :meth:`JanusMediaPlane._key_frames_for_new_viewer`)."""
RID_ORDER = "lmh"
"""How a simulcast publisher lists its layers (Janus's ``rid_order``): from the smallest
picture up, as ``sendEncodings`` with ``scaleResolutionDownBy`` 4, 2 and 1 do."""


@dataclass(frozen=True)
class _Mountpoint:
    """A Streaming mountpoint the plane created: its id and the ports it listens on."""

    mountpoint_id: int
    port: int
    rtcp_port: int = 0
    port_2: int = 0
    port_3: int = 0


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
        video_codec: str = "VP8",
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
        :param video_codec: what the video channels carry, one of
            :data:`~interpreta.media.plane.VIDEO_CODECS` (``VP8`` or ``H264``).
        :raises ValueError: a bad setting, e.g. a video codec the plane cannot forward.
        """
        video = video_codec_named(video_codec)
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
        ipaddress.ip_address(forward_host)  # raises ValueError for anything but an address
        self._timeout = timeout
        self._clock = clock
        self._session: JanusSession | None = None
        self._rooms: JanusHandle | None = None
        self._streams: JanusHandle | None = None
        self._connect_lock = asyncio.Lock()
        self._channel_lock = asyncio.Lock()
        self._video = video
        self._entries: dict[tuple[str, int], int] = {}
        self._entry_lock = asyncio.Lock()
        self._listeners = PeerStateListeners()
        self._stats_wanted: dict[str, float] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks(logger, "Janus media plane task failed")
        self._registry = JanusRegistry(bus or MemoryBus(), url)
        self._key_frame_topic = f"janus:{url}:key-frames"
        self._key_frame_requests: Unsubscribe | None = None

    # --- channels ------------------------------------------------------------------------

    @property
    def video_codec(self) -> str:
        """What this plane's video channels carry (``VP8`` or ``H264``)."""
        return self._video.name

    async def open_channel(self, channel_id: str, kind: MediaKind = MediaKind.AUDIO) -> None:
        """Open a channel of `kind` (a room and a mountpoint on Janus); opening an open one
        does nothing.

        :raises MediaPlaneError: the channel is open with another kind (here, or through
            another node).
        """
        self._check_running()
        kind = MediaKind(kind)
        async with self._channel_lock:
            channel = self._channels.get(channel_id)
            if channel is not None:
                _check_kind(channel_id, channel.kind, kind)
                return
            await self._connected()
            async with self._registry.lock(channel_id):
                objects = await self._shared_objects(channel_id, kind)
                await self._registry.use(channel_id)
            if kind is MediaKind.VIDEO:
                await self._listen_for_key_frame_requests()
            self._channels[channel_id] = JanusChannel(
                channel_id,
                objects.room_id,
                objects.mountpoint_id,
                objects.port,
                kind=kind,
                rtcp_port=objects.rtcp_port,
                port_2=objects.port_2,
                port_3=objects.port_3,
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
                await self._stop_feeding(channel)
                await self._destroy_objects(channel)
                await self._registry.forget(channel_id)

    async def set_source(self, channel_id: str, peer_id: str | None) -> None:
        """Put a publisher on air (handover), or nobody with ``None``.

        The publisher may have joined through another node, and may be a publisher of
        another channel of the same kind (a borrowed source, forwarded from its own
        channel's room). Stops the old source's forwarder, then starts the new one's: the
        channel's listeners miss at most the packets in flight during those two requests.
        On a video channel the new source is then asked for a key frame, which the
        viewers' pictures switch on.

        :raises UnknownPeerError: ``peer_id`` is not a publisher on this Janus server.
        :raises MediaPlaneError: it publishes to a channel of the other kind.
        """
        channel = self._channel(channel_id)
        async with channel.lock, self._registry.lock(channel_id):
            target = None if peer_id is None else await self._locate_publisher(channel, peer_id)
            current = await self._registry.forwarder(channel_id)
            if _same_source(current, peer_id, target):
                channel.source = peer_id
                return
            if current is not None:
                await self._stop_forwarder(channel, current)
                await self._registry.record_forwarder(channel_id, None)
            channel.source = None
            if peer_id is None or target is None:
                return
            local = self._peers.get(peer_id)
            stream_ids = await self._start_forwarder(
                target, self._forward_host, channel.port, channel.rtcp_port, channel.layer_ports
            )
            forwarder = Forwarder(
                peer_id,
                target.record.publisher_id,
                stream_ids[0],
                target.room_id,
                layers=stream_ids[1:],
            )
            await self._registry.record_forwarder(channel_id, forwarder)
            if local is not None and local.phase is not PeerPhase.ATTACHED:
                # closed meanwhile: Janus dropped its forwarder with it, and its closing
                # may have looked for the channels it feeds before this one was recorded
                await self._registry.record_forwarder(channel_id, None)
                return
            channel.source = peer_id
            await self._ask_for_key_frame(channel, peer_id)

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
                packets_lost=peer.counters.packets_lost,
                jitter=peer.counters.jitter,
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
            kind=channel.kind,
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

    def mountpoint_rtcp_port(self, channel_id: str) -> int:
        """The RTCP port of the channel's mountpoint on this server, which sends key frame
        requests to its forwarder (a video channel's; 0: none)."""
        return self._channel(channel_id).rtcp_port

    def mountpoint_layer_ports(self, channel_id: str) -> tuple[int, int]:
        """The RTP ports of the medium and high simulcast layers of the channel's
        mountpoint on this server (a video channel's; (0, 0): none)."""
        return self._channel(channel_id).layer_ports

    def subscriber_channel(self, peer_id: str) -> str:
        """The channel the subscriber `peer_id` watches now.

        :raises UnknownPeerError: not a subscriber of this plane.
        """
        return self._subscriber(peer_id).channel_id

    def subscriber_kind(self, peer_id: str) -> MediaKind:
        """What the subscriber `peer_id` receives (its channel's kind; a switch keeps it).

        :raises UnknownPeerError: not a subscriber of this plane.
        """
        return self._subscriber(peer_id).kind

    def _subscriber(self, peer_id: str) -> JanusPeer:
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        return peer

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
        """Whether `peer_id` publishes on this server (through any node), into the channel
        or into another of its kind (a source the channel may borrow).

        :raises MediaPlaneError: it publishes into a channel of the other kind.
        """
        try:
            await self._locate_publisher(self._channel(channel_id), peer_id)
        except UnknownPeerError:
            return False
        return True

    async def forward(
        self,
        channel_id: str,
        peer_id: str,
        host: str,
        port: int,
        rtcp_port: int = 0,
        layer_ports: tuple[int, int] = (0, 0),
    ) -> Forwarder:
        """Forward a publisher of this server (of the channel, or borrowed by it) to
        `host`:`port` (another server's mountpoint of the channel); the forwarder started.

        For a video channel, `rtcp_port` is that mountpoint's RTCP port (its key frame
        requests then reach the publisher), `layer_ports` its ports of the medium and high
        simulcast layers (where a simulcast publisher's are forwarded), and the publisher
        is asked for a key frame.
        """
        channel = self._channel(channel_id)
        location = await self._locate_publisher(channel, peer_id)
        stream_ids = await self._start_forwarder(location, host, port, rtcp_port, layer_ports)
        await self._ask_for_key_frame(channel, peer_id)
        return Forwarder(
            peer_id,
            location.record.publisher_id,
            stream_ids[0],
            location.room_id,
            layers=stream_ids[1:],
        )

    async def unforward(
        self,
        channel_id: str,
        publisher_id: int,
        stream_id: int,
        room_id: int = 0,
        layers: Sequence[int] = (),
    ) -> None:
        """Stop a forwarder :meth:`forward` started in `room_id` (0: the channel's room),
        and those of its other simulcast `layers`; nothing if its publisher left."""
        channel = self._channel(channel_id)
        forwarder = Forwarder("", publisher_id, stream_id, room_id, layers=tuple(layers))
        await self._stop_forwarder(channel, forwarder)

    # --- peers ---------------------------------------------------------------------------

    async def publish(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Join a publisher to the channel's room from its offer; returns Janus's answer.

        A video channel's publisher must offer the plane's video codec (its room accepts
        no other). The publisher is not on air until :meth:`set_source` names it.

        :raises OfferError: the offer cannot send the channel's codec.
        """
        channel = self._channel(channel_id)
        self._check_new_peer_id(peer_id)
        if channel.kind is MediaKind.VIDEO:
            check_publisher_offer(offer_sdp, self._codec(channel.kind))
        peer = self._add_peer(JanusPeer(peer_id, PeerRole.PUBLISHER, channel_id, channel.kind))
        try:
            session = await self._connected()
            peer.handle = await session.attach(VIDEOROOM, self._on_event(peer))
            join = channel.room_request("joinandconfigure", ptype="publisher", display=peer_id)
            offer: dict[str, Any] = {"type": "offer", "sdp": offer_sdp, "trickle": False}
            if channel.kind is MediaKind.VIDEO and offers_simulcast(offer_sdp, self._video):
                offer["rid_order"] = RID_ORDER
            data, jsep = await peer.handle.message(join, offer)
            if jsep is None or "id" not in data:
                raise JanusError(0, "the VideoRoom plugin did not answer the offer")
            peer.publisher_id = int(data["id"])
            peer.mid, peer.simulcast = _forwarded_stream_of(data, channel.kind)
        except BaseException:
            await self._discard(peer)
            raise
        answer = self._attach(peer, str(jsep["sdp"]))
        record = PublisherRecord(peer.publisher_id, peer.mid, peer.simulcast)
        await self._registry.record_publisher(channel_id, peer_id, record)
        return answer

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Have a subscriber watch the channel's mountpoint; returns the answer to its offer
        (the channel's codec on the subscriber's payload type for it).

        :raises OfferError: the offer cannot receive the channel's codec.
        """
        channel = self._channel(channel_id)
        self._check_new_peer_id(peer_id)
        codec = self._codec(channel.kind)
        payload_type = codec_payload_type(offer_sdp, codec)
        peer = self._add_peer(JanusPeer(peer_id, PeerRole.SUBSCRIBER, channel_id, channel.kind))
        try:
            session = await self._connected()
            entry = await self._entry_mountpoint(codec, payload_type)
            peer.handle = await session.attach(STREAMING, self._on_event(peer))
            _, jsep = await peer.handle.message({"request": "watch", "id": entry})
            if jsep is None:
                raise JanusError(0, "the Streaming plugin made no offer")
            janus_offer = str(jsep["sdp"])
            await peer.handle.message({"request": "switch", "id": channel.mountpoint_id})
            # every candidate is in the SDP: no trickle
            answer = {"type": "answer", "sdp": answer_for_janus(offer_sdp, janus_offer, codec)}
            await peer.handle.message({"request": "start"}, {**answer, "trickle": False})
        except BaseException:
            await self._discard(peer)
            raise
        return self._attach(peer, answer_for_subscriber(offer_sdp, janus_offer, codec))

    async def switch_subscription(self, peer_id: str, channel_id: str) -> None:
        """Move a subscriber to another channel's mountpoint (Streaming ``switch``).

        A video channel's source is asked for a key frame: the viewer's picture changes
        on it (the Streaming plugin asks too, but at most once a second per channel).

        :raises MediaPlaneError: the channel is of another kind than the subscriber's.
        """
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER or peer.handle is None:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        new = self._channel(channel_id)
        if peer.phase is not PeerPhase.ATTACHED:
            raise UnknownPeerError(f"{peer_id!r} is not subscribed yet")
        if new.kind is not peer.kind:
            kinds = f"{peer.kind.value}, not {new.kind.value}"
            raise MediaPlaneError(f"{peer_id!r} receives {kinds} ({channel_id!r})")
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
        await self._key_frame_for(channel_id)

    @property
    def simulcast(self) -> bool:
        """True: video publishers may send simulcast (see the module's notes)."""
        return True

    async def choose_layer(self, peer_id: str, layer: VideoLayer) -> None:
        """Have a video subscriber receive `layer` of the cameras it watches (Streaming
        ``configure`` with ``substream``), and ask its channel's camera for a key frame,
        which the new layer starts on. A camera without simulcast sends one layer, which
        the subscriber gets whatever it chose.

        :raises UnknownPeerError: ``peer_id`` is not a subscriber (or not subscribed yet).
        :raises MediaPlaneError: it receives audio.
        :raises ValueError: ``layer`` is not a :class:`~interpreta.media.plane.VideoLayer`.
        """
        layer = VideoLayer(layer)
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER or peer.handle is None:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        if peer.kind is not MediaKind.VIDEO:
            raise MediaPlaneError(f"{peer_id!r} receives audio: it has no video layers")
        if peer.phase is not PeerPhase.ATTACHED:
            raise UnknownPeerError(f"{peer_id!r} is not subscribed yet")
        async with peer.lock:
            if peer.layer is layer or peer.phase is not PeerPhase.ATTACHED:
                return
            await peer.handle.message({"request": "configure", "substream": layer.number})
            peer.layer = layer
        await self._key_frame_for(peer.channel_id)

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
            await self._stop_feeding(channel)
            await self._destroy_objects(channel)
        for mountpoint_id in self._entries.values():
            await self._destroy(self._streams, {"request": "destroy", "id": mountpoint_id})
        self._entries.clear()
        await self._stop_listening_for_key_frame_requests()
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
                        objects = await self._shared_objects(channel.channel_id, channel.kind)
                    channel.room_id, channel.mountpoint_id = objects.room_id, objects.mountpoint_id
                    channel.port, channel.rtcp_port = objects.port, objects.rtcp_port
                    channel.port_2, channel.port_3 = objects.port_2, objects.port_3
                    channel.stale = False
            return self._session

    async def _shared_objects(self, channel_id: str, kind: MediaKind) -> ChannelObjects:
        """The channel's room and mountpoint: those a node recorded, if Janus still has
        them, else new ones (recorded for the other nodes). Under the channel's lock.

        :raises MediaPlaneError: another node has the channel open with another kind.
        """
        known = await self._registry.objects(channel_id)
        if known is not None and await self._still_there(known):
            _check_kind(channel_id, MediaKind(known.kind), kind)
            return known
        codec = self._codec(kind)
        room_id = await self._create_room(channel_id, codec)
        try:
            mountpoint = await self._create_mountpoint(
                codec,
                codec.channel_payload_type,
                f"interpreta channel {channel_id}",
                threads=self._mountpoint_threads,
                feedback=True,
            )
        except BaseException:
            await self._destroy(self._rooms, {"request": "destroy", "room": room_id})
            raise
        objects = ChannelObjects(
            room_id,
            mountpoint.mountpoint_id,
            mountpoint.port,
            kind.value,
            mountpoint.rtcp_port,
            mountpoint.port_2,
            mountpoint.port_3,
        )
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

    async def _locate_publisher(self, channel: JanusChannel, peer_id: str) -> PublisherLocation:
        """Where `peer_id` publishes and what forwarding it to `channel` takes, whichever
        node it joined through: a publisher of the channel, or of another channel of the
        same kind (a borrowed source).

        :raises UnknownPeerError: no such publisher on this server.
        :raises MediaPlaneError: it publishes into a channel of the other kind.
        """
        location = await self._find_publisher(channel, peer_id)
        if location is None:
            raise UnknownPeerError(f"{peer_id!r} is not a publisher")
        if location.kind != channel.kind.value:
            raise MediaPlaneError(
                f"{peer_id!r} publishes {location.kind}, {channel.channel_id!r} is a "
                f"{channel.kind.value} channel"
            )
        return location

    async def _find_publisher(
        self, channel: JanusChannel, peer_id: str
    ) -> PublisherLocation | None:
        """Where `peer_id` publishes: this node's record, then the channel's shared record
        (one read, the usual case), then the server's index of publishers."""
        local = self._peers.get(peer_id)
        home = None if local is None else self._channels.get(local.channel_id)
        if (
            local is not None
            and home is not None
            and home.publishers.get(peer_id) is local
            and local.publisher_id is not None
            and local.mid is not None
        ):
            record = PublisherRecord(local.publisher_id, local.mid, local.simulcast)
            return PublisherLocation(home.channel_id, home.room_id, home.kind.value, record)
        own = await self._registry.publisher(channel.channel_id, peer_id)
        if own is not None:
            return PublisherLocation(channel.channel_id, channel.room_id, channel.kind.value, own)
        return await self._registry.locate(peer_id)

    async def _create_room(self, channel_id: str, codec: StreamCodec) -> int:
        """A room whose publishers' answers accept `codec` only; its id."""
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
                **codec.room_fields(),
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
        self,
        codec: StreamCodec,
        payload_type: int,
        description: str,
        *,
        threads: int = 0,
        feedback: bool = False,
    ) -> _Mountpoint:
        """A live RTP mountpoint of one `codec` stream on loopback: its id, RTP port, RTCP
        port (0 without `feedback`, which only a video stream takes: see
        :meth:`StreamCodec.medium`) and, for video, the ports of its medium and high
        simulcast layers (every video mountpoint takes simulcast)."""
        streams = self._control(self._streams)
        simulcast = codec.kind is MediaKind.VIDEO
        for attempt in range(3):
            mountpoint_id = new_id()
            medium = codec.medium(
                payload_type, self._forward_host, feedback=feedback, simulcast=simulcast
            )
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
            ports = data["stream"]["ports"][0]
            return _Mountpoint(
                mountpoint_id,
                int(ports["port"]),
                int(ports.get("rtcp_port") or 0),
                int(ports.get("port_2") or 0),
                int(ports.get("port_3") or 0),
            )
        raise AssertionError("unreachable")

    async def _entry_mountpoint(self, codec: StreamCodec, payload_type: int) -> int:
        """The silent mountpoint a subscriber offering `codec` on ``payload_type`` first
        watches (for video, one that takes simulcast: a viewer's layer is chosen for the
        streams of the mountpoint it watched first, and kept across switches)."""
        key = (codec.name, payload_type)
        async with self._entry_lock:
            if key not in self._entries:
                mountpoint = await self._create_mountpoint(
                    codec, payload_type, f"interpreta entry, {codec.name} on {payload_type}"
                )
                self._entries[key] = mountpoint.mountpoint_id
            return self._entries[key]

    async def _start_forwarder(
        self,
        publisher: PublisherLocation,
        host: str,
        port: int,
        rtcp_port: int,
        layer_ports: tuple[int, int] = (0, 0),
    ) -> tuple[int, ...]:
        """Forward `publisher`'s stream, from its own room, to `host`:`port` (a channel's
        mountpoint, whose RTCP port is `rtcp_port`, and the ports of whose medium and high
        simulcast layers are `layer_ports`); the ``stream_id`` of each forwarder, the first
        layer's first."""
        stream = _forwarded_stream(publisher.record.mid, port, rtcp_port)
        if publisher.record.simulcast:
            if all(layer_ports):
                port_2, port_3 = layer_ports
                stream |= {"port_2": port_2, "ssrc_2": new_ssrc()}
                stream |= {"port_3": port_3, "ssrc_3": new_ssrc()}
            else:  # a mountpoint of one layer: the forwarder sends the best that comes
                stream["simulcast"] = True
        request = {
            "request": "rtp_forward",
            "room": publisher.room_id,
            "publisher_id": publisher.record.publisher_id,
            "host": host,
            "host_family": f"ipv{ipaddress.ip_address(host).version}",
            "streams": [stream],
        }
        data = await self._control(self._rooms).request(request)
        return tuple(int(forwarder["stream_id"]) for forwarder in data["forwarders"])

    def _codec(self, kind: MediaKind) -> StreamCodec:
        """What a channel of `kind` carries on this plane."""
        return stream_codec(kind, self._video)

    # --- key frames ------------------------------------------------------------------------

    async def _key_frame_for(self, channel_id: str) -> None:
        """Ask a video channel's source (whoever put it on air) for a key frame, for a
        viewer that has just connected or switched to it."""
        channel = self._channels.get(channel_id)
        if channel is None or channel.kind is not MediaKind.VIDEO or self._shut_down:
            return
        current = await self._registry.forwarder(channel_id)
        if current is not None:
            await self._ask_for_key_frame(channel, current.source)

    async def _key_frames_for_new_viewer(self, channel_id: str) -> None:
        """A new viewer's key frames: one at once, and one more
        :data:`SECOND_KEY_FRAME_AFTER` later. The first may come before Janus has put the
        viewer on the layer it chose, or be lost; the viewer would then wait for a key
        frame nobody asks for, showing nothing."""
        await self._key_frame_for(channel_id)
        await asyncio.sleep(SECOND_KEY_FRAME_AFTER)
        await self._key_frame_for(channel_id)

    async def request_key_frame(self, channel_id: str, peer_id: str) -> None:
        """Ask a video channel's publisher `peer_id` (joined through any node) for a key
        frame, at most every :data:`KEY_FRAME_INTERVAL`; nothing for an audio channel."""
        await self._ask_for_key_frame(self._channel(channel_id), peer_id)

    async def _ask_for_key_frame(self, channel: JanusChannel, peer_id: str) -> None:
        """Have a video channel's publisher `peer_id` send a key frame: through its handle
        if it joined through this plane, else through the node it joined through (over
        the bus). Nothing for an audio channel.

        Requests are at least :data:`KEY_FRAME_INTERVAL` apart: one asked sooner is sent
        when the interval is over (once, however many came meanwhile), as the last one
        may have been lost or have come before the viewer that needs it could decode it.
        A publisher of this plane that is not connected yet is not asked: it has sent
        nothing, and its first frame is a key frame.
        """
        if channel.kind is not MediaKind.VIDEO or self._shut_down:
            return
        local = self._peers.get(peer_id)
        if local is not None and local.role is PeerRole.PUBLISHER and local.state != "connected":
            return
        now = self._clock()
        last = channel.key_frame_asked
        wait = 0.0 if last is None or last[0] != peer_id else last[1] + KEY_FRAME_INTERVAL - now
        if wait > 0:
            if channel.key_frame_due is None:
                channel.key_frame_due = peer_id
                self._tasks.spawn(self._ask_for_key_frame_later(channel, wait))
            return
        channel.key_frame_asked = (peer_id, now)
        if await self._request_key_frame(peer_id):
            return
        message = {"channel": channel.channel_id, "peer": peer_id, "from": self._registry.bus.node}
        await self._registry.bus.publish(self._key_frame_topic, message)

    async def _ask_for_key_frame_later(self, channel: JanusChannel, wait: float) -> None:
        """Send the key frame request that came too soon after the last one."""
        await asyncio.sleep(wait)
        peer_id, channel.key_frame_due = channel.key_frame_due, None
        if peer_id is not None and self._channels.get(channel.channel_id) is channel:
            await self._ask_for_key_frame(channel, peer_id)

    async def _request_key_frame(self, peer_id: str) -> bool:
        """Ask this plane's publisher `peer_id` (of any channel: a borrowed source too) for
        a key frame (VideoRoom ``configure`` with ``keyframe``: Janus sends it a PLI);
        False if it is not one."""
        peer = self._peers.get(peer_id)
        if (
            peer is None
            or peer.role is not PeerRole.PUBLISHER
            or peer.handle is None
            or peer.phase is not PeerPhase.ATTACHED
        ):
            return False
        request = {"request": "configure", "streams": [{"mid": peer.mid, "keyframe": True}]}
        try:
            await peer.handle.message(request)
        except JanusError as exc:  # it left meanwhile: nothing to ask
            logger.info("asking %s for a key frame: %s", peer_id, exc)
        return True

    async def _on_key_frame_request(self, message: dict[str, Any]) -> None:
        """Another node put a publisher of ours on air: ask it for a key frame."""
        if message.get("from") != self._registry.bus.node and not self._shut_down:
            await self._request_key_frame(str(message.get("peer")))

    async def _listen_for_key_frame_requests(self) -> None:
        """Take the other nodes' key frame requests for our publishers (from the first
        video channel on)."""
        if self._key_frame_requests is None:
            self._key_frame_requests = await self._registry.bus.subscribe(
                self._key_frame_topic, self._on_key_frame_request
            )

    async def _stop_listening_for_key_frame_requests(self) -> None:
        unsubscribe, self._key_frame_requests = self._key_frame_requests, None
        if unsubscribe is not None:
            await unsubscribe()

    async def _stop_forwarder(self, channel: JanusChannel, forwarder: Forwarder) -> None:
        """Stop a forwarder into `channel`'s mountpoint (each of its simulcast layers), in
        the room it was started in."""
        for stream_id in forwarder.stream_ids:
            request = {
                "request": "stop_rtp_forward",
                "room": forwarder.room_id or channel.room_id,
                "publisher_id": forwarder.publisher_id,
                "stream_id": stream_id,
            }
            try:
                await self._control(self._rooms).request(request)
            except JanusError as exc:  # the publisher left: Janus dropped its forwarders
                logger.info("stopping the forwarder of %s: %s", forwarder.source, exc)

    async def _stop_feeding(self, channel: JanusChannel) -> None:
        """Stop what feeds a channel that goes: a borrowed source's forwarder outlives the
        channel's room (it is in its own channel's), so it is stopped here."""
        current = await self._registry.forwarder(channel.channel_id)
        if current is None:
            return
        if current.room_id not in (0, channel.room_id):
            await self._stop_forwarder(channel, current)
        await self._registry.record_forwarder(channel.channel_id, None)

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
            else:
                channel.subscribers.pop(peer.peer_id, None)
        if peer.role is PeerRole.PUBLISHER:
            for fed in self._channels.values():  # its own, and those that borrowed it
                if fed.source == peer.peer_id:
                    fed.source = None
        if peer.state != "closed":
            self._set_state(peer, "closed")
        if peer.role is PeerRole.PUBLISHER:
            await self._forget_publisher(peer)
        await self._detach_handle(peer)

    async def _forget_publisher(self, peer: JanusPeer) -> None:
        """Out of the shared record, and off air there in every channel it fed: its own,
        and those that borrowed it (Janus dropped its forwarders with it)."""
        async with self._registry.lock(peer.channel_id):
            await self._registry.forget_publisher(peer.channel_id, peer.peer_id)
        fed = await self._registry.fed_by(peer.peer_id)
        for channel_id in dict.fromkeys([peer.channel_id, *fed]):
            async with self._registry.lock(channel_id):
                current = await self._registry.forwarder(channel_id)
                if current is None or current.source != peer.peer_id:
                    await self._registry.drop_feed(peer.peer_id, channel_id)
                elif current.publisher_id == peer.publisher_id:
                    await self._registry.record_forwarder(channel_id, None)

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
                if peer.role is PeerRole.SUBSCRIBER and peer.kind is MediaKind.VIDEO:
                    self._tasks.spawn(self._key_frames_for_new_viewer(peer.channel_id))
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
        borrowed = None if channel.source is None else self._peers.get(channel.source)
        if borrowed is not None and borrowed.channel_id != channel.channel_id:
            peers.append(borrowed)  # a borrowed source of this node: what it forwards here
        if subscribers:
            peers += channel.subscribers.values()
        for peer in peers:
            if peer.handle is None or peer.phase is not PeerPhase.ATTACHED:
                continue
            fed = self._fed_by(peer)
            try:
                info = await admin.handle_info(session.session_id, peer.handle.handle_id)
            except JanusError:
                continue
            self._count(peer, packet_counters(info), fed & self._fed_by(peer))

    def _fed_by(self, peer: JanusPeer) -> set[str]:
        """The channels of this node that a publisher is the source of now."""
        if peer.role is not PeerRole.PUBLISHER:
            return set()
        return {c.channel_id for c in self._channels.values() if c.source == peer.peer_id}

    def _count(self, peer: JanusPeer, counters: PacketCounters, on_air_in: set[str]) -> None:
        """Take a peer's new counters; what a publisher received counts as forwarded by
        the channels it was on air in since the last reading (`on_air_in`)."""
        before = peer.counters
        if counters.packets_in > before.packets_in or counters.packets_out > before.packets_out:
            peer.counted_at = self._clock()
        received = max(0, counters.packets_in - before.packets_in)
        for channel_id in on_air_in:
            channel = self._channels.get(channel_id)
            if channel is not None:
                channel.packets_forwarded += received
        peer.counters = counters

    # --- checks --------------------------------------------------------------------------


def _check_kind(channel_id: str, kind: MediaKind, wanted: MediaKind) -> None:
    """Refuse to open a channel as `wanted` that is open as `kind`."""
    if kind is not wanted:
        raise MediaPlaneError(
            f"channel {channel_id!r} is open as a {kind.value} channel, not {wanted.value}"
        )


def _forwarded_stream_of(joined: dict[str, Any], kind: MediaKind) -> tuple[str, bool]:
    """The ``mid`` of the publisher's stream a channel of `kind` forwards, and whether
    the VideoRoom took it as simulcast, from its answer to ``joinandconfigure``.

    :raises JanusError: the publisher has no such stream.
    """
    streams = [
        s
        for s in joined.get("streams", ())
        if s.get("type") == kind.value and not s.get("disabled")
    ]
    if not streams:
        raise JanusError(0, f"the publisher's offer has no {kind.value} stream")
    return str(streams[0]["mid"]), bool(streams[0].get("simulcast"))


def _forwarded_stream(mid: str, port: int, rtcp_port: int) -> dict[str, Any]:
    """A VideoRoom ``rtp_forward`` stream: `mid` to `port` with a fresh SSRC, and key
    frame requests taken from `rtcp_port` (the mountpoint's; 0: none)."""
    stream: dict[str, Any] = {"mid": mid, "port": port, "ssrc": new_ssrc()}
    if rtcp_port:
        stream["rtcp_port"] = rtcp_port
    return stream


def _same_source(
    current: Forwarder | None, peer_id: str | None, target: PublisherLocation | None
) -> bool:
    """Whether the recorded forwarder is already `peer_id`'s as it publishes now (`target`;
    the same peer id may have published again since, with another publisher id)."""
    if current is None or target is None:
        return current is None and peer_id is None
    return current.source == peer_id and current.publisher_id == target.record.publisher_id
