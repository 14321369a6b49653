"""Storing recordings: begun per channel, sound appended chunk by chunk (each chunk
sealed by field encryption as it is written), voices noted as sources change, and read
back for playback."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from interpreta.datamap.activities import RECORDING
from interpreta.events.models import ConnectionSession
from interpreta.privacy.processing import runs_in
from interpreta.recordings.models import (
    AUDIO,
    Recording,
    RecordingChunk,
    RecordingStatus,
    RecordingVoice,
)


@runs_in(RECORDING)
def begin(
    db: Session,
    event_id: int,
    channels: list[tuple[int, str]],
    now: datetime,
    media_type: str = AUDIO,
) -> dict[int, int]:
    """Start a recording of each channel (ID and label) in `media_type` (a channel's
    sound, or the video of the stage of the channel's topic); their IDs by channel."""
    started = {}
    for channel_id, label in channels:
        recording = Recording(
            event_id=event_id,
            channel_id=channel_id,
            label=label,
            media_type=media_type,
            status=RecordingStatus.RECORDING,
            started_at=now,
            duration_ms=0,
            size=0,
        )
        db.add(recording)
        db.flush()
        started[channel_id] = recording.id
    return started


@runs_in(RECORDING)
def append(db: Session, recording_id: int, seq: int, data: bytes, duration_ms: int) -> None:
    """Store the next piece of a recording's sound (encrypted on the way in)."""
    if data:
        db.add(
            RecordingChunk(
                recording_id=recording_id, seq=seq, data=base64.b64encode(data).decode("ascii")
            )
        )
    db.execute(
        update(Recording)
        .where(Recording.id == recording_id)
        .values(size=Recording.size + len(data), duration_ms=duration_ms)
    )


@runs_in(RECORDING)
def finish(db: Session, recording_id: int, now: datetime) -> None:
    """Mark a recording done."""
    db.execute(
        update(Recording)
        .where(Recording.id == recording_id)
        .values(status=RecordingStatus.DONE, ended_at=now)
    )
    db.execute(
        update(RecordingVoice)
        .where(RecordingVoice.recording_id == recording_id, RecordingVoice.to_ms.is_(None))
        .values(
            to_ms=select(Recording.duration_ms)
            .where(Recording.id == recording_id)
            .scalar_subquery()
        )
    )


@runs_in(RECORDING)
def participant_of_session(db: Session, session_id: str) -> int | None:
    """The participant whose connection has this session ID (a peer's ``<session>:...``)."""
    return db.scalar(
        select(ConnectionSession.participant_id).where(ConnectionSession.session_id == session_id)
    )


@runs_in(RECORDING)
def heard(db: Session, recording_id: int, participant_id: int, from_ms: int) -> int:
    """Note that a participant is heard in a recording from `from_ms`; the voice's ID."""
    voice = RecordingVoice(
        recording_id=recording_id, participant_id=participant_id, from_ms=from_ms
    )
    db.add(voice)
    db.flush()
    return voice.id


@runs_in(RECORDING)
def unheard(db: Session, voice_id: int, to_ms: int) -> None:
    """Note that the participant of a voice is no longer heard, from `to_ms`."""
    db.execute(update(RecordingVoice).where(RecordingVoice.id == voice_id).values(to_ms=to_ms))


@runs_in(RECORDING)
def listed(db: Session, event_id: int) -> list[dict[str, Any]]:
    """The event's recordings, newest first, with how many people are heard in each."""
    voices = (
        select(
            RecordingVoice.recording_id,
            func.count(func.distinct(RecordingVoice.participant_id)).label("n"),
        )
        .group_by(RecordingVoice.recording_id)
        .subquery()
    )
    rows = db.execute(
        select(Recording, voices.c.n)
        .outerjoin(voices, voices.c.recording_id == Recording.id)
        .where(Recording.event_id == event_id)
        .order_by(Recording.id.desc())
    ).all()
    return [
        {
            "id": r.id,
            "label": r.label,
            "media_type": r.media_type,
            "channel_id": r.channel_id,
            "status": r.status.value,
            "started_at": r.started_at.isoformat(),
            "ended_at": r.ended_at.isoformat() if r.ended_at else None,
            "duration_ms": r.duration_ms,
            "size": r.size,
            "voices": n or 0,
        }
        for r, n in rows
    ]


@runs_in(RECORDING)
def media(db: Session, event_id: int, recording_id: int) -> tuple[str, str, bytes] | None:
    """A recording's label, media type and content (Ogg Opus sound, or video), decrypted;
    None when the event has no such recording."""
    found = db.execute(
        select(Recording.label, Recording.media_type).where(
            Recording.id == recording_id, Recording.event_id == event_id
        )
    ).first()
    if found is None:
        return None
    label, media_type = found
    chunks = db.scalars(
        select(RecordingChunk)
        .where(RecordingChunk.recording_id == recording_id)
        .order_by(RecordingChunk.seq)
    )
    return label, media_type, b"".join(base64.b64decode(c.data) for c in chunks)
