"""Who may do what in a live event.

- listeners: anyone holding the event code; they only subscribe;
- speakers: anyone holding the event's speaker key (a secret the organiser shares
  in the speaker link), and the organisation's owners and organisers; they
  publish to their topic's floor;
- moderators: the organisation's owners and organisers;
- interpreters: signed-in users assigned to one of the event's booths; they
  publish only to their booth's language channel.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.actions import membership
from interpreta.accounts.models import MemberRole, User
from interpreta.datamap.activities import LIVE_EVENT
from interpreta.events.models import (
    Booth,
    BoothAssignment,
    Channel,
    Event,
    ParticipantRole,
    RegistrationMode,
    Topic,
)
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in

MANAGERS = (MemberRole.OWNER, MemberRole.ORGANISER)


class AccessDenied(Exception):
    """The caller may not join in that role, or do that."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def speaker_key(db: Session, event_id: int) -> str:
    """The secret of the event's speaker link (stored per event, rotatable)."""
    found = db.scalar(select(Event.speaker_key).where(Event.id == event_id))
    if found is None:
        raise LookupError(f"no event {event_id}")
    return found


@dataclass(frozen=True)
class BoothSeat:
    """A booth an interpreter may work in: its language channel and topic."""

    booth_id: int
    channel_id: int
    topic_id: int
    language_code: str


@runs_in(LIVE_EVENT)
def assigned_booths(db: Session, event_id: int, user_id: int) -> list[BoothSeat]:
    """The booths of this event the user is assigned to."""
    rows = db.execute(
        select(Booth.id, Channel.id, Topic.id, Channel.language_code)
        .join(Channel, Booth.channel_id == Channel.id)
        .join(Topic, Channel.topic_id == Topic.id)
        .join(BoothAssignment, BoothAssignment.booth_id == Booth.id)
        .where(Topic.event_id == event_id, BoothAssignment.user_id == user_id)
        .order_by(Topic.position, Channel.id)
    ).all()
    return [BoothSeat(b, c, t, lang or "") for b, c, t, lang in rows]


def authorise(
    db: Session,
    event: Event,
    role: ParticipantRole,
    user: User | None,
    key: str | None,
    registered: bool = False,
) -> None:
    """Raise :class:`AccessDenied` unless the caller may join `event` as `role`; a
    listener of an event that takes registrations must be `registered` (their personal
    link's ticket opened an accepted registration), unless they organise it."""
    is_manager = False
    if user is not None:
        member = membership(db, event.organisation_id, user)
        is_manager = member is not None and member.role in MANAGERS
    if role is ParticipantRole.LISTENER:
        if event.registration is RegistrationMode.OPEN or registered or is_manager:
            return
        raise AccessDenied(
            gettext(
                "This event needs registration: register with its form, then join with the "
                "personal link from your mail."
            )
        )
    if role is ParticipantRole.MODERATOR:
        if not is_manager:
            raise AccessDenied(gettext("Only the event's organisers can moderate."))
        return
    if role is ParticipantRole.SPEAKER:
        if is_manager or (key is not None and hmac.compare_digest(key, event.speaker_key)):
            return
        raise AccessDenied(gettext("Speaking needs the speaker link from the organiser."))
    if role is ParticipantRole.INTERPRETER:
        if user is None:
            raise AccessDenied(gettext("Interpreters sign in first."))
        if not assigned_booths(db, event.id, user.id):
            raise AccessDenied(gettext("You are not assigned to a booth of this event."))
        return
    raise AccessDenied(gettext("Unknown role."))
