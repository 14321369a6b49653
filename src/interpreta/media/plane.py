"""The interface the control plane drives: channels, publishers, subscribers, sources.

Vocabulary (ISO 20109 console functions mapped onto a packet plane):

* A **channel** carries one stream to its subscribers. An *audio* channel (the default)
  carries Opus: the floor of a topic, or one interpretation language. A *video* channel
  carries one picture, VP8 or H.264 as the plane was configured: a speaker's camera, a
  shared screen, a sign-language interpreter, a booth's camera. Video is forwarded as it
  was encoded, never transcoded; a viewer that joins or switches gets a key frame first
  (the plane asks the source for one).
* A **publisher** is a peer connection that sends Opus (or video) to a channel (a speaker's or an
  interpreter's microphone). Several can be attached to one channel (booth mates).
* The channel's **source** is the one publisher that is on air; only its packets are
  forwarded. Changing it is the *handover*; ``None`` is the *mic off* / cough key.
  The source may also be a publisher of *another* channel of the same kind, a
  **borrowed source**: a booth doing a *retour* puts its interpreter's microphone (a
  publisher of its own language's channel) on the retour channel, and a *talkback*
  channel between booth mates carries one interpreter's microphone. One publisher can
  thus feed several channels at once, each forwarding it independently.
* A **subscriber** is a peer connection that receives one channel (a listener, or an
  interpreter taking the floor or a *relay*). It can be moved to another channel without
  renegotiation.
* A **layer** is one of the pictures a *simulcast* camera sends at once, the same picture
  at three sizes (:class:`VideoLayer`). A plane whose publishers may send simulcast
  (:attr:`MediaPlane.simulcast`) forwards every layer, and each video subscriber gets the
  one it chose (:meth:`MediaPlane.choose_layer`; the highest by default): a gallery tile
  takes the small picture, the stage the large one. A plane without simulcast forwards the
  one picture each camera sends.

Every peer connection has its own ``peer_id``: a participant who both publishes and
listens (an interpreter) uses two peer connections, e.g. ``"u42:mic"`` and ``"u42:ear"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

__all__ = [
    "VIDEO_CODECS",
    "ChannelStats",
    "MediaKind",
    "MediaPlane",
    "MediaPlaneError",
    "PeerExistsError",
    "PeerRole",
    "PeerStateChange",
    "PeerStateListener",
    "PublisherStats",
    "SubscriberStats",
    "UnknownChannelError",
    "UnknownPeerError",
    "VideoLayer",
]


class MediaPlaneError(Exception):
    """Base class of the errors a media plane raises for a wrong request."""


class UnknownChannelError(MediaPlaneError, KeyError):
    """The channel is not open."""


class UnknownPeerError(MediaPlaneError, KeyError):
    """No peer with this id (or not one of the expected role or channel)."""


class PeerExistsError(MediaPlaneError):
    """A peer with this id is already attached: peer ids name one peer connection each."""


class MediaKind(StrEnum):
    """What a channel carries."""

    AUDIO = "audio"
    VIDEO = "video"


VIDEO_CODECS = ("VP8", "H264")
"""The video codecs a plane forwards (one per plane, chosen when it is made)."""


class VideoLayer(StrEnum):
    """One of the layers of a simulcast camera, from the smallest picture to the largest.

    A simulcast publisher sends its picture three times, at a quarter, half and the full
    size (browsers: ``sendEncodings`` with ``scaleResolutionDownBy`` 4, 2 and 1).
    """

    LOW = "low"
    "A quarter of the camera's size (320x180 of a 720p camera): gallery tiles."
    MEDIUM = "medium"
    "Half the camera's size (640x360 of a 720p camera)."
    HIGH = "high"
    "The camera's own size: the stage, a pinned picture. What a new viewer gets."

    @property
    def number(self) -> int:
        """The layer's number, 0 (low) to 2 (high): Janus's ``substream``."""
        return _LAYER_INDEX[self]


_LAYER_INDEX = {VideoLayer.LOW: 0, VideoLayer.MEDIUM: 1, VideoLayer.HIGH: 2}


class PeerRole(StrEnum):
    """What a peer connection does on the plane."""

    PUBLISHER = "publisher"
    SUBSCRIBER = "subscriber"


@dataclass(frozen=True, slots=True)
class PeerStateChange:
    """A peer connection changed state.

    ``state`` is the WebRTC ``RTCPeerConnectionState`` (``"connecting"``, ``"connected"``,
    ``"failed"``, ``"closed"`` ...). After ``"failed"`` the plane closes the peer itself
    and a ``"closed"`` change follows; ``"closed"`` is always the last change of a peer,
    whoever closed it.
    """

    peer_id: str
    "The peer connection's id, as given to :meth:`MediaPlane.publish`/``subscribe``."
    channel_id: str | None
    "The channel the peer was attached to when the change happened."
    role: PeerRole
    "Publisher or subscriber."
    state: str
    "The new connection state."


PeerStateListener = Callable[[PeerStateChange], Awaitable[None] | None]
"""A callback for :meth:`MediaPlane.on_peer_state`: plain function or coroutine function."""


@dataclass(frozen=True, slots=True)
class PublisherStats:
    """Counters of one publisher of a channel."""

    peer_id: str
    "The publisher's peer id."
    state: str
    "Its connection state."
    on_air: bool
    "Whether it is this channel's source (channels that borrow it name it as theirs)."
    packets_received: int
    "RTP packets received from it (forwarded or not)."
    bytes_received: int
    "Payload bytes received from it."
    packets_stale: int
    "Packets dropped on arrival as too late to be live (the plane had fallen behind)."
    last_packet_age: float | None
    "Seconds since its last packet, ``None`` if none yet."
    packets_lost: int
    """Packets it sent that never arrived: from RTP sequence-number gaps, expected less
    received (RFC 3550 A.3), added up over its streams (SSRCs); never negative."""
    jitter: float | None
    """RFC 3550 interarrival jitter of its packets, in seconds (from the RTP clock of its
    stream: 48 kHz for Opus, 90 kHz for video); ``None`` before two packets."""


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    """Counters of one subscriber of a channel."""

    peer_id: str
    "The subscriber's peer id."
    state: str
    "Its connection state."
    packets_sent: int
    "Packets (of a video channel: frames) handed to its RTP sender."
    packets_late: int
    "Of those, packets that waited longer than the plane's lateness threshold."
    packets_dropped: int
    "Packets dropped because it did not keep up (its queue was full)."
    queued: int
    "Packets waiting in its queue now."


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """A snapshot of one channel."""

    channel_id: str
    "The channel's id."
    kind: MediaKind
    "What it carries."
    source: str | None
    "The publisher on air (its own or a borrowed one), or ``None``."
    packets_forwarded: int
    "Source packets fanned out to the subscribers (each counted once)."
    publishers: tuple[PublisherStats, ...]
    "Its own publishers (not a borrowed source)."
    subscribers: tuple[SubscriberStats, ...]
    "Its subscribers."

    @property
    def listener_count(self) -> int:
        """The number of subscribers."""
        return len(self.subscribers)


@runtime_checkable
class MediaPlane(Protocol):
    """What the control plane needs from a media backend.

    SDP goes in and out as strings; ICE candidates are gathered before the answer is
    returned (no trickle), so one offer/answer exchange sets a peer up.
    """

    async def open_channel(self, channel_id: str, kind: MediaKind = MediaKind.AUDIO) -> None:
        """Open a channel of `kind`; opening an open channel does nothing.

        :raises MediaPlaneError: the channel is open with another kind.
        """
        ...

    async def close_channel(self, channel_id: str) -> None:
        """Close a channel and every peer attached to it; unknown channels are ignored.

        Channels that borrowed one of its publishers are left with no source; a publisher
        it borrowed goes on feeding the others.
        """
        ...

    async def publish(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a publisher to a channel from its offer (``sendonly``/``sendrecv`` audio,
        or video for a video channel: the answer accepts only the plane's video codec).

        The publisher is not on air until :meth:`set_source` names it.
        Returns the answer SDP.

        :raises UnknownChannelError: the channel is not open.
        :raises PeerExistsError: ``peer_id`` is already attached.
        """
        ...

    async def set_source(self, channel_id: str, peer_id: str | None) -> None:
        """Put a publisher on air (handover), or nobody with ``None`` (mic off).

        ``peer_id`` is a publisher of this channel, or of another open channel of the same
        kind (a *borrowed source*), which then feeds both: it stays what it was in its own
        channel, on air or not, and may be borrowed by any number of channels.

        Takes effect on the next packet: the old source's packets stop being forwarded and
        the new one's start, with no overlap and continuous timestamps for the listeners.
        Closing the publisher, or its channel, leaves every channel it fed with no source;
        closing a channel that borrowed it does not touch it.

        :raises UnknownChannelError: the channel is not open.
        :raises UnknownPeerError: ``peer_id`` is not a publisher (of any open channel).
        :raises MediaPlaneError: ``peer_id`` publishes to a channel of another kind.
        """
        ...

    async def subscribe(self, channel_id: str, peer_id: str, offer_sdp: str) -> str:
        """Attach a subscriber to a channel from its ``recvonly`` offer (audio, or video
        for a video channel).

        Returns the answer SDP.

        :raises UnknownChannelError: the channel is not open.
        :raises PeerExistsError: ``peer_id`` is already attached.
        """
        ...

    async def switch_subscription(self, peer_id: str, channel_id: str) -> None:
        """Move a subscriber to another channel without renegotiation (language switch).

        The subscriber keeps its outgoing track; what feeds it changes on the next packet.

        :raises UnknownPeerError: ``peer_id`` is not a subscriber.
        :raises UnknownChannelError: the channel is not open.
        :raises MediaPlaneError: the channel is of another kind than the subscriber's.
        """
        ...

    @property
    def simulcast(self) -> bool:
        """Whether video publishers may send simulcast (three :class:`VideoLayer` at once),
        every layer forwarded, each viewer getting the one :meth:`choose_layer` chose.

        Without it (the embedded plane: aiortc 1.16 has no simulcast) a publisher sends
        one picture, and every viewer gets that.
        """
        ...

    async def choose_layer(self, peer_id: str, layer: VideoLayer) -> None:
        """Choose the layer a video subscriber receives from now on (a new one receives
        :attr:`VideoLayer.HIGH`); it stays chosen when the subscriber switches channel.

        The picture changes at the layer's next key frame, which the plane asks the
        source for. A source that sends no simulcast has one layer, which every viewer
        gets whatever it chose; so does every viewer of a plane without :attr:`simulcast`.

        :raises UnknownPeerError: ``peer_id`` is not a subscriber.
        :raises MediaPlaneError: it receives audio.
        :raises ValueError: ``layer`` is not a :class:`VideoLayer` (or its value).
        """
        ...

    async def close_peer(self, peer_id: str) -> None:
        """Close a peer connection and detach it; unknown ids are ignored.

        Closing an on-air publisher leaves every channel it was the source of (its own,
        and those that borrowed it) with no source.
        """
        ...

    def listener_count(self, channel_id: str) -> int:
        """The number of subscribers of a channel.

        :raises UnknownChannelError: the channel is not open.
        """
        ...

    def channel_stats(self, channel_id: str) -> ChannelStats:
        """A snapshot of a channel's counters.

        :raises UnknownChannelError: the channel is not open.
        """
        ...

    def on_peer_state(self, listener: PeerStateListener) -> Callable[[], None]:
        """Call ``listener`` on every peer connection state change.

        This is how the control plane learns that an interpreter dropped (``"failed"`` or
        ``"closed"``). Returns a function that removes the listener.
        """
        ...

    async def shutdown(self) -> None:
        """Close every peer and channel. The plane is not usable afterwards."""
        ...
