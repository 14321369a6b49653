"""Crossing two offers: a subscriber's offer and the Streaming plugin's, into two answers.

The plane's subscribers offer (``recvonly`` audio) and expect an answer. Janus 1.1.2's
Streaming plugin cannot take an offer from a viewer: on ``watch`` it makes its own offer
(``sendonly`` audio) and expects an answer. The plane therefore answers each side on the
other's behalf, from the two offers:

* to Janus, an answer carrying the subscriber's ICE credentials, candidates and DTLS
  fingerprints, receiving Opus on the payload type of Janus's offer;
* to the subscriber, an answer carrying Janus's ICE credentials, candidates, DTLS
  fingerprints and SSRC, sending Opus on the payload type of the subscriber's offer.

Both payload types are the same: the plane has Janus offer the subscriber's own (see
:mod:`interpreta.media.janus.plane`). Each side believes it offered, so both start as
ICE controlling agents; ICE resolves that role conflict itself (RFC 8445, 7.3.1.1). The
DTLS roles are made complementary: Janus is told that the subscriber is ``passive`` (so
Janus connects as the DTLS client) and the subscriber that Janus is ``active``. That way
round the handshake starts when Janus's side of ICE is ready; the other way, the
subscriber's first ClientHello could arrive before and be lost, costing a one-second
retransmission (measured: 1 subscriber in 15). RTP header
extensions, RTCP feedback and every m-line but the first audio one are declined, so
what flows is plain Opus over SRTP with RTCP multiplexed. No trickle: both answers carry
every candidate and ``end-of-candidates``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from interpreta.media.plane import MediaPlaneError

__all__ = [
    "MediaSection",
    "OfferError",
    "SessionDescription",
    "answer_for_janus",
    "answer_for_subscriber",
    "opus_payload_type",
]


class OfferError(MediaPlaneError, ValueError):
    """An offer the plane cannot answer (no audio m-line with Opus, no ICE credentials)."""


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
        for section in self.media:
            if section.kind == "audio" and section.port != "0":
                if section.payload_type("opus") is None:
                    raise OfferError("the offer's audio m-line has no Opus")
                return section
        raise OfferError("the offer has no audio m-line")


def opus_payload_type(offer_sdp: str) -> int:
    """The payload type a subscriber's offer gives Opus on its first audio m-line.

    :raises OfferError: no audio m-line with Opus.
    """
    pt = SessionDescription.parse(offer_sdp).first_audio().payload_type("opus")
    assert pt is not None  # first_audio() checked
    return pt


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


def _opus_lines(pt: int, fmtp: str | None) -> list[str]:
    lines = [f"a=rtpmap:{pt} opus/48000/2"]
    if fmtp:
        lines.append(f"a=fmtp:{pt} {fmtp}")
    return lines


def _transport_lines(transport: _Transport, setup: str) -> list[str]:
    lines = [f"a=ice-ufrag:{transport.ufrag}", f"a=ice-pwd:{transport.pwd}"]
    lines += [f"a=fingerprint:{fingerprint}" for fingerprint in transport.fingerprints]
    lines.append(f"a=setup:{setup}")
    lines += [f"a=candidate:{candidate}" for candidate in transport.candidates]
    lines.append("a=end-of-candidates")
    return lines


def answer_for_janus(subscriber_offer: str, janus_offer: str) -> str:
    """Janus's answer to its own offer, as if the subscriber had written it.

    :raises OfferError: either offer lacks an audio m-line with Opus or its transport.
    """
    subscriber = SessionDescription.parse(subscriber_offer)
    janus = SessionDescription.parse(janus_offer)
    ours, theirs = subscriber.first_audio(), janus.first_audio()
    transport = _transport(subscriber, ours, "subscriber's")
    if _transport(janus, theirs, "Janus's").setup != "actpass":
        raise OfferError("Janus's offer does not leave the DTLS role open")
    pt = theirs.payload_type("opus")
    assert pt is not None
    mid = theirs.mid or "0"
    setup, _ = _dtls_roles(transport.setup)
    lines = [f"m=audio 9 {theirs.proto} {pt}", "c=IN IP4 0.0.0.0", f"a=mid:{mid}", "a=recvonly"]
    lines += ["a=rtcp-mux", *_opus_lines(pt, ours.fmtp(ours.payload_type("opus") or pt))]
    lines += _transport_lines(transport, setup)
    origin = f"- {secrets.randbelow(2**62)} 1 IN IP4 0.0.0.0"
    return _write(origin, mid, [lines])


def answer_for_subscriber(subscriber_offer: str, janus_offer: str) -> str:
    """The subscriber's answer, carrying Janus's transport and SSRC.

    :raises OfferError: either offer lacks an audio m-line with Opus or its transport.
    """
    subscriber = SessionDescription.parse(subscriber_offer)
    janus = SessionDescription.parse(janus_offer)
    ours, theirs = subscriber.first_audio(), janus.first_audio()
    transport = _transport(janus, theirs, "Janus's")
    offered_setup = _transport(subscriber, ours, "subscriber's").setup
    pt = ours.payload_type("opus")
    assert pt is not None
    mid = ours.mid or "0"
    sections: list[list[str]] = []
    for section in subscriber.media:
        if section is not ours:
            sections.append(_rejected(section))
            continue
        connection = theirs.connection or "IN IP4 0.0.0.0"
        lines = [f"m=audio {theirs.port} {ours.proto} {pt}", f"c={connection}", f"a=mid:{mid}"]
        lines += ["a=sendonly", "a=rtcp-mux", *_opus_lines(pt, ours.fmtp(pt))]
        lines += [f"a=msid:{msid}" for msid in theirs.values("msid")]
        lines += [f"a=ssrc:{ssrc}" for ssrc in theirs.values("ssrc")]
        lines += _transport_lines(transport, _dtls_roles(offered_setup)[1])
        sections.append(lines)
    return _write(f"- {janus.origin.split()[1]} 1 IN IP4 0.0.0.0", mid, sections)
