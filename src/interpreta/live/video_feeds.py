"""The video of a live event: feeds, who sees which, and who is on the stage.

A **feed** is one picture a participant sends: their ``camera``, a shared ``screen``, a
sign-language interpreter's picture (``sign``), or an interpreter's camera for their
booth mates (``booth``). Each feed is its own video channel on the media plane, with its
sender as the source, so a viewer moves between feeds without renegotiating (the plane's
``switch_subscription``): that is how the *active-speaker* layout follows the floor, and
how a listener pins the sign-language interpreter.

Every node knows every feed: they are fields of the bus document ``live:{event}:video``
(``{feed id}`` → the feed as JSON), written when a feed starts and removed when it stops
or its sender leaves; feeds of a node that stopped beating no longer count.

Nothing here is stored in the database and nothing is recorded: the picture passes
through the plane and is gone.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum

from interpreta.bus import Bus

__all__ = [
    "MAX_VIEWERS",
    "Feed",
    "FeedKind",
    "current",
    "new_feed_id",
    "parse_feeds",
    "plane_channel",
    "speaking_session",
    "stage",
    "video_key",
    "visible",
    "withdraw",
]

MAX_VIEWERS = 25
"""Feeds one client may watch at once (a gallery of five rows of five)."""


class FeedKind(StrEnum):
    """What a feed shows."""

    CAMERA = "camera"
    SCREEN = "screen"
    SIGN = "sign"
    BOOTH = "booth"


@dataclass(frozen=True)
class Feed:
    """One picture a participant sends, as every node sees it."""

    id: str
    "The feed's id (:func:`new_feed_id`)."
    kind: str
    "A :class:`FeedKind` value."
    key: str
    "The sender's participant key."
    name: str
    "The sender's display name."
    session: str
    "The sender's live session."
    topic_id: int
    "The topic the sender is in (the stage of that topic's floor)."
    booth: int | None
    "For a booth camera: the booth (its channel); only that booth sees it."
    node: str
    "The node the sender is connected to."

    def to_json(self) -> str:
        """The bus field's value."""
        return json.dumps(asdict(self), sort_keys=True)


def video_key(event_id: int) -> str:
    """The bus document of an event's feeds."""
    return f"live:{event_id}:video"


def new_feed_id() -> str:
    """A new feed's id: random, for it is shown to every participant (a session id is a
    bearer token, and must not be)."""
    return f"f{secrets.token_urlsafe(12)}"


def plane_channel(event_id: int, feed: str) -> str:
    """The media plane's video channel of a feed."""
    return f"video:{event_id}:{feed}"


async def withdraw(bus: Bus, event_id: int, *feed_ids: str) -> None:
    """Remove feeds that stopped (their sender stopped sending, or left)."""
    if feed_ids:
        await bus.drop(video_key(event_id), *feed_ids)


def parse_feeds(fields: dict[str, str], live_nodes: Iterable[str]) -> dict[str, Feed]:
    """The feeds in the bus document whose node still beats (a malformed field is
    skipped, not fatal to the event)."""
    nodes = set(live_nodes)
    feeds = {}
    for value in fields.values():
        try:
            feed = Feed(**json.loads(value))
        except (ValueError, TypeError):
            continue
        if feed.node in nodes:
            feeds[feed.id] = feed
    return feeds


async def current(bus: Bus, event_id: int) -> dict[str, Feed]:
    """The event's feeds now, read from the bus (not a node's last copy)."""
    return parse_feeds(await bus.fields(video_key(event_id)), await bus.live_nodes())


def visible(feed: Feed, booth: int | None) -> bool:
    """Whether a client seated in `booth` (None: in no booth) sees `feed`: a booth camera
    only its own booth does, every other feed everyone does."""
    return feed.kind != FeedKind.BOOTH or (booth is not None and feed.booth == booth)


def speaking_session(source_peer: str | None) -> str | None:
    """The live session whose microphone is the floor's source (its peer id begins with
    the session: ``{session}:mic:{n}``)."""
    if source_peer is None or ":mic:" not in source_peer:
        return None
    return source_peer.rsplit(":mic:", 1)[0]


def stage(
    feeds: dict[str, Feed], topic_id: int, speaking: str | None, previous: str | None
) -> str | None:
    """The camera on a topic's stage (active speaker): the camera of whoever speaks on
    the floor; while nobody with a camera speaks, the one that was there, else the first
    camera of the topic."""
    cameras = sorted(  # in one order on every node
        (f for f in feeds.values() if f.kind == FeedKind.CAMERA and f.topic_id == topic_id),
        key=lambda f: f.id,
    )
    for feed in cameras:
        if speaking is not None and feed.session == speaking:
            return feed.id
    if previous is not None and any(f.id == previous for f in cameras):
        return previous
    return cameras[0].id if cameras else None
