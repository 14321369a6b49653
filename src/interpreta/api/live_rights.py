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
from sqlalchemy import select

from interpreta.datamap.activities import LIVE_EVENT
from interpreta.events.models import Participant, ParticipantRole
from interpreta.live.hub import LiveHub
from interpreta.privacy.processing import processing


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


def revoke_registrations(
    request: Request, event_id: int, emails: Iterable[str], reason: str
) -> int:
    """End the live sessions of the listeners who joined `event_id` with the personal
    link of a registration that no longer holds a place (declined, cancelled): found by
    the address their registration gave the participant. How many."""
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    addresses = sorted(set(emails))
    if hub is None or not addresses:
        return 0
    with processing(LIVE_EVENT), hub.platform.sessions() as db:
        keys = db.scalars(
            select(Participant.anonymous_id).where(
                Participant.event_id == event_id,
                Participant.role == ParticipantRole.LISTENER,
                Participant.email.in_(addresses),
            )
        ).all()

    async def revoke_all() -> int:
        ended = 0
        for key in keys:
            ended += await hub.revoke(event_id, reason, key=key)
        return ended

    return anyio.from_thread.run(revoke_all) if keys else 0
