"""Writes of participation data: participants, their connections and usage events.

All of it is processor-scope data deleted one week after the event ends (P09);
only the fields the data map declares are written.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import LIVE_EVENT
from interpreta.events.models import (
    ConnectionSession,
    Participant,
    ParticipantRole,
    UsageEvent,
)
from interpreta.privacy.processing import runs_in


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
