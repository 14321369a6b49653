"""An event's registration over REST, for its organisers: the mode, capacity and
questions (``/api/events/{event_id}/registration``), the registrations and decisions on
them, the feedback survey's questions and its results (totals over whole groups of five).

Registering, seeing one's registration and answering the survey are pages
(``/register/{code}``, ``/registration``, ``/survey``: :mod:`interpreta.web.registration`),
reached by the event code and the personal link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictBool

from interpreta.accounts.actions import organisation_name
from interpreta.api import live_rights
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.events import load_event
from interpreta.api.inputs import Input, PathId, RowId
from interpreta.datamap.activities import FEEDBACK, REGISTRATION
from interpreta.events.models import Event, RegistrationMode
from interpreta.live.access import MANAGERS
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.registration import letters, questions, registrations, survey
from interpreta.registration.models import QuestionKind, RegistrationQuestion, SurveyQuestion
from interpreta.registration.questions import QuestionSpec

DECLINED = "The organiser declined your registration."
"""Why a declined registrant's live session ends."""

router = APIRouter(tags=["registration"], dependencies=[within(REGISTRATION)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such event or registration"},
    403: {"description": "Not an organiser of the event"},
}

Label = Annotated[str, Field(min_length=1, max_length=300)]
Option = Annotated[str, Field(min_length=1, max_length=200)]


class QuestionIn(Input):
    """A question as the organiser writes it; with the `id` of one of the event's
    questions, that question is changed and keeps its answers."""

    id: RowId | None = None
    kind: QuestionKind
    label: Label
    options: list[Option] = Field(default_factory=list, max_length=questions.MAX_OPTIONS)
    required: StrictBool = False


class QuestionOut(QuestionIn):
    """A question with its number (answers are named ``q{id}``)."""

    id: int  # type: ignore[assignment]


class RegistrationSettingsIn(Input):
    """How the event takes registrations."""

    mode: RegistrationMode
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    questions: list[QuestionIn] = Field(default_factory=list, max_length=questions.MAX_QUESTIONS)


class RegistrationSettingsOut(BaseModel):
    """How the event takes registrations, and how many it has."""

    mode: str
    capacity: int | None
    accepted: int
    questions: list[QuestionOut]


class RegistrationOut(BaseModel):
    """One registration as the organisers see it."""

    id: int
    email: str
    first_name: str
    last_name: str
    status: str
    registered_at: datetime
    decided_at: datetime | None
    answers: dict[str, str]


class DecisionIn(Input):
    """Accept or decline."""

    accept: StrictBool


class SurveyIn(Input):
    """The feedback survey's questions."""

    questions: list[QuestionIn] = Field(default_factory=list, max_length=questions.MAX_QUESTIONS)


def _specs(items: list[QuestionIn]) -> list[QuestionSpec]:
    return [QuestionSpec(q.kind, q.label, tuple(q.options), q.required, q.id) for q in items]


def _questions_out(found: list[RegistrationQuestion] | list[SurveyQuestion]) -> list[QuestionOut]:
    return [
        QuestionOut(
            id=q.id,
            kind=q.kind,
            label=q.label,
            options=questions.options_of(q),
            required=q.required,
        )
        for q in found
    ]


def _settings_out(platform: Platform, event_id: int) -> RegistrationSettingsOut:
    with platform.sessions() as db:
        event = db.get_one(Event, event_id)
        return RegistrationSettingsOut(
            mode=event.registration.value,
            capacity=event.capacity,
            accepted=registrations.accepted_count(db, event_id),
            questions=_questions_out(questions.listing(db, RegistrationQuestion, event_id)),
        )


@router.get("/api/events/{event_id}/registration", responses=_ERRORS)
def get_settings(event_id: PathId, user: UserDep, platform: PlatformDep) -> RegistrationSettingsOut:
    """How the event takes registrations."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
    return _settings_out(platform, event_id)


@router.put("/api/events/{event_id}/registration", responses=_ERRORS)
def put_settings(
    event_id: PathId, body: RegistrationSettingsIn, user: UserDep, platform: PlatformDep
) -> RegistrationSettingsOut:
    """Set the mode, capacity and questions; raising the capacity lets the waiting list
    in (each is mailed)."""
    specs = _specs(body.questions)
    questions.check(specs, questions.FORM_KINDS)
    now = platform.clock.now()
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        event.registration, event.capacity = body.mode, body.capacity
        questions.replace(db, RegistrationQuestion, event_id, specs)
        let_in = registrations.promote(db, event, now)
        organiser = organisation_name(db, event.organisation_id)
        post = letters.Post(platform.settings, platform.secrets.session_key, now)
        letters.send_status(db, platform.mailer, post, event, organiser, let_in)
    return _settings_out(platform, event_id)


@router.get("/api/events/{event_id}/registrations", responses=_ERRORS)
def list_registrations(
    event_id: PathId, user: UserDep, platform: PlatformDep
) -> list[RegistrationOut]:
    """Every registration, first come first, with its answers by question (``q{id}``)."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        found = registrations.listing(db, event_id)
        answers = registrations.answers_of(db, [r.id for r in found])
        return [
            RegistrationOut(
                id=r.id,
                email=r.email,
                first_name=r.first_name,
                last_name=r.last_name,
                status=r.status.value,
                registered_at=r.registered_at,
                decided_at=r.decided_at,
                answers={f"q{q}": value for q, value in answers.get(r.id, {}).items()},
            )
            for r in found
        ]


@router.post(
    "/api/events/{event_id}/registrations/{registration_id}/decision",
    responses={**_ERRORS, 409: {"description": "Cancelled by the registrant, or no place"}},
)
def decide(
    event_id: PathId,
    registration_id: PathId,
    body: DecisionIn,
    request: Request,
    user: UserDep,
    platform: PlatformDep,
) -> Response:
    """Accept or decline a registration; the registrant (and anyone let in from the
    waiting list) is mailed, an acceptance with the invitation."""
    now = platform.clock.now()
    with platform.transaction() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        changed = registrations.decide(db, event, registration_id, body.accept, now)
        organiser = organisation_name(db, event.organisation_id)
        post = letters.Post(platform.settings, platform.secrets.session_key, now)
        letters.send_status(db, platform.mailer, post, event, organiser, changed)
        gone = registrations.without_place(changed)
    live_rights.revoke_registrations(request, event_id, gone, DECLINED)
    return Response(status_code=204)


@router.get("/api/events/{event_id}/survey", responses=_ERRORS)
def get_survey(event_id: PathId, user: UserDep, platform: PlatformDep) -> list[QuestionOut]:
    """The feedback survey's questions."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        return _questions_out(questions.listing(db, SurveyQuestion, event_id))


@router.put("/api/events/{event_id}/survey", responses=_ERRORS)
def put_survey(
    event_id: PathId, body: SurveyIn, user: UserDep, platform: PlatformDep
) -> list[QuestionOut]:
    """Set the feedback survey's questions (mailed to accepted registrants once the event
    ends; none: no survey)."""
    specs = _specs(body.questions)
    questions.check(specs, questions.SURVEY_KINDS)
    with platform.transaction() as db:
        load_event(db, event_id, user, *MANAGERS)
        made = questions.replace(db, SurveyQuestion, event_id, specs)
        return _questions_out(made)


@router.get("/api/events/{event_id}/survey/results", responses=_ERRORS)
def survey_results(event_id: PathId, user: UserDep, platform: PlatformDep) -> dict[str, Any]:
    """The survey's totals over whole groups of five respondents (registration/survey.py)."""
    with processing(FEEDBACK), platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        found = survey.results(db, event_id)
    return {
        "respondents": found.respondents,
        "shown": found.shown,
        "minimum": survey.MIN_GROUP,
        "questions": [vars(q) for q in found.questions],
    }
