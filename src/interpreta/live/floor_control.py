"""Meeting and webinar controls in the live session: hands, who may talk, muting,
co-hosts, the waiting room, and reactions.

Signaling hands each of these requests here: ``hand`` (raise or lower), ``reaction``
(one of :data:`REACTIONS`), and for hosts ``talk.allow`` (let an attendee talk in a
webinar, or stop them), ``mute``, ``cohost``, ``lobby.admit``, ``lobby.deny``,
``recording.start`` and ``recording.stop`` (everyone's view says ``recording`` while it
is on). The
state lives on the bus (:class:`interpreta.live.shared_state.Moderation`), so every
node shows the same hands and waiting room; nothing here is stored in the database.
"""

from __future__ import annotations

from typing import Any

from interpreta.i18n.catalogues import gettext
from interpreta.live.access import AccessDenied
from interpreta.live.booth import ConsoleError
from interpreta.live.hub import Client, LiveHub

REQUESTS = frozenset(
    {
        "hand",
        "reaction",
        "talk.allow",
        "mute",
        "cohost",
        "lobby.admit",
        "lobby.deny",
        "recording.start",
        "recording.stop",
    }
)
"""The signaling requests this module answers."""

REACTIONS = frozenset({"👍", "👏", "❤️", "😂", "😮", "🎉"})
"""The reactions a participant may send."""


def _key(client: Client, message: dict[str, Any]) -> str:
    key = message.get("key")
    if not isinstance(key, str) or not key or len(key) > 64:
        raise ConsoleError("bad_request", gettext("Name a participant by their ID."))
    if key == client.key:
        raise ConsoleError("bad_request", gettext("Name another participant, not yourself."))
    return key


def _host(client: Client) -> None:
    if not client.hosting:
        raise AccessDenied(gettext("Only the hosts can do that."))


async def handle(hub: LiveHub, client: Client, kind: str, message: dict[str, Any]) -> None:
    """Do one request of `client`; raises AccessDenied or ConsoleError when it cannot."""
    event_id = client.event_id
    if kind == "hand":
        await hub.raise_hand(client, message.get("raised", True) is not False)
    elif kind == "reaction":
        emoji = message.get("emoji")
        if emoji not in REACTIONS:
            raise ConsoleError("bad_request", gettext("Choose one of the offered reactions."))
        await hub.react(client, str(emoji))
    elif kind == "talk.allow":
        _host(client)
        key = _key(client, message)
        if message.get("allowed", True) is not False:
            await hub.moderate(event_id, put={f"talk:{key}": "1"}, drop=(f"hand:{key}",))
        else:
            await hub.mute(event_id, key, client.name)
    elif kind == "mute":
        _host(client)
        await hub.mute(event_id, _key(client, message), client.name)
    elif kind == "cohost":
        _host(client)
        key = _key(client, message)
        if message.get("on", True) is not False:
            await hub.moderate(event_id, put={f"cohost:{key}": "1"})
        else:
            await hub.moderate(event_id, drop=(f"cohost:{key}",))
    elif kind == "lobby.admit":
        _host(client)
        await hub.admit(event_id, _key(client, message))
    elif kind == "recording.start":
        _host(client)
        await hub.start_recording(client)
    elif kind == "recording.stop":
        _host(client)
        await hub.stop_recording(client)
    elif kind == "lobby.deny":
        _host(client)
        key = _key(client, message)
        await hub.moderate(event_id, drop=(f"waiting:{key}",))
        await hub.remove_participant(event_id, key)
    else:
        raise ConsoleError(
            "unknown_type", gettext("Unknown message type %(type)s.", type=repr(kind))
        )
