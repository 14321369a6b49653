"""The media plane: Opus and video from publishers to subscribers, behind one interface.

The control plane drives a :class:`~interpreta.media.plane.MediaPlane`; which backend
implements it (the embedded aiortc forwarder in :mod:`interpreta.media.forwarder`, or a
Janus, :mod:`interpreta.media.janus`) is none of its business.
"""

from interpreta.media.plane import (
    VIDEO_CODECS,
    ChannelStats,
    MediaKind,
    MediaPlane,
    MediaPlaneError,
    PeerExistsError,
    PeerRole,
    PeerStateChange,
    PeerStateListener,
    PublisherStats,
    SubscriberStats,
    UnknownChannelError,
    UnknownPeerError,
    VideoLayer,
)

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
