"""Delivering meeting content to the clients of this node, each as they may see it.

A change of content (:mod:`interpreta.live.content`) is published once on the bus with
everything every node needs; each node sends each of its clients of the event what
the content rules (:mod:`interpreta.meetings`) let them see: a chat message only to
its audience, a poll's counts only once they may see them, a dismissed question only
to the hosts and its asker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from interpreta.meetings import chat, polls, questions
from interpreta.meetings.people import Person


class Member(Protocol):
    """A connected client, as content delivery sees it."""

    participant_id: int
    key: str
    name: str

    @property
    def hosting(self) -> bool:
        """Whether they host (the organisers moderating, and co-hosts)."""


def person_of(member: Member) -> Person:
    """The person a client is, for the content rules: hosts moderate."""
    return Person(member.participant_id, member.key, member.name, host=member.hosting)


def shown(item: str, payload: Any, viewer: Person) -> dict[str, Any] | None:
    """The message a client receives for a change of `item`, or None when it is not
    theirs to see."""
    if item == "chat":
        return (
            {"type": "chat.message", "message": payload} if chat.may_see(payload, viewer) else None
        )
    if item == "chat.deleted":
        return {"type": "chat.deleted", "id": payload}
    if item == "poll":
        return {"type": "poll", "poll": polls.for_viewer(payload, viewer)}
    if item == "question":
        question = questions.for_viewer(payload, viewer)
        if question is None:
            return {"type": "question.hidden", "id": payload["id"]}
        return {"type": "question", "question": question}
    if item == "file":
        return {"type": "file", "file": payload}
    if item == "file.removed":
        return {"type": "file.removed", "id": payload}
    return None


async def deliver(
    members: Iterable[Member],
    message: dict[str, Any],
    send: Callable[[Any, dict[str, Any]], Awaitable[None]],
) -> None:
    """Send each of `members` the bus `message` (kind ``content``) as they may see it."""
    for member in list(members):
        found = shown(str(message["item"]), message["payload"], person_of(member))
        if found is not None:
            await send(member, found)
