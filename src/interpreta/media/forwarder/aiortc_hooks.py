"""Every use of aiortc (and aioice) private internals, in one place.

aiortc has no public API to take encoded media where RTP arrives, and its maintainer
declined one (aiortc issue 449). The forwarder needs three things from it:

1. **Receive path**: the Opus payload of each RTP packet as it arrives, before
   ``RTCRtpReceiver``'s jitter buffer and decoder. :func:`tap_receiver` replaces the
   receiver's ``_handle_rtp_packet`` (called by ``RTCDtlsTransport._handle_rtp_data``)
   on that one instance. The jitter buffer and the decoder never see the packets, so
   nothing accumulates in the receiver's track queue whether anyone listens or not.
   The receiver's own RTCP statistics (``__remote_streams``) are still fed, so its
   receiver reports keep going to the publisher. :func:`tap_video_receiver` does the
   same for video, and keeps what video needs from the receiver: retransmissions (RTX)
   unwrapped, NACKs for lost packets (``__nack_generator``, ``_send_rtcp_nack``), each
   payload depayloaded (``aiortc.codecs.depayload``); :func:`request_key_frame` sends
   the publisher a picture loss indication (``_send_rtcp_pli``).
2. **Send path**: ``RTCRtpSender._next_encoded_frame`` packetises an ``av.Packet``
   returned by the track's ``recv()`` with the codec's ``pack()`` instead of encoding
   it. That is documented behaviour; :func:`sender_packet` builds such a packet (and
   a whole video frame, with :data:`VIDEO_TIME_BASE`). A viewer's request for a key
   frame (PLI or FIR) reaches the sender's ``_send_keyframe``, which only flags its
   encoder; :func:`on_key_frame_request` replaces it on one sender, so the request can
   go on to the publisher.
3. **ICE host addresses**: aioice gathers host candidates from every interface but
   loopback (``aioice.ice.get_host_addresses``). :func:`host_addresses` overrides the
   list for the peer connections whose candidates are gathered inside it (a context
   variable, so other code in the process is unaffected).

:func:`check_internals` verifies, at import, that the pinned aiortc version is installed
and that these private names still exist, and fails with a clear error if not.
"""

from __future__ import annotations

import fractions
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aioice.ice
import aiortc
import av
from aiortc.codecs import depayload, is_rtx
from aiortc.codecs.opus import OpusEncoder
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket, unwrap_rtx

__all__ = [
    "AIORTC_VERSION",
    "OPUS_TIME_BASE",
    "VIDEO_TIME_BASE",
    "AiortcInternalsError",
    "RtpPacket",
    "check_internals",
    "host_addresses",
    "on_key_frame_request",
    "request_key_frame",
    "sender_packet",
    "tap_receiver",
    "tap_video_receiver",
]

AIORTC_VERSION = "1.16.0"
"""The aiortc version whose internals this module was written against (pinned)."""

OPUS_TIME_BASE = fractions.Fraction(1, 48000)
"""Opus RTP clock: 48 kHz."""

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
"""Video RTP clock: 90 kHz."""

_RECEIVER_CODECS = "_RTCRtpReceiver__codecs"
_RECEIVER_STREAMS = "_RTCRtpReceiver__remote_streams"
_RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"
_RECEIVER_NACK = "_RTCRtpReceiver__nack_generator"


class AiortcInternalsError(ImportError):
    """The installed aiortc (or aioice) does not have the internals the forwarder uses."""


def _code_names(function: Any) -> set[str]:
    return set(function.__code__.co_names)


def check_internals() -> None:
    """Verify the aiortc version and every private name this module relies on.

    :raises AiortcInternalsError: with the list of what is missing.
    """
    problems: list[str] = []
    if aiortc.__version__ != AIORTC_VERSION:
        problems.append(f"aiortc {aiortc.__version__} is installed, {AIORTC_VERSION} is pinned")
    handle = getattr(RTCRtpReceiver, "_handle_rtp_packet", None)
    if handle is None:
        problems.append("RTCRtpReceiver._handle_rtp_packet is gone")
    else:
        for name in (_RECEIVER_CODECS, _RECEIVER_STREAMS, _RECEIVER_RTX_SSRC, _RECEIVER_NACK):
            if name not in _code_names(handle):
                problems.append(f"RTCRtpReceiver._handle_rtp_packet no longer uses {name}")
    for method in ("_send_rtcp_nack", "_send_rtcp_pli"):
        if not callable(getattr(RTCRtpReceiver, method, None)):
            problems.append(f"RTCRtpReceiver.{method} is gone")
    handle_rtcp = getattr(RTCRtpSender, "_handle_rtcp_packet", None)
    if handle_rtcp is None or "_send_keyframe" not in _code_names(handle_rtcp):
        problems.append("RTCRtpSender._handle_rtcp_packet no longer calls _send_keyframe")
    route = getattr(RTCDtlsTransport, "_handle_rtp_data", None)
    if route is None or "_handle_rtp_packet" not in _code_names(route):
        problems.append("RTCDtlsTransport._handle_rtp_data no longer calls _handle_rtp_packet")
    if not hasattr(StreamStatistics, "add"):
        problems.append("aiortc.rtcrtpreceiver.StreamStatistics.add is gone")
    next_frame = getattr(RTCRtpSender, "_next_encoded_frame", None)
    if next_frame is None or "pack" not in _code_names(next_frame):
        problems.append("RTCRtpSender._next_encoded_frame no longer packs pre-encoded packets")
    if not callable(getattr(OpusEncoder, "pack", None)):
        problems.append("aiortc.codecs.opus.OpusEncoder.pack is gone")
    gather = getattr(aioice.ice.Connection, "gather_candidates", None)
    if not callable(getattr(aioice.ice, "get_host_addresses", None)) or (
        gather is None or "get_host_addresses" not in _code_names(gather)
    ):
        problems.append("aioice.ice.Connection.gather_candidates no longer uses get_host_addresses")
    if problems:
        raise AiortcInternalsError(
            "interpreta.media.forwarder relies on aiortc internals that changed: "
            + "; ".join(problems)
            + ". Pin aiortc=="
            + AIORTC_VERSION
            + " or port media/forwarder/aiortc_hooks.py."
        )


check_internals()


# --- receive path ------------------------------------------------------------------------

RtpCallback = Callable[[RtpPacket], None]


def tap_receiver(receiver: RTCRtpReceiver, on_packet: RtpCallback, *, decode: bool = False) -> None:
    """Hand every Opus RTP packet arriving at ``receiver`` to ``on_packet``.

    Call it before the connection starts receiving (right after setting the remote
    description). ``on_packet`` runs on the event loop, synchronously, for each packet of
    a negotiated Opus payload type; other payload types are dropped.

    With ``decode=False`` (the forwarder) the jitter buffer and the decoder are bypassed:
    the receiver's track never gets a frame. ``decode=True`` (tests, probes) also runs
    aiortc's normal path after ``on_packet``.
    """
    original = receiver._handle_rtp_packet
    opus_types: set[int] = set()
    streams: dict[int, StreamStatistics] = getattr(receiver, _RECEIVER_STREAMS)

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        if not opus_types:
            # Filled by RTCRtpReceiver.receive() before the transport routes packets here.
            codecs = getattr(receiver, _RECEIVER_CODECS)
            opus_types.update(pt for pt, c in codecs.items() if c.name.lower() == "opus")
        if decode:
            on_packet_if_opus(packet)
            await original(packet, arrival_time_ms)
            return
        if packet.payload_type not in opus_types:
            return
        # Feed the receiver's statistics so its RTCP receiver reports stay right.
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(48000)
        stats.add(packet)
        on_packet(packet)

    def on_packet_if_opus(packet: RtpPacket) -> None:
        if packet.payload_type in opus_types:
            on_packet(packet)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


VideoCallback = Callable[[RtpPacket, bytes], None]
"""Takes one video RTP packet and its depayloaded data (a part of an encoded frame)."""


def tap_video_receiver(
    receiver: RTCRtpReceiver,
    on_packet: VideoCallback,
    spawn: Callable[[Any], None],
) -> None:
    """Hand every video RTP packet arriving at ``receiver`` to ``on_packet``, depayloaded.

    Like :func:`tap_receiver` the jitter buffer and the decoder are bypassed; unlike it,
    retransmissions are unwrapped and lost packets are NACKed, as aiortc's own path does
    (the NACK is a coroutine handed to ``spawn``). Call it right after setting the remote
    description.
    """
    streams: dict[int, StreamStatistics] = getattr(receiver, _RECEIVER_STREAMS)

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        codecs = getattr(receiver, _RECEIVER_CODECS)
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)
        if is_rtx(codec):
            original_ssrc = getattr(receiver, _RECEIVER_RTX_SSRC).get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = codecs[apt]
        nacks = getattr(receiver, _RECEIVER_NACK)
        if nacks is not None and nacks.add(packet):
            spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nacks.missing)))
        try:
            data = depayload(codec, packet.payload) if packet.payload else b""
        except ValueError:
            return
        on_packet(packet, data)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


def request_key_frame(receiver: RTCRtpReceiver, ssrc: int) -> Awaitable[None]:
    """Ask the publisher of stream ``ssrc`` for a key frame (an RTCP PLI); await it."""
    return receiver._send_rtcp_pli(ssrc)


def on_key_frame_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the viewer at the other end of ``sender`` asks for a key
    frame (PLI or FIR), instead of flagging an encoder the forwarder does not use."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


# --- send path ---------------------------------------------------------------------------


def sender_packet(
    payload: bytes, pts: int, time_base: fractions.Fraction = OPUS_TIME_BASE
) -> av.Packet:
    """An encoded packet (Opus, or a whole video frame) that ``RTCRtpSender`` sends as is.

    ``pts`` is in ``time_base`` (1/48000 s for Opus, 1/90000 s for video); the sender
    adds its random origin to make the RTP timestamp, and packetises a video frame.
    """
    packet = av.Packet(payload)
    packet.pts = pts
    packet.time_base = time_base
    return packet


# --- ICE host candidates -----------------------------------------------------------------

_host_addresses: ContextVar[tuple[str, ...] | None] = ContextVar(
    "interpreta_ice_host_addresses", default=None
)
_aioice_get_host_addresses = aioice.ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    addresses = _host_addresses.get()
    if addresses is None:
        return _aioice_get_host_addresses(use_ipv4, use_ipv6)
    return list(addresses)


aioice.ice.get_host_addresses = _get_host_addresses


@contextmanager
def host_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """Gather ICE host candidates on exactly ``addresses`` inside this block.

    ``None`` keeps aioice's default (every interface address except loopback). Wrap the
    ``setLocalDescription`` call (that is where aiortc gathers). Example: ``("127.0.0.1",)``
    for peers that only talk over loopback.
    """
    token = _host_addresses.set(None if addresses is None else tuple(addresses))
    try:
        yield
    finally:
        _host_addresses.reset(token)
