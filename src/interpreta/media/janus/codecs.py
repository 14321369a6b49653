"""What a channel's stream carries on Janus: its codec, and how SDP and Janus name it.

An audio channel carries Opus. A video channel carries the plane's video codec, VP8 or
H.264 (one per plane, :data:`~interpreta.media.plane.VIDEO_CODECS`), forwarded as it
was encoded. A :class:`StreamCodec` says:

* how SDP names the codec, and which payload type of an offer carries it
  (:meth:`StreamCodec.payload_type`; for H.264, the one the plane's stream decodes on);
* which RTCP feedback a viewer's answers keep: none for Opus; for video NACK, and PLI
  and FIR, so that a viewer's key frame requests reach the on-air camera;
* what the channel's VideoRoom room is created with (the only codec its publishers'
  answers accept) and what its Streaming mountpoint is created with (the stream, and for
  video its RTCP port, where key frame requests go back to the forwarder, and two more
  RTP ports for the layers of a simulcast camera).

A video mountpoint does not buffer the last key frame (Streaming ``bufferkf``): Janus
1.1.2 marks "no key frame being saved" with timestamp 0, which is the first timestamp of
every VideoRoom forwarder, so a forwarder's first frame is saved in front of the next
key frame. A new viewer can then be sent that stale frame, a gap in the sequence
numbers, and the key frame; a receiver that assembles frames strictly in sequence
(aiortc) waits seconds for packets that never come (measured: 1 to 6 viewers in 100).
Janus 1.3.3 rewrote the buffering. New viewers get a key frame asked for instead (see
:mod:`interpreta.media.janus.plane`).

H.264 is constrained baseline (``profile-level-id=42e01f``, ``packetization-mode=1``):
what every browser sends and decodes, and what the room makes its publishers send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interpreta.media.plane import VIDEO_CODECS, MediaKind

__all__ = ["H264", "OPUS", "VP8", "StreamCodec", "stream_codec", "video_codec_named"]

H264_PROFILE = "42e01f"
"The H.264 profile and level the rooms ask their publishers for (constrained baseline 3.1)."


@dataclass(frozen=True)
class StreamCodec:
    """The codec of a channel's one stream, as SDP and Janus name it."""

    kind: MediaKind
    "What the channel carries."
    name: str
    "The encoding name in SDP's ``a=rtpmap`` (``opus``, ``VP8``, ``H264``)."
    clock: str
    "What follows the name in ``a=rtpmap``: clock rate (and channels)."
    janus: str
    "Janus's name of the codec (rooms' ``audiocodec``/``videocodec``, mountpoints' ``codec``)."
    channel_payload_type: int
    "The payload type of the channel mountpoints (a viewer gets its own, see ``plane``)."
    feedback: tuple[str, ...] = ()
    "The ``a=rtcp-fb`` values a viewer's answers keep, where both offers have them."
    fmtp: str | None = None
    "The ``a=fmtp`` parameters the channel mountpoints announce, if any."

    def rtpmap(self, payload_type: int) -> str:
        """The ``a=rtpmap`` line of this codec on ``payload_type``."""
        return f"a=rtpmap:{payload_type} {self.name}/{self.clock}"

    def names(self, encoding: str) -> bool:
        """Whether an ``a=rtpmap`` encoding (``VP8/90000``) is this codec."""
        return encoding.split("/")[0].lower() == self.name.lower()

    def payload_type(self, candidates: list[tuple[int, str | None]]) -> int | None:
        """Of an m-line's payload types of this codec, with their ``a=fmtp`` parameters,
        in the offer's order: the one to answer on, ``None`` if none will do.

        For H.264 only ``packetization-mode=1`` will do, the constrained baseline
        profile (``42e0``) first, then baseline (``4200``, which decodes it), then any.
        """
        if self.name != "H264":
            return candidates[0][0] if candidates else None
        usable = [(pt, _h264_profile(fmtp)) for pt, fmtp in candidates if _single_nal(fmtp)]
        for prefix in ("42e0", "4200", ""):
            for pt, profile in usable:
                if profile.startswith(prefix):
                    return pt
        return None

    def room_fields(self) -> dict[str, Any]:
        """The VideoRoom ``create`` fields of a room for this codec's publishers."""
        if self.kind is MediaKind.AUDIO:
            return {"audiocodec": self.janus, "opus_fec": True}
        fields: dict[str, Any] = {"videocodec": self.janus, "audiocodec": "opus"}
        if self.name == "H264":
            fields["h264_profile"] = H264_PROFILE
        return fields

    def medium(
        self,
        payload_type: int,
        iface: str,
        *,
        fmtp: str | None = None,
        feedback: bool = False,
        simulcast: bool = False,
    ) -> dict[str, Any]:
        """The Streaming ``create`` media item of an RTP mountpoint of this codec.

        :param fmtp: announced in Janus's offers (the codec's own by default).
        :param feedback: give a video stream an RTCP port (Janus relays the viewers' key
            frame requests to whoever sends it RTP, i.e. the forwarder).
        :param simulcast: a video stream takes three layers, on its port and on ``port2``
            and ``port3`` (the low, medium and high one), and each viewer is sent the
            layer it chose (Streaming ``configure`` with ``substream``). A source with
            one layer sends to the first port only; its viewers get that.
        """
        medium: dict[str, Any] = {"type": self.kind.value, "mid": self.kind.value[0], "port": 0}
        medium |= {"iface": iface, "pt": payload_type, "codec": self.janus}
        if fmtp or self.fmtp:
            medium["fmtp"] = fmtp or self.fmtp
        if feedback and self.kind is MediaKind.VIDEO:
            medium["rtcpport"] = 0
        if simulcast and self.kind is MediaKind.VIDEO:
            medium |= {"simulcast": True, "port2": 0, "port3": 0}
        return medium


def _fmtp_parameters(fmtp: str | None) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for item in (fmtp or "").split(";"):
        name, _, value = item.strip().partition("=")
        if name:
            parameters[name.lower()] = value.strip()
    return parameters


def _single_nal(fmtp: str | None) -> bool:
    """Whether H.264 ``a=fmtp`` parameters say ``packetization-mode=1``."""
    return _fmtp_parameters(fmtp).get("packetization-mode") == "1"


def _h264_profile(fmtp: str | None) -> str:
    return _fmtp_parameters(fmtp).get("profile-level-id", "").lower()


OPUS = StreamCodec(MediaKind.AUDIO, "opus", "48000/2", "opus", 111)
"Opus, the codec of every audio channel (111: what browsers offer)."

_VIDEO_FEEDBACK = ("nack", "nack pli", "ccm fir")

VP8 = StreamCodec(MediaKind.VIDEO, "VP8", "90000", "vp8", 96, _VIDEO_FEEDBACK)
"VP8 video."

H264 = StreamCodec(
    MediaKind.VIDEO,
    "H264",
    "90000",
    "h264",
    102,
    _VIDEO_FEEDBACK,
    f"profile-level-id={H264_PROFILE};packetization-mode=1",
)
"H.264 video, constrained baseline."


def video_codec_named(name: str) -> StreamCodec:
    """The video codec named `name` (one of :data:`~interpreta.media.plane.VIDEO_CODECS`).

    :raises ValueError: not a video codec the plane forwards.
    """
    if name not in VIDEO_CODECS:
        raise ValueError(f"video codec {name!r} is not one of {', '.join(VIDEO_CODECS)}")
    return VP8 if name == "VP8" else H264


def stream_codec(kind: MediaKind, video: StreamCodec) -> StreamCodec:
    """The codec of a channel of `kind` on a plane whose video codec is `video`."""
    return OPUS if kind is MediaKind.AUDIO else video
