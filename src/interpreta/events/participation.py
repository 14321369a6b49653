"""Writes of participation data: participants, their connections and usage events.

All of it is processor-scope data deleted one week after the event ends (P09);
only the fields the data map declares are written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import LIVE_EVENT
from interpreta.datamap.ties import normalise_email
from interpreta.events.models import (
    ConnectionSession,
    ListenerDetails,
    Participant,
    ParticipantRole,
    UsageEvent,
)
from interpreta.privacy.processing import runs_in


@dataclass(frozen=True)
class Details:
    """What a participant told us at join: a name, an email address, a phone number."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


class DetailsRefused(ValueError):
    """Details missing or malformed; the message says which, in plain words."""


PHONE_CHARACTERS = frozenset("0123456789 +-()/.")


def details_asked(
    asked: ListenerDetails, role: ParticipantRole, given: dict[str, object]
) -> Details:
    """The details a joining participant must or may give: listeners what the organiser
    asks for (nothing, a name, a name and an email address); a speaker may leave a phone
    number so the organiser can call when the sound breaks. Nothing else is kept."""
    name = _text(given.get("name"), 100)
    if role is ParticipantRole.LISTENER:
        if asked is ListenerDetails.NONE:
            return Details()
        if not name:
            raise DetailsRefused("The organiser asks for your name.")
        if asked is ListenerDetails.NAME:
            return Details(name=name)
        address = _text(given.get("email"), 320)
        try:
            email = validate_email(address or "", check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise DetailsRefused("The organiser asks for a valid email address.") from exc
        return Details(name=name, email=normalise_email(email))
    phone = _text(given.get("phone"), 32)
    if phone and (not set(phone) <= PHONE_CHARACTERS or sum(c.isdigit() for c in phone) < 6):
        raise DetailsRefused("A phone number has digits, spaces and + - ( ) only.")
    return Details(name=name, phone=phone if role is ParticipantRole.SPEAKER else None)


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", "").split())[:limit]
    return cleaned or None


def new_participant_id() -> str:
    """A generated participant ID: all an anonymous listener is known by."""
    return "p_" + secrets.token_urlsafe(18)


@runs_in(LIVE_EVENT)
def join(
    db: Session,
    *,
    event_id: int,
    role: ParticipantRole,
    now: datetime,
    user_id: int | None = None,
    resume_id: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Participant:
    """The participant joining: the one named by `resume_id` (a reconnect), or a new one."""
    if resume_id:
        found = db.scalar(
            select(Participant).where(
                Participant.anonymous_id == resume_id,
                Participant.event_id == event_id,
                Participant.role == role,
            )
        )
        if found is not None and found.user_id == user_id:  # anonymous resumes anonymous only
            return found
    if user_id is not None:
        found = db.scalar(
            select(Participant).where(
                Participant.event_id == event_id,
                Participant.user_id == user_id,
                Participant.role == role,
            )
        )
        if found is not None:
            return found
    participant = Participant(
        event_id=event_id,
        role=role,
        anonymous_id=new_participant_id(),
        user_id=user_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        created_at=now,
    )
    db.add(participant)
    db.flush()
    return participant


@runs_in(LIVE_EVENT)
def open_connection(
    db: Session,
    participant: Participant,
    *,
    now: datetime,
    topic_id: int | None,
    browser: str | None,
    os: str | None,
    device_type: str | None,
    ip_address: str | None,
) -> ConnectionSession:
    """Record a new connection of `participant` and its 'join' usage event."""
    connection = ConnectionSession(
        participant_id=participant.id,
        session_id="s_" + secrets.token_urlsafe(18),
        topic_id=topic_id,
        browser=browser,
        os=os,
        device_type=device_type,
        ip_address=ip_address,
        joined_at=now,
    )
    db.add(connection)
    db.flush()
    record_usage(db, connection.id, "join", None, now)
    return connection


@runs_in(LIVE_EVENT)
def set_media(
    db: Session,
    connection_id: int,
    *,
    media_session_id: str,
    stream_id: str,
    media_url: str | None,
) -> None:
    """Record the media (RTP) session, stream and media URL of a connection."""
    connection = db.get(ConnectionSession, connection_id)
    if connection is not None:
        connection.media_session_id = media_session_id
        connection.stream_id = stream_id
        connection.media_url = media_url


@runs_in(LIVE_EVENT)
def record_usage(
    db: Session, connection_id: int, kind: str, detail: str | None, now: datetime
) -> None:
    """Record a usage event (join, leave, channel switch, microphone on/off…)."""
    db.add(UsageEvent(connection_session_id=connection_id, kind=kind, detail=detail, at=now))


@runs_in(LIVE_EVENT)
def close_connection(db: Session, connection_id: int, now: datetime) -> None:
    """Record that a connection ended, with its 'leave' usage event."""
    connection = db.get(ConnectionSession, connection_id)
    if connection is not None and connection.left_at is None:
        connection.left_at = now
        record_usage(db, connection_id, "leave", None, now)
