"""The Janus media backend: the media plane on a Janus server (Debian package ``janus``).

Publishers join a VideoRoom room per channel; the on-air one is ``rtp_forward``ed,
untouched (Opus, or VP8 or H.264 video), to the channel's Streaming mountpoint, which the
subscribers watch. See
:mod:`interpreta.media.janus.plane` (one server), :mod:`interpreta.media.janus.fleet`
(several, surviving the loss of one) and ``docs/media.md``.
"""

from interpreta.media.janus.fleet import JanusFleet
from interpreta.media.janus.plane import JanusMediaPlane

__all__ = ["JanusFleet", "JanusMediaPlane"]
