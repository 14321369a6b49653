"""A channel: its publishers, the one on air, and the fan-out to its subscribers.

The one on air, the source, is usually one of the channel's own publishers, but it may be
a publisher of another channel of the same kind (a *borrowed source*: an interpreter's
microphone on the channel of their retour, or on a talkback channel). The source forwards
its packets to every channel that has it on air (:mod:`~interpreta.media.forwarder.feeding`).
"""

from __future__ import annotations

from typing import Any

from interpreta.media.forwarder.ingress import Ingress
from interpreta.media.forwarder.track import ForwardingTrack
from interpreta.media.forwarder.video_ingress import VideoIngress
from interpreta.media.forwarder.video_track import VideoForwardingTrack
from interpreta.media.plane import MediaKind, MediaPlaneError

__all__ = ["Channel"]

Publisher = Ingress | VideoIngress
"""Where a publisher's media enters a channel: Opus packets, or video frames."""
Subscriber = ForwardingTrack | VideoForwardingTrack
"""A subscriber's outgoing track: forwarded Opus packets, or forwarded video frames."""


class Channel:
    """One channel: publishers attach, one is the source, subscribers receive it.

    An audio channel forwards Opus packets; a video channel forwards whole frames, and
    passes its viewers' requests for a key frame on to its source. The source may be a
    publisher of another channel (borrowed); the channel's own publishers are
    :attr:`publishers`.
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
        "The publisher on air: one of :attr:`publishers`, or borrowed from another channel."
        self.packets_forwarded = 0
        "Source packets (or frames) fanned out."
        self._tracks: tuple[Subscriber, ...] = ()

    def attach_publisher(self, ingress: Publisher) -> None:
        """Attach a publisher (not on air)."""
        self.publishers[ingress.peer_id] = ingress

    def detach_publisher(self, peer_id: str) -> None:
        """Detach a publisher; every channel it was on air in (this one, and any that
        borrowed it) has no source."""
        ingress = self.publishers.pop(peer_id, None)
        if ingress is not None:
            ingress.leave()

    def set_source(self, source: Publisher | None) -> None:
        """Put a publisher on air (one of this channel's, or another channel's of the same
        kind), or nobody; it takes effect on the source's next packet.

        :raises MediaPlaneError: `source` publishes the other kind (audio, video).
        """
        if source is not None and isinstance(source, VideoIngress) != (
            self.kind is MediaKind.VIDEO
        ):
            raise MediaPlaneError(
                f"{source.peer_id!r} does not publish {self.kind.value} ({self.channel_id!r})"
            )
        old = self.source
        if old is not None:
            old.stop_feeding(self)
        self.source = source
        if source is None:
            return
        source.start_feeding(self)
        if self.kind is MediaKind.VIDEO:  # even the same source again: frames were missed
            for track in self._tracks:
                if isinstance(track, VideoForwardingTrack):
                    track.restart()
            self.request_key_frame()  # its viewers start on it from its next key frame

    def source_left(self, source: object) -> None:
        """`source` is gone (its peer closed): if it was on air here, nobody is."""
        if self.source is source:
            self.source = None

    def close(self) -> None:
        """Take the source off air (a borrowed one feeds other channels on)."""
        self.set_source(None)

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
