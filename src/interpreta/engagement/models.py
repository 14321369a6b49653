"""The engagement estimates' table: one estimate of one measure about one participant of
an event, with its confidence, how it was made, where to check it, and its review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

ENGAGEMENT = Personal(
    category=Category.ENGAGEMENT,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.AUTOMATED_ASSESSMENT,),
    basis=LegalBasis.LEGITIMATE_INTEREST,
    retention=rules.MEETING_CONTENT,
    scope=Scope.PROCESSOR,
    confidential=False,
)
"""An estimate about a participant, made for the organiser (our customer, who decides
about it) from the event's content: kept as long as that content (P16)."""


class Measure(StrEnum):
    """What an estimate measures."""

    SPEAKING_TIME = "speaking_time"
    """Seconds of voice heard while the person was on air (WebRTC's voice detector)."""
    SPEAKING_TURNS = "speaking_turns"
    """Separate stretches of voice while on air."""
    CAMERA_PRESENCE = "camera_presence"
    """The share of sampled video frames, while the person was on the stage, that show a
    face (OpenCV's Haar cascade): not who, nor how they look."""
    CHAT_MESSAGES = "chat_messages"
    """Chat messages written (a count: confidence 1)."""
    POLL_VOTES = "poll_votes"
    """Poll answers given (a count)."""
    QUESTIONS = "questions"
    """Q&A questions asked (a count)."""

    @property
    def automatic(self) -> bool:
        """Made by a detector from sound or pictures (and so sampled for human review),
        rather than counted."""
        return self in _DETECTED


_DETECTED = frozenset({Measure.SPEAKING_TIME, Measure.SPEAKING_TURNS, Measure.CAMERA_PRESENCE})


class ReviewState(StrEnum):
    """Where an estimate stands with human review (P37)."""

    NONE = "none"
    QUEUED = "queued"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


class EngagementEstimate(Base):
    """One estimate of one measure about one participant of an event."""

    __tablename__ = "engagement_estimates"
    __table_args__ = (UniqueConstraint("participant_id", "measure"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"),
        index=True,
        info=personal(ENGAGEMENT, "who an engagement estimate is about", tie=Tie.OWNER),
    )
    measure: Mapped[Measure] = mapped_column(
        enum_type(Measure, 20), info=not_personal("what the estimate measures")
    )
    value: Mapped[float] = mapped_column(
        Float, info=personal(ENGAGEMENT, "an engagement estimate about you")
    )
    confidence: Mapped[float] = mapped_column(
        Float, info=personal(ENGAGEMENT, "how sure an engagement estimate is")
    )
    method: Mapped[str] = mapped_column(
        String(200), info=not_personal("how the estimate was made, in words")
    )
    recording_id: Mapped[int | None] = mapped_column(
        ForeignKey("recordings.id", ondelete="SET NULL"),
        info=not_personal("the recording the estimate was made from"),
    )
    evidence_from_ms: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(ENGAGEMENT, "where in the recording a reviewer checks an estimate"),
    )
    evidence_to_ms: Mapped[int | None] = mapped_column(
        Integer,
        info=personal(ENGAGEMENT, "where in the recording a reviewer checks an estimate"),
    )
    computed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the estimate was made")
    )
    review: Mapped[ReviewState] = mapped_column(
        enum_type(ReviewState, 10),
        default=ReviewState.NONE,
        info=personal(ENGAGEMENT, "whether a person checked an estimate about you"),
    )
    review_requested: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        info=personal(ENGAGEMENT, "that you asked for an estimate about you to be checked"),
    )
    reviewed_value: Mapped[float | None] = mapped_column(
        Float, info=personal(ENGAGEMENT, "the value a reviewer found instead")
    )
    review_note: Mapped[str | None] = mapped_column(
        EncryptedText,
        info=personal(
            ENGAGEMENT,
            "a reviewer's note on an estimate about you",
            confidential=True,
            free_text=True,
        ),
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the estimate was checked")
    )
