"""The event chat: messages to everyone, to the hosts, or privately to one person.

A message is shown to its author and to its audience; hosts may delete any message
(moderation), which removes it for everyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import SHARING
from interpreta.meetings.models import ChatAudience, ChatMessage
from interpreta.meetings.people import (
    ContentRefused,
    Named,
    Person,
    clean_text,
    named,
    participant_by_key,
)
from interpreta.privacy.processing import runs_in

MESSAGE_LIMIT = 2000
"""The longest message, in characters."""

HISTORY = 200
"""How many of the latest messages a joining participant is shown."""


def audience_of(value: object) -> ChatAudience:
    """The audience named `value` ("everyone" when missing)."""
    try:
        return ChatAudience(str(value or ChatAudience.EVERYONE))
    except ValueError as exc:
        raise ContentRefused(
            "bad_request", "The audience must be everyone, hosts or private."
        ) from exc


@runs_in(SHARING)
def send(
    db: Session,
    event_id: int,
    author: Person,
    text: object,
    audience: ChatAudience,
    recipient_key: str | None,
    now: Any,
) -> dict[str, Any]:
    """Store a message and return it as clients see it."""
    body = clean_text(text, limit=MESSAGE_LIMIT, what="message")
    recipient_id = recipient = None
    if audience is ChatAudience.PRIVATE:
        if not recipient_key:
            raise ContentRefused("bad_request", "A private message needs a recipient.")
        recipient_id, recipient = participant_by_key(db, event_id, recipient_key)
        if recipient_id == author.participant_id:
            raise ContentRefused("bad_request", "You cannot send a private message to yourself.")
    message = ChatMessage(
        event_id=event_id,
        author_id=author.participant_id,
        audience=audience,
        recipient_id=recipient_id,
        body=body,
        sent_at=now,
    )
    db.add(message)
    db.flush()
    return _shown(message, Named(author.key, author.name), recipient)


def _shown(message: ChatMessage, author: Named | None, recipient: Named | None) -> dict[str, Any]:
    """A message as clients receive it (``from_key`` None: its author left no trace)."""
    return {
        "id": message.id,
        "audience": message.audience.value,
        "from": author.name if author else "Former participant",
        "from_key": author.key if author else None,
        "to": recipient.name if recipient else None,
        "to_key": recipient.key if recipient else None,
        "text": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


def may_see(message: dict[str, Any], viewer: Person) -> bool:
    """Whether `viewer` may read `message` (as :func:`send` returned it)."""
    if message["from_key"] == viewer.key:
        return True
    audience = message["audience"]
    if audience == ChatAudience.EVERYONE:
        return True
    if audience == ChatAudience.HOSTS:
        return viewer.host
    return message["to_key"] == viewer.key


@runs_in(SHARING)
def history(db: Session, event_id: int, viewer: Person) -> list[dict[str, Any]]:
    """The latest messages `viewer` may read, oldest first."""
    visible = [ChatMessage.audience == ChatAudience.EVERYONE]
    visible.append(ChatMessage.author_id == viewer.participant_id)
    visible.append(ChatMessage.recipient_id == viewer.participant_id)
    if viewer.host:
        visible.append(ChatMessage.audience == ChatAudience.HOSTS)
    rows = db.scalars(
        select(ChatMessage)
        .where(ChatMessage.event_id == event_id, or_(*visible))
        .order_by(ChatMessage.id.desc())
        .limit(HISTORY)
    ).all()
    names = named(db, [m.author_id for m in rows] + [m.recipient_id for m in rows])
    return [
        _shown(m, names.get(m.author_id or 0), names.get(m.recipient_id or 0))
        for m in reversed(rows)
    ]


@runs_in(SHARING)
def remove(db: Session, event_id: int, message_id: object, by: Person) -> int:
    """Delete a message (hosts only); returns its ID."""
    if not by.host:
        raise ContentRefused("forbidden", "Only the hosts can delete messages.")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise ContentRefused("bad_request", "Name the message by its ID.")
    deleted = db.execute(
        delete(ChatMessage).where(ChatMessage.id == message_id, ChatMessage.event_id == event_id)
    )
    if not getattr(deleted, "rowcount", 0):
        raise ContentRefused("not_found", "There is no such message in this event.")
    return message_id
