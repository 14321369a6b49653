"""The organiser's questions, for the registration form and the feedback survey alike:
replacing an event's list, and checking a person's answers against it.

Answers arrive as form fields named ``q{id}``; each is checked against its question
(required, one of the options, a ticked box, a rating from 1 to 5, at most 2,000
characters) and stored as text (JSON for several options).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from interpreta.errors import FieldError, Problem
from interpreta.i18n.catalogues import gettext
from interpreta.registration.models import (
    QuestionKind,
    RegistrationQuestion,
    SurveyQuestion,
)

MAX_QUESTIONS = 30
MAX_OPTIONS = 20
MAX_ANSWER = 2000
RATINGS = ("1", "2", "3", "4", "5")

FORM_KINDS = frozenset(
    {QuestionKind.TEXT, QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.CONSENT}
)
"""What a registration form may ask."""
SURVEY_KINDS = frozenset(
    {QuestionKind.RATING, QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.TEXT}
)
"""What a feedback survey may ask."""

Question = TypeVar("Question", RegistrationQuestion, SurveyQuestion)


@dataclass(frozen=True)
class QuestionSpec:
    """A question as the organiser writes it."""

    kind: QuestionKind
    label: str
    options: tuple[str, ...] = ()
    required: bool = False
    id: int | None = None
    """The question this one keeps (its answers stay), or None for a new question."""


def _invalid(detail: str, field: str) -> Problem:
    return Problem(422, gettext("Invalid question"), detail, [FieldError(field, detail)])


def check(specs: Sequence[QuestionSpec], kinds: frozenset[QuestionKind]) -> None:
    """Refuse a list of questions that cannot be asked (422, naming the question)."""
    if len(specs) > MAX_QUESTIONS:
        raise _invalid(gettext("At most %(count)s questions.", count=MAX_QUESTIONS), "questions")
    for index, spec in enumerate(specs):
        where = f"questions[{index}]"
        if spec.kind not in kinds:
            raise _invalid(
                gettext("A %(kind)s question cannot be asked here.", kind=spec.kind.value),
                where,
            )
        if not spec.label.strip():
            raise _invalid(gettext("A question needs words."), where)
        options = [o.strip() for o in spec.options]
        if spec.kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE):
            if not 2 <= len(options) <= MAX_OPTIONS or not all(options):
                raise _invalid(
                    gettext("A choice needs 2 to %(most)s options.", most=MAX_OPTIONS), where
                )
            if len(set(options)) != len(options):
                raise _invalid(gettext("Each option must be different."), where)
        elif options:
            raise _invalid(gettext("Only a choice has options."), where)


def replace(
    db: Session, model: type[Question], event_id: int, specs: Sequence[QuestionSpec]
) -> list[Question]:
    """Make `specs` the event's questions of `model`, in order: a spec naming one of the
    event's questions changes it in place (its answers stay), a spec without one adds a
    question, and a question no spec names goes, with its answers."""
    existing = {q.id: q for q in listing(db, model, event_id)}
    kept = {spec.id for spec in specs if spec.id in existing}
    gone = [qid for qid in existing if qid not in kept]
    if gone:
        db.execute(delete(model).where(model.id.in_(gone)))
    made = []
    for position, spec in enumerate(specs):
        question = (
            existing[spec.id]
            if spec.id in kept and spec.id is not None
            else model(event_id=event_id)
        )
        question.position = position
        question.kind = spec.kind
        question.label = spec.label.strip()
        question.options = json.dumps([o.strip() for o in spec.options], ensure_ascii=False)
        question.required = spec.required
        db.add(question)
        made.append(question)
    db.flush()
    return made


def listing(db: Session, model: type[Question], event_id: int) -> list[Question]:
    """The event's questions of `model`, in order."""
    query = select(model).where(model.event_id == event_id).order_by(model.position)
    return list(db.scalars(query))


def options_of(question: RegistrationQuestion | SurveyQuestion) -> list[str]:
    """A question's options."""
    found = json.loads(question.options or "[]")
    return [str(o) for o in found] if isinstance(found, list) else []


def answers_for(
    questions: Sequence[RegistrationQuestion | SurveyQuestion],
    given: Mapping[str, str | list[str]],
) -> dict[int, str]:
    """Each answered question's answer as stored, from fields named ``q{id}``; 422
    naming the first question whose answer cannot be taken."""
    answers: dict[int, str] = {}
    for question in questions:
        field = f"q{question.id}"
        raw = given.get(field)
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [v.strip() for v in values if v and v.strip()]
        answer = _answer(question, values, field)
        if answer is None:
            if question.required:
                raise _refused(question, "This question needs an answer.", field)
            continue
        answers[question.id] = answer
    return answers


def _answer(
    question: RegistrationQuestion | SurveyQuestion, values: list[str], field: str
) -> str | None:
    if not values:
        return None
    options = options_of(question)
    kind = question.kind
    if kind is QuestionKind.MULTIPLE:
        if not set(values) <= set(options):
            raise _refused(question, "Choose among the options.", field)
        return json.dumps([o for o in options if o in values], ensure_ascii=False)
    if len(values) > 1:
        raise _refused(question, "Give one answer.", field)
    value = values[0]
    if kind is QuestionKind.CHOICE and value not in options:
        raise _refused(question, gettext("Choose one of the options."), field)
    if kind is QuestionKind.CONSENT and value != "yes":
        raise _refused(question, gettext("Tick the box, or leave it empty."), field)
    if kind is QuestionKind.RATING and value not in RATINGS:
        raise _refused(question, gettext("Give a rating from 1 to 5."), field)
    if len(value) > MAX_ANSWER:
        raise _refused(question, gettext("At most %(count)s characters.", count=MAX_ANSWER), field)
    return value


def _refused(question: RegistrationQuestion | SurveyQuestion, detail: str, field: str) -> Problem:
    return Problem(
        422,
        gettext("Answer refused"),
        f"{question.label}: {detail}",
        [FieldError(field, detail)],
    )
