"""Human review of engagement estimates (P37, P33).

A sample of each event's detected estimates, and every estimate its subject asked to be
checked, wait in the event's review queue, requests first. An organiser checks each
against its evidence (the stretch of the recording it was made from: the sound, or a
frame of the video) and confirms it or corrects it, with a note. Making the estimates
again never overwrites a reviewed one.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import ENGAGEMENT_ESTIMATES
from interpreta.engagement import faces, speaking
from interpreta.engagement.models import EngagementEstimate, Measure, ReviewState
from interpreta.events.models import Participant
from interpreta.i18n.catalogues import N_
from interpreta.privacy.processing import runs_in
from interpreta.recordings import store

__all__ = [
    "BadReview",
    "Evidence",
    "about",
    "as_dict",
    "decide",
    "estimates",
    "evidence",
    "queue",
    "request_review",
]

NOTE_LENGTH = 2000
"""The longest reviewer's note."""


class BadReview(ValueError):
    """A review that cannot be recorded; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Evidence:
    """What a reviewer checks an estimate against."""

    media_type: str
    content: bytes


def as_dict(row: EngagementEstimate, name: str | None) -> dict[str, Any]:
    """An estimate as the API gives it."""
    return {
        "id": row.id,
        "participant_id": row.participant_id,
        "participant": name,
        "measure": row.measure.value,
        "value": row.value,
        "confidence": row.confidence,
        "estimate": True,
        "method": row.method,
        "computed_at": row.computed_at,
        "review": row.review.value,
        "review_requested": row.review_requested,
        "reviewed_value": row.reviewed_value,
        "review_note": row.review_note,
        "reviewed_at": row.reviewed_at,
        "has_evidence": row.recording_id is not None and row.evidence_from_ms is not None,
    }


def _named(query: Any) -> Any:
    return query.join(Participant, Participant.id == EngagementEstimate.participant_id).add_columns(
        Participant.first_name, Participant.last_name
    )


def _name(first: str | None, last: str | None) -> str | None:
    return " ".join(part for part in (first, last) if part) or None


@runs_in(ENGAGEMENT_ESTIMATES)
def estimates(db: Session, event_id: int) -> list[dict[str, Any]]:
    """The event's estimates, by participant and measure."""
    query = _named(
        select(EngagementEstimate)
        .where(EngagementEstimate.event_id == event_id)
        .order_by(EngagementEstimate.participant_id, EngagementEstimate.measure)
    )
    return [as_dict(row, _name(first, last)) for row, first, last in db.execute(query)]


@runs_in(ENGAGEMENT_ESTIMATES)
def queue(db: Session, event_id: int) -> list[dict[str, Any]]:
    """The event's estimates waiting for a person to check them: those their subject
    asked to be checked first, then the sampled ones, oldest first."""
    query = _named(
        select(EngagementEstimate)
        .where(
            EngagementEstimate.event_id == event_id,
            EngagementEstimate.review == ReviewState.QUEUED,
        )
        .order_by(EngagementEstimate.review_requested.desc(), EngagementEstimate.id)
    )
    return [as_dict(row, _name(first, last)) for row, first, last in db.execute(query)]


def _estimate(db: Session, event_id: int, estimate_id: int) -> EngagementEstimate:
    row = db.scalar(
        select(EngagementEstimate)
        .where(EngagementEstimate.id == estimate_id, EngagementEstimate.event_id == event_id)
        .with_for_update()
    )
    if row is None:
        raise LookupError(estimate_id)
    return row


@runs_in(ENGAGEMENT_ESTIMATES)
def decide(
    db: Session,
    event_id: int,
    estimate_id: int,
    *,
    confirmed: bool,
    value: float | None,
    note: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Record a person's review of an estimate: confirmed as it is, or corrected to
    `value`.

    :raises LookupError: no such estimate in the event (or its subject opted out).
    :raises BadReview: a correction without a value, a value the measure cannot take,
        a confirmation with a value, or a note too long.
    """
    row = _estimate(db, event_id, estimate_id)
    if confirmed and value is not None:
        raise BadReview("value", N_("A confirmed estimate keeps its value: give none."))
    if not confirmed:
        if value is None:
            raise BadReview("value", N_("Give the value the estimate should have had."))
        if value < 0 or (row.measure is Measure.CAMERA_PRESENCE and value > 1):
            raise BadReview(
                "value",
                N_("A share of frames is between 0 and 1.")
                if row.measure is Measure.CAMERA_PRESENCE
                else N_("A count or a time is not negative."),
            )
    if note is not None and len(note) > NOTE_LENGTH:
        raise BadReview("note", N_("The note is too long."))
    row.review = ReviewState.CONFIRMED if confirmed else ReviewState.CORRECTED
    row.reviewed_value = None if confirmed else value
    row.review_note = note or None
    row.reviewed_at = now
    db.flush()
    return as_dict(row, None)


@runs_in(ENGAGEMENT_ESTIMATES)
def request_review(db: Session, participant_ids: list[int], estimate_id: int) -> dict[str, Any]:
    """Queue an estimate about one of `participant_ids` (the person asking) for a person
    to check, however it was reviewed before (P33).

    :raises LookupError: no such estimate about them.
    """
    row = db.scalar(
        select(EngagementEstimate).where(
            EngagementEstimate.id == estimate_id,
            EngagementEstimate.participant_id.in_(participant_ids),
        )
    )
    if row is None:
        raise LookupError(estimate_id)
    row.review_requested = True
    row.review = ReviewState.QUEUED
    row.reviewed_value = row.review_note = row.reviewed_at = None
    db.flush()
    return as_dict(row, None)


@runs_in(ENGAGEMENT_ESTIMATES)
def about(db: Session, participant_ids: list[int]) -> list[dict[str, Any]]:
    """The estimates about a person (their participations' IDs), newest event first."""
    rows = db.scalars(
        select(EngagementEstimate)
        .where(EngagementEstimate.participant_id.in_(participant_ids))
        .order_by(EngagementEstimate.event_id.desc(), EngagementEstimate.measure)
    )
    return [as_dict(row, None) | {"event_id": row.event_id} for row in rows]


@runs_in(ENGAGEMENT_ESTIMATES)
def evidence(db: Session, event_id: int, estimate_id: int) -> Evidence:
    """What the estimate was made from: the stretch of sound (WAV) where the person was
    heard most, or the frame of video (JPEG) in the middle of the sampled ones.

    :raises LookupError: no such estimate, or it has no evidence (a count, or its
        recording was deleted).
    """
    row = _estimate(db, event_id, estimate_id)
    if row.recording_id is None or row.evidence_from_ms is None:
        raise LookupError(estimate_id)
    content = store.media(db, event_id, row.recording_id)
    if content is None:
        raise LookupError(estimate_id)
    _, media_type, data = content
    start, end = row.evidence_from_ms, row.evidence_to_ms or row.evidence_from_ms
    if media_type.startswith("video/"):
        for _, frame in faces.sampled_frames(data, start, start + 1000):
            ok, jpeg = cv2.imencode(".jpg", frame)
            if ok:
                return Evidence("image/jpeg", jpeg.tobytes())
        raise LookupError(estimate_id)
    pcm = speaking.pcm_of(data, start, end)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(pcm)
    return Evidence("audio/wav", out.getvalue())
