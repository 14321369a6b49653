"""Live sessions follow the rights that opened them, within a second.

When an organiser unassigns an interpreter, removes a member, ends an event or
rotates the speaker link, the routes that made the change call :func:`revoke`
after it is committed: the live hub tells the affected sessions why and closes
them (their pages do not reconnect), so nobody keeps talking or listening in a
booth they no longer belong to.
"""

from __future__ import annotations

from collections.abc import Iterable

import anyio.from_thread
from fastapi import Request

from interpreta.events.models import ParticipantRole
from interpreta.live.hub import LiveHub


def revoke(
    request: Request,
    event_ids: Iterable[int],
    reason: str,
    *,
    user_id: int | None = None,
    roles: frozenset[ParticipantRole] | None = None,
) -> int:
    """End the matching live sessions of `event_ids` (from a route's worker thread);
    how many."""
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        return 0
    wanted = list(event_ids)

    async def revoke_all() -> int:
        ended = 0
        for event_id in wanted:
            ended += await hub.revoke(event_id, reason, user_id=user_id, roles=roles)
        return ended

    return anyio.from_thread.run(revoke_all)


INTERPRETER = frozenset({ParticipantRole.INTERPRETER})
SPEAKER = frozenset({ParticipantRole.SPEAKER})
