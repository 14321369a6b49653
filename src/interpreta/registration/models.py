"""Registration's tables: the organiser's questions, registrations and their answers,
the feedback survey's questions and answers.

A registration is the customer's data about a participant (processor scope): kept for
the customer's chosen period after the event (30 days by default, so the survey can be
answered), answers encrypted at rest. Answers belong to their registration, so the
access export and erasure find them through its email address.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from interpreta.datamap import retention_rules as rules
from interpreta.datamap.declarations import Personal, not_personal, personal
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject
from interpreta.db.base import Base, UTCDateTime, enum_type
from interpreta.privacy.crypto import EncryptedText

REGISTRATION = Personal(
    category=Category.REGISTRATION,
    subject=Subject.PARTICIPANT,
    purposes=(Purpose.PROVIDE_EVENTS,),
    basis=LegalBasis.CONTRACT,
    retention=rules.REGISTRATION,
    scope=Scope.PROCESSOR,
)
IDENTITY = REGISTRATION.described("", category=Category.IDENTIFIERS)
ANSWERS = REGISTRATION.described("", confidential=True)
FEEDBACK = REGISTRATION.described("", category=Category.MEETING_CONTENT)
FEEDBACK_TEXT = FEEDBACK.described("", confidential=True)


class QuestionKind(StrEnum):
    """What a question asks for."""

    TEXT = "text"
    CHOICE = "choice"
    """One of the options."""
    MULTIPLE = "multiple"
    """Any of the options."""
    CONSENT = "consent"
    """A box to tick (the organiser's terms, photos...)."""
    RATING = "rating"
    """1 to 5 (the survey's)."""


class RegistrationStatus(StrEnum):
    """Where a registration stands."""

    PENDING = "pending"
    """Waiting for an organiser's decision."""
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


def _event_column() -> Mapped[int]:
    return mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("event", tie=Tie.EVENT),
    )


class _Question:
    """What both kinds of questions have: the organiser's words, in order."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    position: Mapped[int] = mapped_column(Integer, info=not_personal("order in the form"))
    kind: Mapped[QuestionKind] = mapped_column(
        enum_type(QuestionKind, 12), info=not_personal("what the question asks for")
    )
    label: Mapped[str] = mapped_column(
        String(300), info=not_personal("the organiser's question", free_text=True)
    )
    options: Mapped[str] = mapped_column(
        Text, default="[]", info=not_personal("the organiser's options (JSON)", free_text=True)
    )
    required: Mapped[bool] = mapped_column(
        Boolean, default=False, info=not_personal("whether an answer is required")
    )


class RegistrationQuestion(_Question, Base):
    """One question of an event's registration form."""

    __tablename__ = "registration_questions"

    event_id: Mapped[int] = _event_column()


class Registration(Base):
    """One person's registration for an event."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("event_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    event_id: Mapped[int] = _event_column()
    email: Mapped[str] = mapped_column(
        String(320),
        info=personal(IDENTITY, "registrant's email address", tie=Tie.EMAIL),
    )
    first_name: Mapped[str] = mapped_column(
        String(100), info=personal(IDENTITY, "registrant's first name")
    )
    last_name: Mapped[str] = mapped_column(
        String(100), info=personal(IDENTITY, "registrant's last name")
    )
    language: Mapped[str] = mapped_column(
        String(8), info=personal(REGISTRATION, "language of the registrant's mails")
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_type(RegistrationStatus, 12),
        info=personal(REGISTRATION, "whether the registration is accepted, waiting or declined"),
    )
    registered_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(REGISTRATION, "when someone registered")
    )
    decided_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REGISTRATION, "when the registration was last decided on")
    )
    link_nonce: Mapped[str] = mapped_column(
        String(32), info=not_personal("random salt of the personal link's signature")
    )
    invited_sequence: Mapped[int | None] = mapped_column(
        Integer, info=personal(REGISTRATION, "which calendar invitation the registrant holds")
    )
    reminded_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REGISTRATION, "when the registrant was mailed the reminder")
    )
    surveyed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=personal(REGISTRATION, "when the registrant was mailed the survey link")
    )


class RegistrationAnswer(Base):
    """A registrant's answer to one of the organiser's questions."""

    __tablename__ = "registration_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"),
        index=True,
        info=personal(REGISTRATION, "whose answer it is", tie=Tie.OWNER),
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("registration_questions.id", ondelete="CASCADE"),
        info=not_personal("which question"),
    )
    value: Mapped[str] = mapped_column(
        EncryptedText(), info=personal(ANSWERS, "answer to an organiser's registration question")
    )


class SurveyQuestion(_Question, Base):
    """One question of an event's feedback survey."""

    __tablename__ = "survey_questions"

    event_id: Mapped[int] = _event_column()


class SurveyAnswer(Base):
    """A participant's answer to one survey question."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"),
        index=True,
        info=personal(FEEDBACK, "whose feedback it is", tie=Tie.OWNER),
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"),
        info=not_personal("which question"),
    )
    value: Mapped[str] = mapped_column(
        EncryptedText(),
        info=personal(FEEDBACK_TEXT, "answer to the organiser's feedback question"),
    )
    answered_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=personal(FEEDBACK, "when the feedback was given")
    )
