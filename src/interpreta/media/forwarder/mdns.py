"""Offers whose host candidates are mDNS names, as browsers send them.

Browsers hide their addresses behind random ``<uuid>.local`` names
(draft-ietf-mmusic-mdns-ice-candidates) unless the page may use a camera or microphone,
so a listener's offer often names no address at all. Only a machine on the browser's own
link can resolve such a name. aioice tries anyway, and ``setRemoteDescription`` waits
for its query to time out (1 s per offer, measured), and then drops the candidate. An
offer left with no candidate but ``end-of-candidates`` makes aioice fail at once, before
the browser's connectivity checks arrive.

So the embedded plane drops mDNS candidates before applying an offer (Janus does the
same with ``ignore_mdns``), and when no candidate is left it drops ``end-of-candidates``
too: the agent then waits for the browser's checks and learns the browser's address from
them (a peer-reflexive candidate, RFC 8445 7.3.1.3). Relay and server-reflexive
candidates (from the ICE servers the browser was given) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Offer", "without_mdns_candidates"]

_MDNS_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ \S+\.local \d+ .*$", re.IGNORECASE)


@dataclass(frozen=True)
class Offer:
    """An offer ready to apply."""

    sdp: str
    awaits_checks: bool
    """Whether no candidate is left, so the connection depends on the browser's checks."""


def without_mdns_candidates(sdp: str) -> Offer:
    """``sdp`` without its mDNS candidates (and without ``end-of-candidates`` when none
    is left)."""
    lines = sdp.splitlines(keepends=True)
    if not any(_MDNS_CANDIDATE.match(line.rstrip("\r\n")) for line in lines):
        return Offer(sdp, awaits_checks=False)
    kept = [line for line in lines if not _MDNS_CANDIDATE.match(line.rstrip("\r\n"))]
    if any(line.startswith("a=candidate:") for line in kept):
        return Offer("".join(kept), awaits_checks=False)
    kept = [line for line in kept if not line.startswith("a=end-of-candidates")]
    return Offer("".join(kept), awaits_checks=True)
