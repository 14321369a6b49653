"""The part of an event's live state every node shares, as documents on the bus.

Five documents per event:

* ``live:{event}:state``: each booth's console (``booth:{channel}``: seats, who is on
  air, the pending handover) and each floor's publishers (``floor:{channel}``, the
  latest speaker last); written only under the event's lock;
* ``live:{event}:presence``: one field per connected client (its session), saying on
  which node it is, who it is and in which booth it sits;
* ``live:{event}:listeners``: one field per node, its listener count per channel;
* ``live:{event}:moderation``: raised hands (``hand:{key}``), attendees a host lets
  talk in a webinar (``talk:{key}``), co-hosts (``cohost:{key}``), people in the waiting
  room (``waiting:{key}``), those let in (``admitted:{key}``), and the node recording
  the event (``recording``);
* ``live:{event}:video``: the video feeds participants send (cameras, screens, sign
  language, booth cameras), one field each (:mod:`interpreta.live.video_feeds`).

A node that stops beating is gone: its presence and counts no longer count, even before
anyone removes them. Nothing here names a person beyond the pseudonymous participant
key and the display name the booth already shows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from interpreta.bus import Bus
from interpreta.live.booth import BoothConsole
from interpreta.live.video_feeds import Feed, parse_feeds, video_key

__all__ = [
    "Moderation",
    "Presence",
    "SharedState",
    "clear_presence",
    "forget",
    "load",
    "moderate",
    "save",
    "set_listener_counts",
    "set_presence",
    "sweep",
]


def state_key(event_id: int) -> str:
    """The document of consoles and floors."""
    return f"live:{event_id}:state"


def presence_key(event_id: int) -> str:
    """The document of connected clients."""
    return f"live:{event_id}:presence"


def moderation_key(event_id: int) -> str:
    """The document of hands, talkers, co-hosts and the waiting room."""
    return f"live:{event_id}:moderation"


def listeners_key(event_id: int) -> str:
    """The document of listener counts per node."""
    return f"live:{event_id}:listeners"


def lock_name(event_id: int) -> str:
    """The lock every change of the event's shared state is made under."""
    return f"live:{event_id}"


@dataclass(frozen=True)
class Presence:
    """A connected client, as the other nodes see it."""

    node: str
    key: str
    role: str
    booth: int | None
    """The booth (its channel) the client sits in, if an interpreter."""
    name: str = ""
    """The name the client joined with (the hosts see who is there)."""


@dataclass
class Moderation:
    """Who raised a hand, may talk, co-hosts, waits, or was let in (by participant key)."""

    hands: dict[str, str] = field(default_factory=dict)
    """Raised hands: key → name, in the order they were raised."""
    talkers: set[str] = field(default_factory=set)
    cohosts: set[str] = field(default_factory=set)
    waiting: dict[str, str] = field(default_factory=dict)
    """The waiting room: key → name, in the order they arrived."""
    admitted: set[str] = field(default_factory=set)
    recording: str | None = None
    """The node recording the event's channels (``recording``), if a host started it."""

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Moderation:
        """Read the bus document's fields."""
        found = cls()
        ordered: dict[str, list[tuple[float, int, str, str]]] = {"hand": [], "waiting": []}
        for name, value in fields.items():
            kind, _, key = name.partition(":")
            if kind in ordered:
                entry = json.loads(value)
                ordered[kind].append((entry["at"], entry.get("seq", 0), key, entry["name"]))
            elif kind == "talk":
                found.talkers.add(key)
            elif kind == "cohost":
                found.cohosts.add(key)
            elif kind == "admitted":
                found.admitted.add(key)
            elif kind == "recording":
                found.recording = value
        found.hands = {key: name for _, _, key, name in sorted(ordered["hand"])}
        found.waiting = {key: name for _, _, key, name in sorted(ordered["waiting"])}
        return found


@dataclass
class SharedState:
    """What :func:`load` read: the consoles, floors, live presence and listener counts."""

    booths: dict[int, BoothConsole] = field(default_factory=dict)
    floors: dict[int, list[str]] = field(default_factory=dict)
    presence: dict[str, Presence] = field(default_factory=dict)
    listeners: dict[int, int] = field(default_factory=dict)
    """Listeners per channel, summed over the live nodes."""
    moderation: Moderation = field(default_factory=Moderation)
    feeds: dict[str, Feed] = field(default_factory=dict)
    """The video feeds being sent, by id."""
    machines: dict[int, str] = field(default_factory=dict)
    """Each machine channel's voice (its publisher), by channel; a voice whose node stopped
    beating is left out."""
    machine_nodes: dict[int, str] = field(default_factory=dict)
    """The node sending each machine channel's voice."""


async def load(bus: Bus, event_id: int) -> SharedState:
    """The event's shared state now, counting only live nodes."""
    state = SharedState()
    for name, value in (await bus.fields(state_key(event_id))).items():
        kind, _, channel = name.partition(":")
        if kind == "booth":
            state.booths[int(channel)] = BoothConsole.from_document(channel, json.loads(value))
        elif kind == "floor":
            state.floors[int(channel)] = list(json.loads(value))
        elif kind == "machine":
            voice = json.loads(value)
            state.machines[int(channel)] = voice["peer"]
            state.machine_nodes[int(channel)] = voice["node"]
    live = await bus.live_nodes()
    for machine, node in list(state.machine_nodes.items()):
        if node not in live:  # its node died: nobody sends that voice
            del state.machines[machine], state.machine_nodes[machine]
    for session, value in (await bus.fields(presence_key(event_id))).items():
        presence = Presence(**json.loads(value))
        if presence.node in live:
            state.presence[session] = presence
    for node, value in (await bus.fields(listeners_key(event_id))).items():
        if node in live:
            for channel, count in json.loads(value).items():
                state.listeners[int(channel)] = state.listeners.get(int(channel), 0) + count
    state.moderation = Moderation.from_fields(await bus.fields(moderation_key(event_id)))
    state.feeds = parse_feeds(await bus.fields(video_key(event_id)), live)
    return state


async def save(
    bus: Bus,
    event_id: int,
    booths: dict[int, BoothConsole],
    floors: dict[int, list[str]],
    machines: dict[int, str] | None = None,
    before: dict[int, str] | None = None,
    machine_nodes: dict[int, str] | None = None,
) -> None:
    """Write every console, floor and machine voice (with its node) of the event in one
    step (a machine voice in `before` but no longer in `machines` is removed)."""
    values = {f"booth:{c}": json.dumps(b.to_document()) for c, b in booths.items()}
    values |= {f"floor:{c}": json.dumps(publishers) for c, publishers in floors.items()}
    nodes = machine_nodes or {}
    values |= {
        f"machine:{c}": json.dumps({"peer": peer, "node": nodes.get(c, bus.node)})
        for c, peer in (machines or {}).items()
    }
    await bus.put(state_key(event_id), values)
    gone = [f"machine:{c}" for c in (before or {}) if c not in (machines or {})]
    if gone:
        await bus.drop(state_key(event_id), *gone)


async def drop_machines(bus: Bus, event_id: int, voices: dict[int, str]) -> None:
    """Unname machine voices that stopped (channel: its peer), unless another voice of
    the channel replaced them meanwhile."""
    fields = await bus.fields(state_key(event_id))
    gone = [
        f"machine:{channel}"
        for channel, peer in voices.items()
        if f"machine:{channel}" in fields
        and json.loads(fields[f"machine:{channel}"]).get("peer") == peer
    ]
    if gone:
        await bus.drop(state_key(event_id), *gone)


async def forget(bus: Bus, event_id: int) -> None:
    """Drop the event's shared state (nobody is connected anywhere)."""
    for key in (
        state_key(event_id),
        presence_key(event_id),
        listeners_key(event_id),
        moderation_key(event_id),
        video_key(event_id),
    ):
        await bus.drop(key)


async def set_presence(bus: Bus, event_id: int, session: str, presence: Presence) -> None:
    """Record a connected client."""
    await bus.put(presence_key(event_id), {session: json.dumps(asdict(presence))})


async def clear_presence(bus: Bus, event_id: int, *sessions: str) -> None:
    """Forget clients that left."""
    if sessions:
        await bus.drop(presence_key(event_id), *sessions)


async def sweep(bus: Bus, event_id: int) -> None:
    """Remove the presence and listener counts of nodes that stopped beating."""
    live = await bus.live_nodes()
    gone = [
        session
        for session, value in (await bus.fields(presence_key(event_id))).items()
        if json.loads(value)["node"] not in live
    ]
    await clear_presence(bus, event_id, *gone)
    orphaned = [
        field
        for field, value in (await bus.fields(video_key(event_id))).items()
        if json.loads(value)["node"] not in live
    ]
    if orphaned:
        await bus.drop(video_key(event_id), *orphaned)
    counted = await bus.fields(listeners_key(event_id))
    stale = [node for node in counted if node not in live]
    if stale:
        await bus.drop(listeners_key(event_id), *stale)


async def set_listener_counts(bus: Bus, event_id: int, counts: dict[int, int]) -> None:
    """This node's listeners per channel."""
    await bus.put(listeners_key(event_id), {bus.node: json.dumps(counts)})


async def moderate(
    bus: Bus,
    event_id: int,
    *,
    put: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> None:
    """Change the moderation document: set the fields `put`, remove those in `drop`
    (``hand:{key}``...). Hands and the waiting room take ``{"name", "at"}`` as JSON."""
    if drop:
        await bus.drop(moderation_key(event_id), *drop)
    if put:
        await bus.put(moderation_key(event_id), put)
