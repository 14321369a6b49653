"""``EmbeddedMediaPlane``: the :class:`~interpreta.media.plane.MediaPlane` on aiortc, in process.

Each publisher and subscriber is one aiortc ``RTCPeerConnection``. Publishers' receivers
are tapped (:func:`~interpreta.media.forwarder.aiortc_hooks.tap_receiver`): their Opus
packets go straight to the channel's fan-out, never through a jitter buffer or a
decoder. Each subscriber has one :class:`~interpreta.media.forwarder.track.ForwardingTrack`
for its whole life, which its ``RTCRtpSender`` packetises without encoding; switching
channel or source only changes what feeds that track. A publisher feeds every channel it
is the source of: its own, and any that borrowed it (:mod:`~interpreta.media.forwarder.feeding`).

Video channels work the same way with whole frames: a publisher's packets are
reassembled into frames (:mod:`~interpreta.media.forwarder.frames`), and each viewer's
:class:`~interpreta.media.forwarder.video_track.VideoForwardingTrack` starts from a key
frame, which the plane asks the source for (an RTCP PLI) whenever a viewer needs one.
One video codec (VP8 or H.264) is negotiated on every video peer of the plane, so frames
pass from any publisher to any viewer as they were encoded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from interpreta.media.forwarder.aiortc_hooks import (
    host_addresses,
    on_key_frame_request,
    request_key_frame,
    tap_receiver,
    tap_video_receiver,
)
from interpreta.media.forwarder.channel import Channel, Publisher, Subscriber
from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.mdns import without_mdns_candidates
from interpreta.media.forwarder.track import ForwardingTrack
from interpreta.media.forwarder.video_ingress import VideoIngress
from interpreta.media.forwarder.video_track import VideoForwardingTrack
from interpreta.media.peer_states import PeerStateListeners
from interpreta.media.plane import (
    VIDEO_CODECS,
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

__all__ = ["EmbeddedMediaPlane"]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Peer:
    peer_id: str
    role: PeerRole
    pc: RTCPeerConnection
    channel_id: str | None
    ingress: Publisher | None = None
    track: Subscriber | None = None
    closed: bool = False
    deadline: asyncio.TimerHandle | None = None
    """Closes the peer if it has not connected in time."""


CONNECT_TIMEOUT = 30.0
"""Seconds a peer has to connect before it is closed."""


def _prefer_opus(transceiver: RTCRtpTransceiver) -> None:
    capabilities = RTCRtpSender.getCapabilities("audio")
    opus = [c for c in capabilities.codecs if c.mimeType.lower() == "audio/opus"]
    transceiver.setCodecPreferences(opus)


def _prefer_video(transceiver: RTCRtpTransceiver, codec: str) -> None:
    capabilities = RTCRtpSender.getCapabilities("video")
    wanted = (f"video/{codec.lower()}", "video/rtx")
    transceiver.setCodecPreferences(
        [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
    )


def _drop(*_packet: object) -> None:
    return None


class EmbeddedMediaPlane(PlaneRecords[Channel, _Peer]):
    """The media plane as an Opus packet forwarder on aiortc, inside this process.

    Implements :class:`~interpreta.media.plane.MediaPlane`.
    """

    def __init__(
        self,
        *,
        host_addresses: Sequence[str] | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
        max_queue: int = 3,
        late_after: float = 0.020,
        clock: Callable[[], float] = time.monotonic,
        connect_timeout: float = CONNECT_TIMEOUT,
        video_codec: str = "VP8",
    ) -> None:
        """
        :param host_addresses: the addresses ICE host candidates are gathered on (e.g.
            ``("127.0.0.1",)`` for tests, or the public interface's address); ``None``
            for every interface but loopback (aioice's default).
        :param ice_servers: STUN/TURN servers; none by default (host candidates only).
        :param max_queue: packets held per subscriber before the oldest is dropped
            (3 = 60 ms of 20 ms packets).
        :param late_after: seconds after which a forwarded packet counts as late in the
            subscriber statistics.
        :param clock: monotonic clock in seconds (injectable for tests).
        :param connect_timeout: seconds a peer has to connect before it is closed. ICE
            alone may wait forever: for the peer's checks when its offer named no address
            (only mDNS names, see :mod:`~interpreta.media.forwarder.mdns`), and for the
            nomination of a peer that went away after its first check.
        :param video_codec: the codec of every video channel (``"VP8"`` or ``"H264"``).
        """
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        if video_codec not in VIDEO_CODECS:
            raise ValueError(f"video_codec must be one of {VIDEO_CODECS}, not {video_codec!r}")
        if late_after <= 0:
            raise ValueError("late_after must be positive")
        super().__init__()
        self._host_addresses = None if host_addresses is None else tuple(host_addresses)
        self._ice_servers = list(ice_servers)
        self._max_queue = max_queue
        self._late_after = late_after
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._video_codec = video_codec
        self._listeners = PeerStateListeners()
        self._tasks = BackgroundTasks(logger, "media plane task failed")

    # --- channels ------------------------------------------------------------------------

    async def open_channel(self, channel_id: str, kind: MediaKind = MediaKind.AUDIO) -> None:
        """Open a channel of `kind`; opening an open channel does nothing."""
        self._check_running()
        channel = self._channels.get(channel_id)
        if channel is None:
            self._channels[channel_id] = Channel(channel_id, kind)
        elif channel.kind is not kind:
            raise MediaPlaneError(f"channel {channel_id!r} is open as {channel.kind} channel")

    async def close_channel(self, channel_id: str) -> None:
        """Close a channel and every peer attached to it; unknown channels are ignored."""
        channel = self._channels.get(channel_id)
        if channel is None:
            return
        channel.close()  # a borrowed source stops feeding it
        peer_ids = [*channel.publishers, *channel.subscribers]
        await asyncio.gather(*(self.close_peer(peer_id) for peer_id in peer_ids))
        self._channels.pop(channel_id, None)

    async def set_source(self, channel_id: str, peer_id: str | None) -> None:
        """Put a publisher on air (handover), or nobody with ``None``.

        The publisher may be one of another channel of the same kind (a borrowed source):
        it then feeds both. Takes effect on the next packet that arrives.

        :raises UnknownPeerError: ``peer_id`` is not an attached publisher.
        :raises MediaPlaneError: it publishes to a channel of the other kind.
        """
        channel = self._channel(channel_id)
        channel.set_source(None if peer_id is None else self._publisher(peer_id))

    def listener_count(self, channel_id: str) -> int:
        """The number of subscribers of a channel."""
        return len(self._channel(channel_id).subscribers)

    def channel_stats(self, channel_id: str) -> ChannelStats:
        """A snapshot of a channel's counters."""
        channel = self._channel(channel_id)
        now = self._clock()

        publishers = tuple(
            PublisherStats(
                peer_id=peer_id,
                state=self._state(peer_id),
                on_air=channel.source is ingress,
                packets_received=ingress.packets_received,
                bytes_received=ingress.bytes_received,
                packets_stale=ingress.packets_stale,
                last_packet_age=None
                if ingress.last_arrival is None
                else now - ingress.last_arrival,
                packets_lost=ingress.reception.packets_lost,
                jitter=ingress.reception.jitter,
            )
            for peer_id, ingress in channel.publishers.items()
        )
        subscribers = tuple(
            SubscriberStats(
                peer_id=peer_id,
                state=self._state(peer_id),
                packets_sent=track.packets_sent,
                packets_late=track.packets_late,
                packets_dropped=track.packets_dropped,
                queued=track.queued,
            )
            for peer_id, track in channel.subscribers.items()
        )
        return ChannelStats(
            channel_id=channel_id,
            kind=channel.kind,
            source=None if channel.source is None else channel.source.peer_id,
            packets_forwarded=channel.packets_forwarded,
            publishers=publishers,
            subscribers=subscribers,
        )

    # --- peers ---------------------------------------------------------------------------

    async def publish(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a publisher to a channel from its offer; returns the answer SDP.

        The publisher is not on air until :meth:`set_source` names it.
        """
        if self._channel(channel_id).kind is MediaKind.VIDEO:
            return await self._publish_video(channel_id, peer_id, offer_sdp)
        self._check_new_peer_id(peer_id)
        offer = without_mdns_candidates(offer_sdp)
        pc = self._new_peer_connection()
        # Our transceiver, created before the offer is applied, takes its first audio
        # m-line: Opus only, receive only.
        _prefer_opus(pc.addTransceiver("audio", direction="recvonly"))
        ingress = Ingress(peer_id, self._clock)
        peer = self._add_peer(_Peer(peer_id, PeerRole.PUBLISHER, pc, channel_id, ingress=ingress))

        async def tap_then_answer() -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            audio = [t for t in pc.getTransceivers() if t.kind == "audio"]
            for index, transceiver in enumerate(audio):
                # Only the first audio m-line feeds the channel; any other is drained.
                tap_receiver(transceiver.receiver, ingress.on_rtp if index == 0 else _drop)

        answer = await self._negotiate(peer, tap_then_answer)
        self._channel_for_new_peer(peer).attach_publisher(ingress)
        return answer

    async def _publish_video(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a camera (or a shared screen) to a video channel."""
        self._check_new_peer_id(peer_id)
        offer = without_mdns_candidates(offer_sdp)
        pc = self._new_peer_connection()
        first = pc.addTransceiver("video", direction="recvonly")
        _prefer_video(first, self._video_codec)

        def ask(ssrc: int) -> None:
            self._tasks.spawn(request_key_frame(first.receiver, ssrc))

        ingress = VideoIngress(peer_id, self._video_codec, ask, self._clock)
        peer = self._add_peer(_Peer(peer_id, PeerRole.PUBLISHER, pc, channel_id, ingress=ingress))

        async def tap_then_answer() -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            for transceiver in pc.getTransceivers():
                if transceiver is first:
                    tap_video_receiver(transceiver.receiver, ingress.on_rtp, self._tasks.spawn)
                elif transceiver.kind == "video":
                    tap_video_receiver(transceiver.receiver, _drop, self._tasks.spawn)
                else:
                    tap_receiver(transceiver.receiver, _drop)

        answer = await self._negotiate(peer, tap_then_answer)
        self._channel_for_new_peer(peer).attach_publisher(ingress)
        return answer

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a subscriber to a channel from its ``recvonly`` offer; returns the answer."""
        if self._channel(channel_id).kind is MediaKind.VIDEO:
            return await self._subscribe_video(channel_id, peer_id, offer_sdp)
        self._check_new_peer_id(peer_id)
        offer = without_mdns_candidates(offer_sdp)
        pc = self._new_peer_connection()
        track = ForwardingTrack(
            max_queue=self._max_queue, late_after=self._late_after, clock=self._clock
        )
        _prefer_opus(pc.addTransceiver(track, direction="sendonly"))
        peer = self._add_peer(_Peer(peer_id, PeerRole.SUBSCRIBER, pc, channel_id, track=track))

        async def apply_offer() -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "audio" and transceiver.sender.track is not track:
                    # An extra audio m-line the browser wants to send on: drain it.
                    tap_receiver(transceiver.receiver, _drop)

        answer = await self._negotiate(peer, apply_offer)
        self._channel_for_new_peer(peer).attach_subscriber(peer_id, track)
        return answer

    async def _subscribe_video(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a viewer to a video channel; it starts from the source's next key frame."""
        self._check_new_peer_id(peer_id)
        offer = without_mdns_candidates(offer_sdp)
        pc = self._new_peer_connection()
        track = VideoForwardingTrack(clock=self._clock)
        transceiver = pc.addTransceiver(track, direction="sendonly")
        _prefer_video(transceiver, self._video_codec)
        on_key_frame_request(transceiver.sender, lambda: track.want_key_frame())
        peer = self._add_peer(_Peer(peer_id, PeerRole.SUBSCRIBER, pc, channel_id, track=track))

        async def apply_offer() -> None:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            for other in pc.getTransceivers():
                if other is transceiver:
                    continue
                if other.kind == "video":
                    tap_video_receiver(other.receiver, _drop, self._tasks.spawn)
                else:
                    tap_receiver(other.receiver, _drop)

        answer = await self._negotiate(peer, apply_offer)
        self._channel_for_new_peer(peer).attach_subscriber(peer_id, track)
        return answer

    async def switch_subscription(self, peer_id: str, channel_id: str) -> None:
        """Move a subscriber to another channel, keeping its track (no renegotiation)."""
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER or peer.track is None:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        new = self._channel(channel_id)
        if peer.channel_id == channel_id:
            return
        if (new.kind is MediaKind.VIDEO) != isinstance(peer.track, VideoForwardingTrack):
            raise MediaPlaneError(f"{peer_id!r} cannot switch to {new.kind} channel {channel_id!r}")
        if peer.channel_id is not None and (old := self._channels.get(peer.channel_id)):
            old.detach_subscriber(peer_id)
        if isinstance(peer.track, VideoForwardingTrack):
            peer.track.restart()
        else:
            peer.track.flush()
        new.attach_subscriber(peer_id, peer.track)
        peer.channel_id = channel_id

    @property
    def simulcast(self) -> bool:
        """False: aiortc 1.16 sends and receives no simulcast, so each camera sends one
        picture, which every viewer gets."""
        return False

    async def choose_layer(self, peer_id: str, layer: VideoLayer) -> None:
        """Nothing to choose: a camera sends one layer here. Only checks the request.

        :raises UnknownPeerError: ``peer_id`` is not a subscriber.
        :raises MediaPlaneError: it receives audio.
        :raises ValueError: ``layer`` is not a :class:`~interpreta.media.plane.VideoLayer`.
        """
        VideoLayer(layer)
        peer = self._peers.get(peer_id)
        if peer is None or peer.role is not PeerRole.SUBSCRIBER or peer.track is None:
            raise UnknownPeerError(f"{peer_id!r} is not a subscriber")
        if not isinstance(peer.track, VideoForwardingTrack):
            raise MediaPlaneError(f"{peer_id!r} receives audio: it has no video layers")

    async def close_peer(self, peer_id: str) -> None:
        """Close a peer connection and detach it; unknown ids are ignored."""
        peer = self._peers.get(peer_id)
        if peer is None:
            return
        self._detach(peer)
        await peer.pc.close()

    def on_peer_state(self, listener: PeerStateListener) -> Callable[[], None]:
        """Call ``listener`` on every peer connection state change; returns a remover."""
        return self._listeners.add(listener)

    async def shutdown(self) -> None:
        """Close every peer and channel."""
        self._shut_down = True
        await asyncio.gather(*(self.close_peer(peer_id) for peer_id in list(self._peers)))
        self._channels.clear()
        await self._tasks.wait()

    # --- internals -----------------------------------------------------------------------

    def _publisher(self, peer_id: str) -> Publisher:
        """The ingress of `peer_id`, an attached publisher of any channel.

        :raises UnknownPeerError: no such publisher (or it is still negotiating).
        """
        peer = self._peers.get(peer_id)
        home = None if peer is None else self._channels.get(peer.channel_id or "")
        ingress = None if peer is None else peer.ingress
        if home is None or ingress is None or home.publishers.get(peer_id) is not ingress:
            raise UnknownPeerError(f"{peer_id!r} is not a publisher")
        return ingress

    def _state(self, peer_id: str) -> str:
        peer = self._peers.get(peer_id)
        return "closed" if peer is None else peer.pc.connectionState

    def _new_peer_connection(self) -> RTCPeerConnection:
        return RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice_servers)))

    def _add_peer(self, peer: _Peer) -> _Peer:
        self._check_new_peer_id(peer.peer_id)
        self._peers[peer.peer_id] = peer
        peer.pc.on("connectionstatechange", lambda: self._on_state(peer))
        return peer

    async def _negotiate(self, peer: _Peer, apply_offer: Callable[[], Awaitable[None]]) -> str:
        """Apply the offer, answer, gather candidates; undo everything on failure.

        The peer is closed if it is not connected within the plane's ``connect_timeout``:
        ICE does not fail by itself while it waits for checks or a nomination.
        """
        pc = peer.pc
        try:
            await apply_offer()
            answer = await pc.createAnswer()
            with host_addresses(self._host_addresses):
                await pc.setLocalDescription(answer)
        except BaseException:
            self._detach(peer)
            await pc.close()
            raise
        if peer.closed:
            raise UnknownPeerError(f"peer {peer.peer_id!r} was closed while connecting")
        peer.deadline = asyncio.get_running_loop().call_later(
            self._connect_timeout, self._close_unless_connected, peer
        )
        return pc.localDescription.sdp

    def _close_unless_connected(self, peer: _Peer) -> None:
        if not peer.closed and peer.pc.connectionState in ("new", "connecting"):
            logger.info("peer %s did not connect in time; closing it", peer.peer_id)
            self._tasks.spawn(self.close_peer(peer.peer_id))

    def _channel_for_new_peer(self, peer: _Peer) -> Channel:
        """The channel a peer that just negotiated joins, unless it closed meanwhile."""
        channel = self._channels.get(peer.channel_id or "")
        if channel is None or self._shut_down:
            self._tasks.spawn(self.close_peer(peer.peer_id))
            raise UnknownChannelError(f"channel {peer.channel_id!r} closed while connecting")
        return channel

    def _detach(self, peer: _Peer) -> None:
        if self._peers.get(peer.peer_id) is peer:
            del self._peers[peer.peer_id]
        peer.closed = True
        if peer.deadline is not None:
            peer.deadline.cancel()
        channel = self._channels.get(peer.channel_id or "")
        if channel is not None:
            if peer.role is PeerRole.PUBLISHER:
                channel.detach_publisher(peer.peer_id)
            else:
                channel.detach_subscriber(peer.peer_id)
        if peer.ingress is not None:
            peer.ingress.leave()  # off air wherever it was, if its channel had gone
        if peer.track is not None:
            peer.track.stop()

    def _on_state(self, peer: _Peer) -> None:
        state = peer.pc.connectionState
        change = PeerStateChange(peer.peer_id, peer.channel_id, peer.role, state)
        self._listeners.tell(change, self._tasks.spawn)
        if state == "failed":
            self._detach(peer)
            self._tasks.spawn(peer.pc.close())
        elif state == "closed":
            self._detach(peer)
