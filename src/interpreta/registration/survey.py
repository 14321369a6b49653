"""The feedback survey after an event: one set of answers per accepted registrant, and
results the organiser sees without names and only over whole groups of
:data:`MIN_GROUP` respondents, so no one's answer can be singled out (by an organiser
who does not answer in several people's names: that the threshold cannot stop)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from interpreta.datamap.activities import FEEDBACK
from interpreta.errors import Problem
from interpreta.events.models import Event, EventStatus
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.processing import runs_in
from interpreta.registration import questions
from interpreta.registration.models import (
    QuestionKind,
    Registration,
    RegistrationStatus,
    SurveyAnswer,
    SurveyQuestion,
)

MIN_GROUP = 5
"""The fewest answers whose totals are shown."""


def ended(event: Event, now: datetime) -> bool:
    """Whether the event is over (the survey opens then)."""
    return event.status is EventStatus.ENDED or event.ends_at <= now


@runs_in(FEEDBACK)
def answered(db: Session, registration_id: int) -> bool:
    """Whether the registrant answered the survey already."""
    query = select(func.count()).where(SurveyAnswer.registration_id == registration_id)
    return bool(db.scalar(query))


@runs_in(FEEDBACK)
def answer(
    db: Session,
    event: Event,
    registration: Registration,
    given: dict[str, str | list[str]],
    now: datetime,
) -> int:
    """Record `registration`'s answers (fields ``q{id}``); 409 before the event ends, for a
    registrant who was not accepted, or a second time. Returns how many were stored."""
    if not ended(event, now):
        raise Problem(409, gettext("Not yet"), gettext("The survey opens when the event ends."))
    if registration.status is not RegistrationStatus.ACCEPTED:
        raise Problem(
            409,
            gettext("Not a participant"),
            gettext("Only accepted participants answer the survey."),
        )
    db.execute(  # one answer at a time per registrant: a double submit waits, then sees it
        update(Registration)
        .where(Registration.id == registration.id)
        .values(link_nonce=Registration.link_nonce)
        .execution_options(synchronize_session=False)
    )
    if answered(db, registration.id):
        raise Problem(
            409, gettext("Answered"), gettext("You answered this survey already. Thank you.")
        )
    asked = questions.listing(db, SurveyQuestion, event.id)
    answers = questions.answers_for(asked, given)
    if not answers:
        raise Problem(422, gettext("No answer"), gettext("Answer at least one question."))
    db.add_all(
        SurveyAnswer(registration_id=registration.id, question_id=q, value=v, answered_at=now)
        for q, v in answers.items()
    )
    db.flush()
    return len(answers)


@dataclass
class QuestionResult:
    """The totals of one question, when enough people answered it."""

    question: str
    kind: str
    answers: int
    shown: bool
    counts: dict[str, int] = field(default_factory=dict)
    average: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    """The survey's results as the organiser may see them."""

    respondents: int
    """How many respondents the totals count (whole groups of five)."""
    shown: bool
    questions: list[QuestionResult]


@runs_in(FEEDBACK)
def results(db: Session, event_id: int) -> Results:
    """Totals per question over whole groups of :data:`MIN_GROUP` respondents: the first
    five to answer, then the first ten, and so on, so a new answer changes nothing the
    organiser sees until four more came (comparing two views never isolates one person).
    A question fewer than five of them answered shows nothing; texts come sorted, never
    in the order given, and without names."""
    asked = questions.listing(db, SurveyQuestion, event_id)
    rows = db.scalars(  # entities: the values decrypt as they load
        select(SurveyAnswer)
        .where(SurveyAnswer.question_id.in_([q.id for q in asked]))
        .order_by(SurveyAnswer.answered_at, SurveyAnswer.registration_id)
    ).all()
    order = list(dict.fromkeys(row.registration_id for row in rows))
    counted = set(order[: len(order) // MIN_GROUP * MIN_GROUP])
    by_question: dict[int, list[str]] = {}
    for row in rows:
        if row.registration_id in counted:
            by_question.setdefault(row.question_id, []).append(row.value)
    out = []
    for question in asked:
        values = by_question.get(question.id, [])
        result = QuestionResult(question.label, question.kind.value, len(values), False)
        if len(values) >= MIN_GROUP:
            result.shown = True
            _totals(question, values, result)
        out.append(result)
    return Results(len(counted), bool(counted), out)


def _totals(question: SurveyQuestion, values: list[str], result: QuestionResult) -> None:
    if question.kind is QuestionKind.TEXT:
        result.texts = sorted(values, key=str.casefold)
        return
    if question.kind is QuestionKind.MULTIPLE:
        counted: Counter[str] = Counter(o for v in values for o in json.loads(v))
    else:
        counted = Counter(values)
    keys = (
        questions.RATINGS
        if question.kind is QuestionKind.RATING
        else questions.options_of(question)
    )
    result.counts = {key: counted.get(key, 0) for key in keys}
    if question.kind is QuestionKind.RATING:
        result.average = round(sum(int(v) for v in values) / len(values), 2)
