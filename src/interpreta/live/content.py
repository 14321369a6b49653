"""Meeting content in the live session: chat, polls, Q&A, files and removing people.

Signaling hands each content request here (``chat.send``, ``chat.delete``,
``poll.open``, ``poll.vote``, ``poll.close``, ``question.ask``, ``question.upvote``,
``question.moderate``, ``file.remove``, ``participant.remove``, and ``content``: what
the client may see now). The rules live in :mod:`interpreta.meetings`; this module
stores through them, then publishes the change once on the bus, from which every node
delivers it (:mod:`interpreta.live.content_delivery`). Files arrive over HTTP
(:mod:`interpreta.api.meeting_files`), which announces them through :func:`announce`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from interpreta.datamap.activities import SHARING
from interpreta.events import codes
from interpreta.events.models import ConnectionSession, Event, Participant, ParticipantRole
from interpreta.i18n.catalogues import gettext
from interpreta.live.access import AccessDenied
from interpreta.live.content_delivery import person_of
from interpreta.live.hub import TOPIC, Client, LiveHub
from interpreta.meetings import chat, files, polls, questions
from interpreta.meetings.people import ContentRefused, Person, display_name
from interpreta.privacy.processing import processing

REQUESTS = frozenset(
    {
        "content",
        "chat.send",
        "chat.delete",
        "poll.open",
        "poll.vote",
        "poll.close",
        "question.ask",
        "question.upvote",
        "question.moderate",
        "file.remove",
        "participant.remove",
    }
)
"""The signaling requests this module answers."""


async def announce(hub: LiveHub, event_id: int, item: str, payload: Any) -> None:
    """Publish a change of content to every node, which delivers it to its clients."""
    await hub.bus.publish(
        TOPIC, {"event": event_id, "kind": "content", "item": item, "payload": payload}
    )


def _stored(hub: LiveHub, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `work(db, ...)` in one transaction, inside the meeting-content activity."""
    with processing(SHARING), hub.platform.transaction() as db:
        return work(db, *args, **kwargs)


async def _store(hub: LiveHub, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(_stored, hub, work, *args, **kwargs)


def _snapshot(hub: LiveHub, event_id: int, viewer: Person) -> dict[str, Any]:
    with processing(SHARING), hub.platform.transaction() as db:
        return {
            "chat": chat.history(db, event_id, viewer),
            "polls": polls.current(db, event_id, viewer),
            "questions": questions.current(db, event_id, viewer),
            "files": files.listed(db, event_id),
        }


async def handle(
    hub: LiveHub, client: Client, kind: str, message: dict[str, Any]
) -> dict[str, Any]:
    """Do one content request of `client`; returns the reply's fields (besides its ID).

    Raises :class:`~interpreta.meetings.people.ContentRefused` or
    :class:`~interpreta.live.access.AccessDenied` for a request that cannot be done.
    """
    event_id, me = client.event_id, person_of(client)
    now = hub.platform.clock.now()
    if kind == "content":
        snapshot = await asyncio.to_thread(_snapshot, hub, event_id, me)
        return {"type": "content", **snapshot}
    if kind == "chat.send":
        audience = chat.audience_of(message.get("audience"))
        to = message.get("to")
        sent = await _store(
            hub,
            chat.send,
            event_id,
            me,
            message.get("text"),
            audience,
            to if isinstance(to, str) else None,
            now,
        )
        await announce(hub, event_id, "chat", sent)
        return {"message": sent}
    if kind == "chat.delete":
        deleted = await _store(hub, chat.remove, event_id, message.get("message_id"), me)
        await announce(hub, event_id, "chat.deleted", deleted)
        return {}
    if kind == "poll.open":
        poll = await _store(
            hub,
            polls.open_poll,
            event_id,
            me,
            message.get("question"),
            message.get("options"),
            multiple=bool(message.get("multiple")),
            live_results=bool(message.get("live_results")),
            now=now,
        )
        await announce(hub, event_id, "poll", poll)
        return {"poll": polls.for_viewer(poll, me)}
    if kind == "poll.vote":
        choice = message.get("options")
        poll = await _store(hub, polls.vote, event_id, me, message.get("poll_id"), choice, now)
        await announce(hub, event_id, "poll", poll)
        return {"poll": {**polls.for_viewer(poll, me), "mine": sorted(choice or [])}}
    if kind == "poll.close":
        poll = await _store(hub, polls.close, event_id, me, message.get("poll_id"), now)
        await announce(hub, event_id, "poll", poll)
        return {"poll": polls.for_viewer(poll, me)}
    if kind == "question.ask":
        anonymous = bool(message.get("anonymous"))
        asked = await _store(hub, questions.ask, event_id, me, message.get("text"), anonymous, now)
        await announce(hub, event_id, "question", asked)
        return {"question": questions.for_viewer(asked, me)}
    if kind == "question.upvote":
        on = message.get("on", True) is not False
        voted = await _store(
            hub, questions.upvote, event_id, me, message.get("question_id"), on, now
        )
        await announce(hub, event_id, "question", voted)
        return {"question": {**(questions.for_viewer(voted, me) or {}), "voted": on}}
    if kind == "question.moderate":
        status = message.get("status")
        moderated = await _store(
            hub, questions.moderate, event_id, me, message.get("question_id"), status
        )
        await announce(hub, event_id, "question", moderated)
        return {"question": questions.for_viewer(moderated, me)}
    if kind == "file.remove":
        removed = await _store(hub, files.remove, event_id, message.get("file_id"), me)
        await announce(hub, event_id, "file.removed", removed)
        return {}
    if kind == "participant.remove":
        if not me.host:
            raise AccessDenied(gettext("Only the hosts can remove participants."))
        key = message.get("key")
        if not isinstance(key, str) or not key or key == me.key:
            raise ContentRefused("bad_request", gettext("Name another participant by their ID."))
        await hub.moderate(event_id, drop=(f"hand:{key}", f"waiting:{key}", f"cohost:{key}"))
        await hub.remove_participant(event_id, key)
        return {}
    raise ContentRefused("unknown_type", gettext("Unknown message type %(type)s.", type=repr(kind)))


def connected_person(db: Any, code: str, token: str) -> tuple[int, Person] | None:
    """The event and person of the open live connection whose welcome carried `token`
    (its ``content_token``) in the event with `code`; None when there is none."""
    row = db.execute(
        select(
            Event.id,
            Participant.id,
            Participant.anonymous_id,
            Participant.first_name,
            Participant.role,
        )
        .join(Participant, Participant.event_id == Event.id)
        .join(ConnectionSession, ConnectionSession.participant_id == Participant.id)
        .where(
            Event.code == codes.normalise(code),
            Event.purged_at.is_(None),
            ConnectionSession.session_id == token,
            ConnectionSession.left_at.is_(None),
        )
    ).one_or_none()
    if row is None:
        return None
    event_id, participant_id, key, first_name, role = row
    host = role is ParticipantRole.MODERATOR
    return event_id, Person(participant_id, key, display_name(first_name, role), host)
