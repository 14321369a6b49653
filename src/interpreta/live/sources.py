"""What each channel forwards, derived from the shared state: who is on air where.

A floor forwards its latest speaker, and its *lanes* the talkers before them: in a
meeting several people talk at once, and on a panel several speakers, so a floor carries
up to :data:`FLOOR_LANES` more open microphones, each on a channel of its own: the
latest on the floor itself, the others on the lanes in the order they began (the
earliest on lane 1), so a new talker moves nobody but the one who held the floor, and
a talker who stops moves only those on later lanes. Whoever hears the floor hears its
lanes beside it, each talker's packets as they came (nothing is mixed on the server),
and the recorder keeps each lane as a track of its own.

A language channel forwards its booth's microphone on air, except around a *retour*:
while a booth works into another language channel (the German booth into English,
because a German speaker has the floor), that channel forwards the retour booth, and the
booth's own channel carries the floor (or the relay the organiser chose), so its
listeners never hear silence. A booth's *talkback* is a
channel of its own that only its mates hear.

Nothing here does I/O: the hub applies what these functions say to the media plane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interpreta.events.models import ChannelKind
from interpreta.live.booth import BoothConsole
from interpreta.live.shared_state import SharedState

__all__ = [
    "FLOOR_LANES",
    "LANES",
    "ChannelInfo",
    "carrier",
    "drop_floor_publisher",
    "is_live",
    "lane_channel",
    "lane_slot",
    "lane_sources",
    "retour_into",
    "source",
    "sources",
    "talkback_channel",
    "talkback_sources",
]


@dataclass(frozen=True)
class ChannelInfo:
    """What the hub knows about one channel of the event."""

    id: int
    topic_id: int
    kind: ChannelKind
    language_code: str | None
    machine: bool = False
    """A language channel interpreted by machine: its voice is its source, no booth."""


def talkback_channel(channel_id: int) -> str:
    """The media-plane channel of a booth's talkback (heard only in the booth)."""
    return f"talkback:{channel_id}"


FLOOR_LANES = 3
"""Talkers a floor carries besides its latest (the earliest open microphones keep theirs;
a fifth talker at once is heard when one of the four stops)."""

LANES = range(1, FLOOR_LANES + 1)
"""A floor's lane numbers."""


def lane_channel(channel_id: int, lane: int) -> str:
    """The media-plane channel of a floor's `lane` (1 to :data:`FLOOR_LANES`)."""
    return f"lane:{channel_id}:{lane}"


def lane_slot(lane: int) -> str:
    """The subscription slot in which a client hears a floor's `lane`."""
    return f"lane{lane}"


def lane_sources(
    shared: SharedState, channels: dict[int, ChannelInfo]
) -> dict[tuple[int, int], str | None]:
    """Each floor lane's publisher now, by (floor channel, lane): the talkers before the
    latest, in the order they began."""
    lanes: dict[tuple[int, int], str | None] = {}
    for info in channels.values():
        if info.kind is not ChannelKind.FLOOR:
            continue
        earlier = (shared.floors.get(info.id) or [])[:-1]
        for lane in LANES:
            lanes[(info.id, lane)] = earlier[lane - 1] if lane <= len(earlier) else None
    return lanes


def retour_into(shared: SharedState, channel_id: int) -> int | None:
    """The booth (its channel) working into `channel_id` as a retour, if one is."""
    return next(
        (
            c
            for c, console in shared.booths.items()
            if console.output == channel_id and c != channel_id
        ),
        None,
    )


def _floor_source(shared: SharedState, channel_id: int) -> str | None:
    publishers = shared.floors.get(channel_id) or []
    return publishers[-1] if publishers else None


def _relay(shared: SharedState, console: BoothConsole) -> int | None:
    """The relay standing in for a booth on a retour: the channel the organiser chose, if
    its booth works into its own channel (else the floor stands in: None)."""
    chosen = console.retour_fill
    relay = None if chosen is None else shared.booths.get(chosen)
    return chosen if relay is not None and relay.output is None else None


def _fill(
    shared: SharedState, console: BoothConsole, info: ChannelInfo, channels: dict[int, ChannelInfo]
) -> str | None:
    """What a booth's own channel carries while the booth works into another: the relay
    the organiser chose (a booth working into its own channel), else the floor."""
    relay = _relay(shared, console)
    if relay is not None:
        return shared.booths[relay].source()
    floor = next(
        (
            c.id
            for c in channels.values()
            if c.topic_id == info.topic_id and c.kind is ChannelKind.FLOOR
        ),
        None,
    )
    return None if floor is None else _floor_source(shared, floor)


def source(shared: SharedState, info: ChannelInfo, channels: dict[int, ChannelInfo]) -> str | None:
    """The publisher a channel forwards now."""
    if info.kind is ChannelKind.FLOOR:
        return _floor_source(shared, info.id)
    if info.machine:
        return shared.machines.get(info.id)
    retour = retour_into(shared, info.id)
    if retour is not None:
        return shared.booths[retour].source()
    console = shared.booths.get(info.id)
    if console is None:
        return None
    if console.output is not None:
        return _fill(shared, console, info, channels)
    return console.source()


def sources(shared: SharedState, channels: dict[int, ChannelInfo]) -> dict[int, str | None]:
    """Every channel's publisher now."""
    return {info.id: source(shared, info, channels) for info in channels.values()}


def talkback_sources(shared: SharedState) -> dict[int, str | None]:
    """Each booth's talkback publisher now, by the booth's channel."""
    return {channel: console.talkback_source() for channel, console in shared.booths.items()}


def carrier(
    shared: SharedState, info: ChannelInfo, channels: dict[int, ChannelInfo]
) -> dict[str, Any]:
    """Whose voice a channel carries, for the relay indicator: its own booth, another
    booth's retour, or the floor (or a relay) standing in while its booth is on a retour."""
    if info.kind is ChannelKind.FLOOR:
        return {"kind": "floor"}
    if info.machine:
        return {"kind": "machine"}
    retour = retour_into(shared, info.id)
    if retour is not None:
        return {
            "kind": "retour",
            "booth": channels[retour].language_code if retour in channels else None,
        }
    console = shared.booths.get(info.id)
    if console is not None and console.output is not None:
        relay = _relay(shared, console)
        if relay is not None and relay in channels:
            return {"kind": "relay", "booth": channels[relay].language_code}
        return {"kind": "floor"}
    return {"kind": "booth", "booth": info.language_code}


def is_live(shared: SharedState, info: ChannelInfo) -> bool:
    """Whether a channel has anyone who could speak on it (a speaker, a booth's mic)."""
    if info.kind is ChannelKind.FLOOR:
        return bool(shared.floors.get(info.id))
    if info.machine:
        return info.id in shared.machines
    if retour_into(shared, info.id) is not None:
        return True
    console = shared.booths.get(info.id)
    if console is not None and console.output is not None:
        return True  # the floor (or a relay) stands in
    return console is not None and any(s.mic_peer for s in console.seats.values())


def drop_floor_publisher(shared: SharedState, peer: str) -> None:
    """Take a speaker's microphone off whichever floor it was on."""
    for publishers in shared.floors.values():
        if peer in publishers:
            publishers.remove(peer)
