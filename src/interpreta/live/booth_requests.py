"""The booth's work in the live session, beyond microphone, cough key and handover.

Signaling hands each of these requests here:

- ``takeover``: a mate takes the microphone at once;
- ``talkback`` (``held``): while held, the interpreter's microphone reaches only the
  booth; ``talkback.subscribe`` (``sdp``): the console's recvonly offer to hear it;
- ``output`` (``channel``, or null): the booth works into another language channel of
  its topic (a retour), or back into its own;
- ``preset`` (``code``, one of :data:`interpreta.live.hub.PRESETS`): a preset message to
  the booth mates;
- ``retour.fill`` (``booth``, ``channel`` or null), for hosts: what a booth's own channel
  carries while the booth is on a retour (another booth as relay, or the floor).

The countdown of a handover rides on the ``handover`` request itself (``countdown``).
"""

from __future__ import annotations

from typing import Any

from interpreta.i18n.catalogues import gettext
from interpreta.live.hub import Client, LiveHub

REQUESTS = frozenset(
    {"takeover", "talkback", "talkback.subscribe", "output", "preset", "retour.fill"}
)
"""The signaling requests this module answers."""


def _channel(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(gettext("channel must be a channel id or null"))
    return value


async def handle(
    hub: LiveHub, client: Client, kind: str, message: dict[str, Any]
) -> dict[str, Any]:
    """Answer one request; returns what the reply adds (an ``answer`` for a subscription)."""
    if kind == "takeover":
        await hub.console(client, "takeover")
    elif kind == "talkback":
        await hub.console(client, "talkback", held=bool(message.get("held")))
    elif kind == "talkback.subscribe":
        sdp = await hub.subscribe_talkback(client, str(message["sdp"]))
        return {"type": "answer", "sdp": sdp}
    elif kind == "output":
        await hub.console(client, "output", channel=_channel(message.get("channel")))
    elif kind == "preset":
        await hub.booth_preset(client, str(message.get("code", "")))
    elif kind == "retour.fill":
        booth = _channel(message.get("booth"))
        if booth is None:
            raise ValueError(gettext("booth must be a channel id"))
        await hub.set_retour_fill(client, booth, _channel(message.get("channel")))
    return {}
