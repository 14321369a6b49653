"""A channel: its publishers, the one on air, and the fan-out to its subscribers."""

from __future__ import annotations

from typing import Any

from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.track import ForwardingTrack
from interpreta.media.forwarder.video_ingress import VideoIngress
from interpreta.media.forwarder.video_track import VideoForwardingTrack
from interpreta.media.plane import MediaKind, UnknownPeerError

__all__ = ["Channel"]

Publisher = Ingress | VideoIngress
"""Where a publisher's media enters a channel: Opus packets, or video frames."""
Subscriber = ForwardingTrack | VideoForwardingTrack
"""A subscriber's outgoing track: forwarded Opus packets, or forwarded video frames."""


class Channel:
    """One channel: publishers attach, one is the source, subscribers receive it.

    An audio channel forwards Opus packets; a video channel forwards whole frames, and
    passes its viewers' requests for a key frame on to its source.
    """

    def __init__(self, channel_id: str, kind: MediaKind = MediaKind.AUDIO) -> None:
        self.channel_id = channel_id
        "The channel's id."
        self.kind = kind
        "What it carries."
        self.publishers: dict[str, Publisher] = {}
        "Attached publishers by peer id."
        self.subscribers: dict[str, Subscriber] = {}
        "Subscribers' outgoing tracks by peer id."
        self.source: Publisher | None = None
        "The publisher on air."
        self.packets_forwarded = 0
        "Source packets (or frames) fanned out."
        self._tracks: tuple[Subscriber, ...] = ()

    def attach_publisher(self, ingress: Publisher) -> None:
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
        if self.kind is MediaKind.VIDEO:  # even the same source again: frames were missed
            for track in self._tracks:
                if isinstance(track, VideoForwardingTrack):
                    track.restart()
            self.request_key_frame()  # its viewers start on it from its next key frame

    def attach_subscriber(self, peer_id: str, track: Subscriber) -> None:
        """Start feeding a subscriber's track from this channel."""
        self.subscribers[peer_id] = track
        self._tracks = tuple(self.subscribers.values())
        if isinstance(track, VideoForwardingTrack):
            track.want_key_frame = self.request_key_frame
            self.request_key_frame()

    def detach_subscriber(self, peer_id: str) -> Subscriber | None:
        """Stop feeding a subscriber; returns its track if it was here."""
        track = self.subscribers.pop(peer_id, None)
        self._tracks = tuple(self.subscribers.values())
        return track

    def request_key_frame(self) -> None:
        """Ask the source for a key frame (a video channel's viewer needs one)."""
        source = self.source
        if isinstance(source, VideoIngress):
            source.request_key_frame()

    def forward(self, packet: Any) -> None:
        """Fan one source packet (audio) or frame (video) out to every subscriber."""
        self.packets_forwarded += 1
        for track in self._tracks:
            track.push(packet)
