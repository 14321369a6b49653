"""The transcript an event keeps of its automatic captions (when the organiser asks for
one: ``Event.keep_transcript``).

Each final caption in a channel's own language becomes a :class:`TranscriptSegment`:
the words (encrypted), who was on air on the channel then, when, and which recogniser
heard them. The organiser reads the transcript, per channel, as JSON or as WebVTT.
It is meeting content: kept for the organiser's chosen time (P16), in the speaker's
access export, gone with their erasure. Translations are not kept: they are made again
from these words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import TRANSCRIPTION
from interpreta.events.models import Participant
from interpreta.meetings.models import TranscriptSegment
from interpreta.privacy.processing import runs_in

__all__ = ["as_webvtt", "may_keep", "record", "segments"]

MAX_TEXT = 5000
"""The longest sentence kept (a recogniser's utterance lasts at most 20 s)."""


@runs_in(TRANSCRIPTION)
def record(
    db: Session,
    event_id: int,
    channel_id: int,
    language: str,
    engine: str,
    speaker_id: int | None,
    text: str,
    spoken_at: datetime,
    duration_ms: int,
) -> TranscriptSegment:
    """Keep one recognised sentence."""
    segment = TranscriptSegment(
        event_id=event_id,
        channel_id=channel_id,
        language=language[:16],
        engine=engine[:32],
        speaker_id=speaker_id,
        text=text.strip()[:MAX_TEXT],
        spoken_at=spoken_at,
        duration_ms=max(0, duration_ms),
    )
    db.add(segment)
    db.flush()
    return segment


@runs_in(TRANSCRIPTION)
def may_keep(db: Session, participant_id: int) -> bool:
    """Whether a sentence of this participant may be kept: not when they restricted the
    processing of their data (P31; the processing engine hides a marked person's rows
    from the activities their mark stops), nor once they are gone."""
    found = db.scalar(select(Participant.id).where(Participant.id == participant_id))
    return found is not None


@runs_in(TRANSCRIPTION)
def segments(db: Session, event_id: int, channel_id: int | None = None) -> list[dict[str, Any]]:
    """The event's transcript (of one channel, if given), in the order it was said, with
    each speaker's name as the event knows it (none once they are erased or gone)."""
    query = (
        select(TranscriptSegment, Participant.first_name)
        .outerjoin(Participant, Participant.id == TranscriptSegment.speaker_id)
        .where(TranscriptSegment.event_id == event_id)
        .order_by(TranscriptSegment.spoken_at, TranscriptSegment.id)
    )
    if channel_id is not None:
        query = query.where(TranscriptSegment.channel_id == channel_id)
    return [
        {
            "id": segment.id,
            "channel_id": segment.channel_id,
            "language": segment.language,
            "engine": segment.engine,
            "speaker": name,
            "text": segment.text,
            "spoken_at": segment.spoken_at,
            "duration_ms": segment.duration_ms,
        }
        for segment, name in db.execute(query)
    ]


def _cue_time(offset: timedelta) -> str:
    milliseconds = max(0, int(offset.total_seconds() * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, milliseconds = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{milliseconds:03d}"


def _cue_text(text: str) -> str:
    """Text safe inside a WebVTT cue: no markup, no blank line, no arrow."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(escaped.split())


def as_webvtt(rows: list[dict[str, Any]]) -> str:
    """The transcript as WebVTT, timed from its first sentence, each cue voiced by its
    speaker where known (``<v Name>``)."""
    lines = ["WEBVTT", ""]
    if rows:
        start = rows[0]["spoken_at"]
        for number, row in enumerate(rows, 1):
            begin = row["spoken_at"] - start
            end = begin + timedelta(milliseconds=row["duration_ms"])
            voice = f"<v {_cue_text(row['speaker'])}>" if row["speaker"] else ""
            lines += [
                str(number),
                f"{_cue_time(begin)} --> {_cue_time(end)}",
                voice + _cue_text(row["text"]),
                "",
            ]
    return "\n".join(lines)
