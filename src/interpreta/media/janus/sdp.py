"""Crossing two offers: a subscriber's offer and the Streaming plugin's, into two answers.

The plane's subscribers offer (``recvonly`` audio, or video for a video channel) and
expect an answer. Janus 1.1.2's Streaming plugin cannot take an offer from a viewer: on
``watch`` it makes its own offer (``sendonly``) and expects an answer. The plane therefore
answers each side on the other's behalf, from the two offers, for the channel's codec (a
:class:`~interpreta.media.janus.codecs.StreamCodec`: Opus, VP8 or H.264):

* to Janus, an answer carrying the subscriber's ICE credentials, candidates and DTLS
  fingerprints, receiving the codec on the payload type of Janus's offer;
* to the subscriber, an answer carrying Janus's ICE credentials, candidates, DTLS
  fingerprints and SSRC, sending the codec on the payload type of the subscriber's offer.

Both payload types are the same: the plane has Janus offer the subscriber's own (see
:mod:`interpreta.media.janus.plane`). Each side believes it offered, so both start as
ICE controlling agents; ICE resolves that role conflict itself (RFC 8445, 7.3.1.1). The
DTLS roles are made complementary: Janus is told that the subscriber is ``passive`` (so
Janus connects as the DTLS client) and the subscriber that Janus is ``active``. That way
round the handshake starts when Janus's side of ICE is ready; the other way, the
subscriber's first ClientHello could arrive before and be lost, costing a one-second
retransmission (measured: 1 subscriber in 15). RTP header
extensions and every m-line but the first of the channel's kind are declined, and so is
every codec but the channel's (no RTX either). Audio keeps no RTCP feedback, so what
flows is plain Opus over SRTP with RTCP multiplexed; video keeps NACK, PLI and FIR where
both offers have them, so a viewer can ask for a lost packet or a key frame. No trickle:
both answers carry every candidate and ``end-of-candidates``.

A publisher's offer goes to the VideoRoom plugin as it is (the plugin answers offers);
:func:`check_publisher_offer` only refuses, before Janus sees it, one that lacks the
channel's codec, and :func:`offers_simulcast` tells whether it sends simulcast layers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from interpreta.media.janus.codecs import OPUS, StreamCodec
from interpreta.media.plane import MediaPlaneError

__all__ = [
    "MediaSection",
    "OfferError",
    "SessionDescription",
    "answer_for_janus",
    "answer_for_subscriber",
    "check_publisher_offer",
    "codec_payload_type",
    "offers_simulcast",
    "opus_payload_type",
]


class OfferError(MediaPlaneError, ValueError):
    """An offer the plane cannot answer (no m-line with the channel's codec, no ICE
    credentials)."""


@dataclass
class MediaSection:
    """One ``m=`` section: its m-line, connection line and attributes, in order."""

    kind: str
    "``audio``, ``video`` or ``application``."
    port: str
    "The m-line's port (``0``: rejected)."
    proto: str
    "The transport protocol, e.g. ``UDP/TLS/RTP/SAVPF``."
    formats: list[str]
    "The payload types (or the SCTP format)."
    connection: str | None = None
    "The ``c=`` line's value, if any."
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    "``a=`` lines as (name, value); ``value`` is ``None`` for a flag such as ``rtcp-mux``."

    def values(self, name: str) -> list[str]:
        """Every value of attribute ``name``, in order."""
        return [v for n, v in self.attributes if n == name and v is not None]

    def value(self, name: str) -> str | None:
        """The first value of attribute ``name``."""
        found = self.values(name)
        return found[0] if found else None

    def has(self, name: str) -> bool:
        """Whether attribute ``name`` is present."""
        return any(n == name for n, _ in self.attributes)

    @property
    def mid(self) -> str | None:
        """The section's ``mid``."""
        return self.value("mid")

    def payload_type(self, codec: str) -> int | None:
        """The payload type ``a=rtpmap`` gives ``codec`` (case-insensitive), if any."""
        for rtpmap in self.values("rtpmap"):
            pt, _, encoding = rtpmap.partition(" ")
            if encoding.split("/")[0].lower() == codec.lower() and pt in self.formats:
                return int(pt)
        return None

    def codec_payload_type(self, codec: StreamCodec) -> int | None:
        """The payload type to answer ``codec`` on (see :meth:`StreamCodec.payload_type`)."""
        candidates = []
        for rtpmap in self.values("rtpmap"):
            pt, _, encoding = rtpmap.partition(" ")
            if codec.names(encoding) and pt in self.formats:
                candidates.append((int(pt), self.fmtp(int(pt))))
        candidates.sort(key=lambda candidate: self.formats.index(str(candidate[0])))
        return codec.payload_type(candidates)

    def feedback(self, payload_type: int) -> set[str]:
        """The ``a=rtcp-fb`` values of ``payload_type`` (``nack``, ``nack pli`` ...)."""
        found = set()
        for value in self.values("rtcp-fb"):
            pt, _, feedback = value.partition(" ")
            if pt == str(payload_type):
                found.add(" ".join(feedback.split()))
        return found

    def primary_ssrcs(self) -> list[str]:
        """The ``a=ssrc`` values, less those of RTX streams (``a=ssrc-group:FID``)."""
        repairs = set()
        for group in self.values("ssrc-group"):
            semantics, *ssrcs = group.split()
            if semantics == "FID":
                repairs.update(ssrcs[1:])
        return [value for value in self.values("ssrc") if value.split()[0] not in repairs]

    def fmtp(self, payload_type: int) -> str | None:
        """The ``a=fmtp`` parameters of ``payload_type``, if any."""
        for fmtp in self.values("fmtp"):
            pt, _, parameters = fmtp.partition(" ")
            if pt == str(payload_type):
                return parameters
        return None


@dataclass
class SessionDescription:
    """An SDP parsed into session-level lines, session attributes and media sections."""

    origin: str = "- 0 0 IN IP4 0.0.0.0"
    "The ``o=`` line's value."
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    "Session-level ``a=`` lines."
    media: list[MediaSection] = field(default_factory=list)
    "The media sections, in order."

    @classmethod
    def parse(cls, sdp: str) -> SessionDescription:
        """Parse ``sdp`` (``\\r\\n`` or ``\\n`` line ends); unknown lines are skipped."""
        session = cls()
        current: MediaSection | None = None
        for raw in sdp.splitlines():
            line = raw.strip()
            if len(line) < 2 or line[1] != "=":
                continue
            kind, value = line[0], line[2:]
            if kind == "m":
                parts = value.split()
                if len(parts) < 3:
                    raise OfferError(f"malformed m-line: {value!r}")
                current = MediaSection(parts[0], parts[1], parts[2], parts[3:])
                session.media.append(current)
            elif kind == "o" and current is None:
                session.origin = value
            elif kind == "c" and current is not None:
                current.connection = value
            elif kind == "a":
                name, colon, rest = value.partition(":")
                attribute = (name, rest if colon else None)
                (current.attributes if current else session.attributes).append(attribute)
        return session

    def value(self, name: str, section: MediaSection | None = None) -> str | None:
        """Attribute ``name`` of ``section``, else of the session."""
        if section is not None and (found := section.value(name)) is not None:
            return found
        return next((v for n, v in self.attributes if n == name and v is not None), None)

    def values(self, name: str, section: MediaSection | None = None) -> list[str]:
        """Every value of ``name`` in ``section``, else at session level."""
        if section is not None and (found := section.values(name)):
            return found
        return [v for n, v in self.attributes if n == name and v is not None]

    def first_audio(self) -> MediaSection:
        """The first audio section that can carry Opus.

        :raises OfferError: there is none.
        """
        return self.first_section(OPUS)

    def first_section(self, codec: StreamCodec) -> MediaSection:
        """The first section of ``codec``'s kind that is not rejected, if it can carry
        ``codec``.

        :raises OfferError: there is none, or it cannot.
        """
        kind = codec.kind.value
        for section in self.media:
            if section.kind == kind and section.port != "0":
                if section.codec_payload_type(codec) is None:
                    raise OfferError(f"the offer's {kind} m-line has no usable {codec.name}")
                return section
        raise OfferError(f"the offer has no {kind} m-line")


def opus_payload_type(offer_sdp: str) -> int:
    """The payload type a subscriber's offer gives Opus on its first audio m-line.

    :raises OfferError: no audio m-line with Opus.
    """
    return codec_payload_type(offer_sdp, OPUS)


def codec_payload_type(offer_sdp: str, codec: StreamCodec) -> int:
    """The payload type a subscriber is answered ``codec`` on: its offer's, on its first
    m-line of ``codec``'s kind.

    :raises OfferError: no such m-line with ``codec``.
    """
    pt = SessionDescription.parse(offer_sdp).first_section(codec).codec_payload_type(codec)
    assert pt is not None  # first_section() checked
    return pt


def check_publisher_offer(offer_sdp: str, codec: StreamCodec) -> None:
    """Refuse a publisher's offer that cannot send ``codec`` (the VideoRoom answers the
    rest).

    :raises OfferError: no m-line of ``codec``'s kind with ``codec``.
    """
    SessionDescription.parse(offer_sdp).first_section(codec)


def offers_simulcast(offer_sdp: str, codec: StreamCodec) -> bool:
    """Whether a publisher's offer sends simulcast on its m-line of ``codec``'s kind: an
    ``a=simulcast:send`` of more than one layer (RFC 8853), each an ``a=rid`` (RFC 8851).

    :raises OfferError: no m-line of ``codec``'s kind with ``codec``.
    """
    section = SessionDescription.parse(offer_sdp).first_section(codec)
    for value in section.values("simulcast"):
        direction, _, layers = value.strip().partition(" ")
        if direction == "send" and len(layers.replace(",", ";").split(";")) > 1:
            return True
    return False


@dataclass(frozen=True)
class _Transport:
    ufrag: str
    pwd: str
    fingerprints: list[str]
    setup: str
    candidates: list[str]


def _transport(session: SessionDescription, section: MediaSection, side: str) -> _Transport:
    ufrag = session.value("ice-ufrag", section)
    pwd = session.value("ice-pwd", section)
    fingerprints = session.values("fingerprint", section)
    if not ufrag or not pwd or not fingerprints:
        raise OfferError(f"the {side} offer has no ICE credentials or DTLS fingerprint")
    return _Transport(
        ufrag=ufrag,
        pwd=pwd,
        fingerprints=fingerprints,
        setup=session.value("setup", section) or "actpass",
        candidates=section.values("candidate"),
    )


def _dtls_roles(subscriber_setup: str) -> tuple[str, str]:
    """The DTLS ``setup`` of the subscriber and of Janus, for the subscriber's offered one.

    Janus connects (``active``) unless the subscriber insists on it: it starts the
    handshake as soon as its own ICE is ready, and retransmits quickly.
    """
    if subscriber_setup == "active":
        return "active", "passive"
    return "passive", "active"


def _write(origin: str, bundle: str, sections: list[list[str]]) -> str:
    lines = ["v=0", f"o={origin}", "s=-", "t=0 0", f"a=group:BUNDLE {bundle}"]
    lines.append("a=msid-semantic: WMS *")
    for section in sections:
        lines.extend(section)
    return "\r\n".join(lines) + "\r\n"


def _rejected(section: MediaSection) -> list[str]:
    """An answer's m-section declining ``section``."""
    lines = [f"m={section.kind} 0 {section.proto} {' '.join(section.formats[:1]) or '0'}"]
    lines.append("c=IN IP4 0.0.0.0")
    if section.mid is not None:
        lines.append(f"a=mid:{section.mid}")
    if section.kind != "application":
        lines.append("a=inactive")
    return lines


def _codec_lines(codec: StreamCodec, pt: int, fmtp: str | None, feedback: set[str]) -> list[str]:
    """The ``a=rtpmap``, ``a=fmtp`` and ``a=rtcp-fb`` lines of the one codec answered."""
    lines = [codec.rtpmap(pt)]
    if fmtp:
        lines.append(f"a=fmtp:{pt} {fmtp}")
    lines += [f"a=rtcp-fb:{pt} {value}" for value in codec.feedback if value in feedback]
    return lines


@dataclass(frozen=True)
class _Crossing:
    """The two offers' m-sections of the channel's stream, and what each answer keeps."""

    subscriber: SessionDescription
    janus: SessionDescription
    ours: MediaSection
    "The subscriber's section."
    theirs: MediaSection
    "Janus's section."
    our_pt: int
    their_pt: int
    fmtp: str | None
    "The subscriber's ``a=fmtp`` of its payload type (both answers carry it)."
    feedback: set[str]
    "The RTCP feedback both offers have."


def _cross(subscriber_offer: str, janus_offer: str, codec: StreamCodec) -> _Crossing:
    subscriber = SessionDescription.parse(subscriber_offer)
    janus = SessionDescription.parse(janus_offer)
    ours, theirs = subscriber.first_section(codec), janus.first_section(codec)
    our_pt, their_pt = ours.codec_payload_type(codec), theirs.codec_payload_type(codec)
    assert our_pt is not None and their_pt is not None  # first_section() checked
    feedback = ours.feedback(our_pt) & theirs.feedback(their_pt)
    return _Crossing(subscriber, janus, ours, theirs, our_pt, their_pt, ours.fmtp(our_pt), feedback)


def _transport_lines(transport: _Transport, setup: str) -> list[str]:
    lines = [f"a=ice-ufrag:{transport.ufrag}", f"a=ice-pwd:{transport.pwd}"]
    lines += [f"a=fingerprint:{fingerprint}" for fingerprint in transport.fingerprints]
    lines.append(f"a=setup:{setup}")
    lines += [f"a=candidate:{candidate}" for candidate in transport.candidates]
    lines.append("a=end-of-candidates")
    return lines


def answer_for_janus(subscriber_offer: str, janus_offer: str, codec: StreamCodec = OPUS) -> str:
    """Janus's answer to its own offer, as if the subscriber had written it.

    :raises OfferError: either offer lacks an m-line with ``codec`` or its transport.
    """
    crossing = _cross(subscriber_offer, janus_offer, codec)
    theirs, pt = crossing.theirs, crossing.their_pt
    transport = _transport(crossing.subscriber, crossing.ours, "subscriber's")
    if _transport(crossing.janus, theirs, "Janus's").setup != "actpass":
        raise OfferError("Janus's offer does not leave the DTLS role open")
    mid = theirs.mid or "0"
    setup, _ = _dtls_roles(transport.setup)
    lines = [f"m={theirs.kind} 9 {theirs.proto} {pt}", "c=IN IP4 0.0.0.0", f"a=mid:{mid}"]
    lines += ["a=recvonly", "a=rtcp-mux"]
    lines += _codec_lines(codec, pt, crossing.fmtp, crossing.feedback)
    lines += _transport_lines(transport, setup)
    origin = f"- {secrets.randbelow(2**62)} 1 IN IP4 0.0.0.0"
    return _write(origin, mid, [lines])


def answer_for_subscriber(
    subscriber_offer: str, janus_offer: str, codec: StreamCodec = OPUS
) -> str:
    """The subscriber's answer, carrying Janus's transport and SSRC.

    :raises OfferError: either offer lacks an m-line with ``codec`` or its transport.
    """
    crossing = _cross(subscriber_offer, janus_offer, codec)
    ours, theirs, pt = crossing.ours, crossing.theirs, crossing.our_pt
    transport = _transport(crossing.janus, theirs, "Janus's")
    offered_setup = _transport(crossing.subscriber, ours, "subscriber's").setup
    mid = ours.mid or "0"
    sections: list[list[str]] = []
    for section in crossing.subscriber.media:
        if section is not ours:
            sections.append(_rejected(section))
            continue
        connection = theirs.connection or "IN IP4 0.0.0.0"
        lines = [f"m={ours.kind} {theirs.port} {ours.proto} {pt}", f"c={connection}"]
        lines += [f"a=mid:{mid}", "a=sendonly", "a=rtcp-mux"]
        lines += _codec_lines(codec, pt, crossing.fmtp, crossing.feedback)
        lines += [f"a=msid:{msid}" for msid in theirs.values("msid")]
        lines += [f"a=ssrc:{ssrc}" for ssrc in theirs.primary_ssrcs()]
        lines += _transport_lines(transport, _dtls_roles(offered_setup)[1])
        sections.append(lines)
    return _write(f"- {crossing.janus.origin.split()[1]} 1 IN IP4 0.0.0.0", mid, sections)
