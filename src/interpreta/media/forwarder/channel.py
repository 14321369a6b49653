"""A channel: its publishers, the one on air, and the fan-out to its subscribers."""

from __future__ import annotations

from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.track import ForwardedPacket, ForwardingTrack
from interpreta.media.plane import UnknownPeerError

__all__ = ["Channel"]


class Channel:
    """One audio channel: publishers attach, one is the source, subscribers receive it."""

    def __init__(self, channel_id: str) -> None:
        self.channel_id = channel_id
        "The channel's id."
        self.publishers: dict[str, Ingress] = {}
        "Attached publishers by peer id."
        self.subscribers: dict[str, ForwardingTrack] = {}
        "Subscribers' outgoing tracks by peer id."
        self.source: Ingress | None = None
        "The publisher on air."
        self.packets_forwarded = 0
        "Source packets fanned out."
        self._tracks: tuple[ForwardingTrack, ...] = ()

    def attach_publisher(self, ingress: Ingress) -> None:
        """Attach a publisher (not on air)."""
        ingress.channel = self
        self.publishers[ingress.peer_id] = ingress

    def detach_publisher(self, peer_id: str) -> None:
        """Detach a publisher; if it was on air, the channel has no source."""
        ingress = self.publishers.pop(peer_id, None)
        if ingress is None:
            return
        ingress.channel = None
        if self.source is ingress:
            self.source = None

    def set_source(self, peer_id: str | None) -> None:
        """Put a publisher on air, or nobody.

        :raises UnknownPeerError: ``peer_id`` is not a publisher of this channel.
        """
        if peer_id is None:
            self.source = None
            return
        ingress = self.publishers.get(peer_id)
        if ingress is None:
            raise UnknownPeerError(f"{peer_id!r} is not a publisher of channel {self.channel_id!r}")
        self.source = ingress

    def attach_subscriber(self, peer_id: str, track: ForwardingTrack) -> None:
        """Start feeding a subscriber's track from this channel."""
        self.subscribers[peer_id] = track
        self._tracks = tuple(self.subscribers.values())

    def detach_subscriber(self, peer_id: str) -> ForwardingTrack | None:
        """Stop feeding a subscriber; returns its track if it was here."""
        track = self.subscribers.pop(peer_id, None)
        self._tracks = tuple(self.subscribers.values())
        return track

    def forward(self, packet: ForwardedPacket) -> None:
        """Fan one source packet out to every subscriber."""
        self.packets_forwarded += 1
        for track in self._tracks:
            track.push(packet)
