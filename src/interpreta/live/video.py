"""Video in the live session: sending a camera or a screen, and watching feeds.

Signaling hands these requests here:

* ``video.send`` ``{kind, sdp}``: start sending a feed of a
  :class:`~interpreta.live.video_feeds.FeedKind` on a new peer connection; the answer
  comes back. A ``camera`` or a ``screen`` may be sent by whoever may talk (speakers,
  interpreters, hosts; in a meeting everyone, in a webinar attendees a host lets
  talk); ``sign`` by interpreters, speakers and hosts;
  ``booth`` by an interpreter in a booth, and only their booth sees it.
* ``video.stop`` ``{kind}``: stop sending it.
* ``video.watch`` ``{slot, feed, sdp, layer?}``: watch a feed in a *slot*, a name the page
  gives each picture it shows (``stage``, ``pin``, ``tile-3``...); at most
  :data:`~interpreta.live.video_feeds.MAX_VIEWERS` slots.
* ``video.show`` ``{slot, feed, layer?}``: show another feed in a slot, on the same
  connection (the active speaker changed, the listener pinned someone).
* ``video.layer`` ``{slot, layer}``: choose the simulcast layer a slot receives.
* ``video.unwatch`` ``{slot}``: stop watching in a slot.

A ``layer`` (``low``, ``medium`` or ``high``, a :class:`~interpreta.media.plane.VideoLayer`)
is the size of picture a slot receives of a camera that sends simulcast: a gallery tile
takes the low one, the stage the high one (what a slot receives until it chooses). Where
the media plane has no simulcast (``video.simulcast`` in the view is false) every camera
sends one picture, and a slot receives that whatever it chose.

Each view's ``video`` says which feeds the client may watch, the camera on its topic's
stage (the active speaker), what it watches and sends, and whether cameras may send
simulcast.
"""

from __future__ import annotations

import re
from typing import Any

from interpreta.events.models import ParticipantRole
from interpreta.i18n.catalogues import gettext
from interpreta.live.access import AccessDenied
from interpreta.live.booth import ConsoleError
from interpreta.live.hub import Client, LiveHub
from interpreta.live.video_feeds import MAX_VIEWERS, FeedKind, current, visible
from interpreta.media.plane import UnknownPeerError, VideoLayer

__all__ = ["REQUESTS", "handle"]

REQUESTS = frozenset(
    {"video.send", "video.stop", "video.watch", "video.show", "video.layer", "video.unwatch"}
)
"""The signaling requests this module answers."""

_SLOT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def _kind(message: dict[str, Any]) -> FeedKind:
    try:
        return FeedKind(str(message.get("kind")))
    except ValueError:
        kinds = ", ".join(k.value for k in FeedKind)
        raise ConsoleError(
            "bad_request", gettext("The kind must be one of %(kinds)s.", kinds=kinds)
        ) from None


def _slot(message: dict[str, Any]) -> str:
    slot = message.get("slot")
    if not isinstance(slot, str) or not _SLOT.fullmatch(slot):
        raise ConsoleError(
            "bad_request",
            gettext("Name the slot with up to 32 lower-case letters, digits or dashes."),
        )
    return slot


def _layer(message: dict[str, Any], *, required: bool = False) -> VideoLayer | None:
    """The request's ``layer``; ``None`` where it may be left out and is."""
    layer = message.get("layer")
    if layer is None and not required:
        return None
    if isinstance(layer, str) and layer in {v.value for v in VideoLayer}:
        return VideoLayer(layer)
    layers = ", ".join(v.value for v in VideoLayer)
    raise ConsoleError(
        "bad_request", gettext("The layer must be one of %(layers)s.", layers=layers)
    )


async def _choose_layer(hub: LiveHub, client: Client, slot: str, layer: VideoLayer) -> None:
    """Have the viewer of the client's `slot` receive `layer`."""
    watching = client.viewers.get(slot)
    try:
        if watching is None:
            raise UnknownPeerError(slot)
        await hub.plane.choose_layer(watching[0], layer)
    except UnknownPeerError:  # never watched, or closed meanwhile
        raise ConsoleError("not_watching", gettext("Watch a feed in this slot first.")) from None


def _sdp(message: dict[str, Any]) -> str:
    sdp = message.get("sdp")
    if not isinstance(sdp, str) or not sdp.startswith("v=0"):
        raise ConsoleError("bad_request", gettext("Send the offer's SDP."))
    return sdp


def _check_may_send(hub: LiveHub, client: Client, kind: FeedKind) -> None:
    live = hub.joined(client)
    if kind is FeedKind.BOOTH:
        if client.seat is None:
            raise AccessDenied(gettext("Only interpreters in a booth send a booth camera."))
    elif kind is FeedKind.SIGN:
        if client.role is ParticipantRole.LISTENER:
            raise AccessDenied(
                gettext("Sign-language interpreters join as interpreters or speakers.")
            )
    elif client.role is ParticipantRole.LISTENER and not hub.may_talk(live, client):
        raise AccessDenied(
            gettext(
                "In a webinar, attendees send video when a host lets them talk: raise your hand."
            )
        )


async def _feed_to_watch(hub: LiveHub, client: Client, message: dict[str, Any]) -> str:
    """The feed a request names, if the client may watch it now (read afresh: a feed
    that just stopped must not have its channel opened again)."""
    wanted = message.get("feed")
    feeds = await current(hub.bus, client.event_id) if isinstance(wanted, str) else {}
    feed = feeds.get(str(wanted))
    booth = client.seat.channel_id if client.seat is not None else None
    if feed is None or not visible(feed, booth) or feed.topic_id != client.topic_id:
        raise ConsoleError("unknown_feed", gettext("No such video in this event now."))
    return feed.id


async def handle(
    hub: LiveHub, client: Client, kind: str, message: dict[str, Any]
) -> dict[str, Any]:
    """Do one request of `client`; returns the reply's fields (an answer's ``sdp``).

    :raises AccessDenied: the client may not send this kind of video.
    :raises ConsoleError: a malformed request, a feed that is not there, or a slot that
        shows nothing.
    """
    if kind == "video.send":
        feed_kind = _kind(message)
        sdp = _sdp(message)
        _check_may_send(hub, client, feed_kind)
        booth = client.seat.channel_id if feed_kind is FeedKind.BOOTH and client.seat else None
        return {"type": "answer", "sdp": await hub.send_video(client, feed_kind, sdp, booth)}
    if kind == "video.stop":
        await hub.stop_video(client, _kind(message).value)
    elif kind == "video.watch":
        slot, sdp, layer = _slot(message), _sdp(message), _layer(message)
        wanted = await _feed_to_watch(hub, client, message)
        if slot not in client.viewers and len(client.viewers) >= MAX_VIEWERS:
            raise ConsoleError(
                "too_many", gettext("Watch at most %(count)s videos at once.", count=MAX_VIEWERS)
            )
        answer = await hub.watch(client, slot, wanted, sdp)
        if layer is not None:
            await _choose_layer(hub, client, slot, layer)
        return {"type": "answer", "sdp": answer}
    elif kind == "video.show":
        slot, layer = _slot(message), _layer(message)
        await hub.switch_view(client, slot, await _feed_to_watch(hub, client, message))
        if layer is not None:
            await _choose_layer(hub, client, slot, layer)
    elif kind == "video.layer":
        slot, layer = _slot(message), _layer(message, required=True)
        assert layer is not None  # required
        await _choose_layer(hub, client, slot, layer)
    elif kind == "video.unwatch":
        await hub.stop_watching(client, _slot(message))
    else:
        raise ConsoleError(
            "unknown_type", gettext("Unknown message type %(type)s.", type=repr(kind))
        )
    return {}
