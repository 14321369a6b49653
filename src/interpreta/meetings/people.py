"""Who takes part in meeting content: the acting participant, and how others are named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.events.models import Participant, ParticipantRole


class ContentRefused(Exception):
    """A content request that cannot be done; ``code`` says why, ``message`` in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Person:
    """A participant acting in, or reading, an event's content."""

    participant_id: int
    key: str
    """The participant's generated ID (``participants.anonymous_id``), as clients know it."""
    name: str
    host: bool
    """Whether they host the event (its organisers moderating): hosts moderate and read
    messages sent to the hosts."""


@dataclass(frozen=True)
class Named:
    """Another participant, as content shows them."""

    key: str
    name: str


def display_name(first_name: str | None, role: ParticipantRole) -> str:
    """The name content shows for a participant: their name, else their role."""
    return first_name or role.value.title()


def named(db: Session, participant_ids: Iterable[int | None]) -> dict[int, Named]:
    """The key and shown name of each participant in `participant_ids` (None skipped)."""
    wanted = {i for i in participant_ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(
        select(
            Participant.id, Participant.anonymous_id, Participant.first_name, Participant.role
        ).where(Participant.id.in_(wanted))
    ).all()
    return {r[0]: Named(r[1], display_name(r[2], r[3])) for r in rows}


def participant_by_key(db: Session, event_id: int, key: str) -> tuple[int, Named]:
    """The participant of `event_id` whose generated ID is `key`."""
    row = db.execute(
        select(Participant.id, Participant.first_name, Participant.role).where(
            Participant.event_id == event_id, Participant.anonymous_id == key
        )
    ).one_or_none()
    if row is None:
        raise ContentRefused("unknown_participant", "Nobody in this event has that ID.")
    return row[0], Named(key, display_name(row[1], row[2]))


def clean_text(text: object, *, limit: int, what: str) -> str:
    """`text` trimmed, refused when empty, longer than `limit` or holding control
    characters other than line breaks and tabs."""
    if not isinstance(text, str):
        raise ContentRefused("bad_request", f"The {what} must be text.")
    text = text.strip()
    if not text:
        raise ContentRefused("empty", f"The {what} is empty.")
    if len(text) > limit:
        raise ContentRefused("too_long", f"The {what} is longer than {limit} characters.")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise ContentRefused("bad_request", f"The {what} holds control characters.")
    return text
