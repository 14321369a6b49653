"""Registration's pages. For everyone: register for an event (``/register/{code}``), see
or cancel one's registration and download its invitation (``/registration``), answer the
feedback survey (``/survey``), reached by the personal link mailed. For organisers:
``/events/{id}/registration``, the mode, capacity and questions, the registrations with
accept and decline, the survey's questions and results.

Every page works without JavaScript (plain forms posting here) and calls the same
functions as the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from interpreta.accounts.actions import organisation_name
from interpreta.accounts.models import User
from interpreta.api import live_rights
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, client_address, within
from interpreta.api.events import load_event
from interpreta.api.inputs import PathId
from interpreta.calendar_integration import contacts, invitations
from interpreta.datamap.activities import FEEDBACK, REGISTRATION
from interpreta.errors import Problem
from interpreta.events.models import Event, RegistrationMode
from interpreta.i18n import locales
from interpreta.i18n.catalogues import gettext
from interpreta.live.access import MANAGERS
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.registration import letters, questions, registrations, survey
from interpreta.registration.models import (
    QuestionKind,
    Registration,
    RegistrationQuestion,
    SurveyQuestion,
)
from interpreta.registration.questions import QuestionSpec
from interpreta.web.pages import _login_redirect, not_found_page, render

router = APIRouter(include_in_schema=False, dependencies=[within(REGISTRATION)])

DECLINED = "The organiser declined your registration."
CANCELLED = "You cancelled your registration."
"""Why a live session opened with the personal link ends."""
NEW_ROWS = 3
"""Empty question rows the organiser's form offers for new questions."""


def _event_by_code(db: Session, code: str) -> Event | None:
    query = select(Event).where(Event.code == code.strip().upper()[:8], Event.purged_at.is_(None))
    return db.scalar(query)


def _post(platform: Platform) -> letters.Post:
    return letters.Post(platform.settings, platform.secrets.session_key, platform.clock.now())


def _organiser(db: Session, event: Event) -> str:
    return organisation_name(db, event.organisation_id)


def _answers(form: FormData) -> dict[str, str | list[str]]:
    return {
        key: [str(v) for v in form.getlist(key)]
        for key in form
        if key.startswith("q") and key[1:].isdigit()
    }


def _form_page(
    request: Request,
    user: User | None,
    db: Session,
    event: Event,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    asked = questions.listing(db, RegistrationQuestion, event.id)
    return render(
        request,
        "registration/register.html",
        user,
        status_code,
        event=event,
        asked=[(q, questions.options_of(q)) for q in asked],
        places_left=registrations.places_left(db, event),
        approval=event.registration is RegistrationMode.APPROVAL,
        **context,
    )


@router.get("/register/{code}", response_class=HTMLResponse)
def register_page(
    code: str, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> HTMLResponse:
    """The event's registration form."""
    with platform.sessions() as db:
        event = _event_by_code(db, code)
        if event is None or event.registration is RegistrationMode.OPEN:
            return not_found_page(
                request, user, gettext("This event does not take registrations."), code
            )
        return _form_page(request, user, db, event, sent=False, given={})


@router.post("/register/{code}", response_class=HTMLResponse)
async def register(
    code: str, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> HTMLResponse:
    """Register: the answers are checked, the registration is made (or found again),
    and where it stands is mailed: with the invitation once accepted."""
    form = await request.form()
    given = {k: str(form.get(k, ""))[:400] for k in ("email", "first_name", "last_name")}
    return _register(request, user, platform, code, form, given)


def _register(
    request: Request,
    user: User | None,
    platform: Platform,
    code: str,
    form: FormData,
    given: dict[str, str],
) -> HTMLResponse:
    now = platform.clock.now()
    try:
        platform.ratelimits.mail(given["email"].strip() or "-", client_address(request))
        with platform.transaction() as db:
            event = _event_by_code(db, code)
            if event is None:
                raise Problem(
                    404, gettext("Not found"), gettext("This event does not take registrations.")
                )
            asked = questions.listing(db, RegistrationQuestion, event.id)
            answers = questions.answers_for(asked, _answers(form))
            registration, _new = registrations.register(
                db,
                event,
                email=given["email"],
                first_name=given["first_name"],
                last_name=given["last_name"],
                answers=answers,
                language=locales.current(),
                now=now,
            )
            letters.send_status(
                db, platform.mailer, _post(platform), event, _organiser(db, event), [registration]
            )
    except Problem as problem:
        with platform.sessions() as db:
            event = _event_by_code(db, code)
            if event is None or event.registration is RegistrationMode.OPEN:
                return not_found_page(request, user, problem.detail, code)
            return _form_page(
                request,
                user,
                db,
                event,
                problem.status,
                sent=False,
                error=problem.detail,
                given=given,
            )
    with platform.sessions() as db:
        event = db.get_one(Event, event.id)
        return _form_page(request, user, db, event, sent=True, given={})


def _own(platform: Platform, db: Session, token: str) -> Registration:
    registration = registrations.by_token(db, platform.secrets.session_key, token[:100])
    if registration is None:
        raise Problem(
            410, gettext("Link no longer valid"), gettext("This link is not valid any more.")
        )
    return registration


@router.get("/registration", response_class=HTMLResponse)
def registration_page(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = ""
) -> HTMLResponse:
    """One's registration: where it stands, the join link once accepted, the invitation,
    and a button to cancel."""
    with platform.sessions() as db:
        try:
            registration = _own(platform, db, token)
        except Problem as problem:
            return render(
                request, "registration/mine.html", user, problem.status, error=problem.detail
            )
        event = db.get_one(Event, registration.event_id)
        post = _post(platform)
        return render(
            request,
            "registration/mine.html",
            user,
            registration=registration,
            event=event,
            token=token[:100],
            join_link=post.join_link(event, registration),
            when=post.when(event),
        )


@router.get("/registration/invitation.ics", response_model=None)
def invitation_file(platform: PlatformDep, token: str = "") -> Response:
    """The calendar invitation of an accepted registration, to add by hand."""
    with platform.sessions() as db:
        registration = _own(platform, db, token)
        if registration.status.value != "accepted":
            raise Problem(
                409,
                gettext("Not accepted"),
                gettext("Only an accepted registration has an invitation."),
            )
        event = db.get_one(Event, registration.event_id)
        attachment = _post(platform).invitation(event, _organiser(db, event), registration)
    return Response(
        attachment.data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invitation.ics"'},
    )


@router.post("/registration/cancel", response_model=None)
async def cancel(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """Cancel one's registration: the place goes to the waiting list's first; both are
    mailed (the cancellation removes the calendar entry)."""
    token = str((await request.form()).get("token", ""))[:100]
    now = platform.clock.now()
    try:
        with platform.transaction() as db:
            registration = _own(platform, db, token)
            event = db.get_one(Event, registration.event_id)
            changed = registrations.cancel(db, registration, now)
            letters.send_status(
                db, platform.mailer, _post(platform), event, _organiser(db, event), changed
            )
            gone, event_id = registrations.without_place(changed), event.id
    except Problem as problem:
        return render(request, "registration/mine.html", user, problem.status, error=problem.detail)
    live_rights.revoke_registrations(request, event_id, gone, CANCELLED)
    return RedirectResponse(f"/registration?token={token}", status_code=303)


@router.get("/survey", response_class=HTMLResponse)
def survey_page(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = ""
) -> HTMLResponse:
    """The feedback survey of the event one registered for."""
    with processing(FEEDBACK), platform.sessions() as db:
        try:
            registration = _own(platform, db, token)
        except Problem as problem:
            return render(
                request, "registration/survey.html", user, problem.status, error=problem.detail
            )
        event = db.get_one(Event, registration.event_id)
        asked = questions.listing(db, SurveyQuestion, event.id)
        return render(
            request,
            "registration/survey.html",
            user,
            event=event,
            token=token[:100],
            asked=[(q, questions.options_of(q)) for q in asked],
            done=survey.answered(db, registration.id),
            open=survey.ended(event, platform.clock.now()),
        )


@router.post("/survey", response_class=HTMLResponse)
async def answer_survey(
    request: Request, user: OptionalUserDep, platform: PlatformDep
) -> HTMLResponse:
    """Record the survey's answers (once)."""
    form = await request.form()
    token = str(form.get("token", ""))[:100]
    try:
        with processing(FEEDBACK), platform.transaction() as db:
            registration = _own(platform, db, token)
            event = db.get_one(Event, registration.event_id)
            survey.answer(db, event, registration, _answers(form), platform.clock.now())
    except Problem as problem:
        return render(
            request,
            "registration/survey.html",
            user,
            problem.status,
            error=problem.detail,
            token=token,
        )
    return render(request, "registration/survey.html", user, done=True, thanks=True)


# The organisers' page


def _number(text: str) -> bool:
    """Whether a form's text is a plain row number."""
    return text.isascii() and text.isdigit() and len(text) < 19


def _specs(form: FormData, prefix: str) -> list[QuestionSpec]:
    """The questions of the organiser's form: rows ``{prefix}{n}-label`` and friends; an
    empty label drops its row."""
    specs = []
    rows = sorted(
        {key.split("-")[0] for key in form if key.startswith(prefix) and "-" in key},
        key=lambda row: int(row[len(prefix) :]) if _number(row[len(prefix) :]) else 0,
    )
    for row in rows:
        label = str(form.get(f"{row}-label", "")).strip()
        if not label:
            continue
        try:
            kind = QuestionKind(str(form.get(f"{row}-kind", "")))
        except ValueError:
            raise Problem(
                422, "Invalid question", gettext("Choose what the question asks for.")
            ) from None
        options = tuple(
            line.strip()
            for line in str(form.get(f"{row}-options", "")).splitlines()
            if line.strip()
        )
        question = str(form.get(f"{row}-id", ""))
        specs.append(
            QuestionSpec(
                kind,
                label[:300],
                options,
                form.get(f"{row}-required") == "yes",
                int(question)
                if question.isascii() and question.isdigit() and len(question) < 19
                else None,
            )
        )

    return specs


def _manage_page(
    request: Request,
    user: User,
    platform: Platform,
    event_id: int,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    with processing(FEEDBACK), platform.sessions() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        found = registrations.listing(db, event_id)
        asked = questions.listing(db, RegistrationQuestion, event_id)
        surveyed = questions.listing(db, SurveyQuestion, event_id)
        return render(
            request,
            "registration/manage.html",
            user,
            status_code,
            event=event,
            modes=[m.value for m in RegistrationMode],
            form_kinds=sorted(k.value for k in questions.FORM_KINDS),
            survey_kinds=sorted(k.value for k in questions.SURVEY_KINDS),
            asked=[(q, questions.options_of(q)) for q in asked],
            surveyed=[(q, questions.options_of(q)) for q in surveyed],
            new_rows=range(NEW_ROWS),
            registrations=found,
            answers=registrations.answers_of(db, [r.id for r in found]),
            accepted=registrations.accepted_count(db, event_id),
            results=survey.results(db, event_id),
            minimum=survey.MIN_GROUP,
            contacts=contacts.listing(db, user.id),
            **context,
        )


@router.get("/events/{event_id}/registration", response_model=None)
def manage_page(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """The organisers' registration page."""
    if user is None:
        return _login_redirect(request)
    try:
        return _manage_page(request, user, platform, event_id)
    except Problem:
        return not_found_page(
            request, user, gettext("There is no such event in your organisations.")
        )


@router.post("/events/{event_id}/registration", response_model=None)
async def save_settings(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """Save the mode, capacity and registration questions."""
    if user is None:
        return _login_redirect(request)
    form = await request.form()
    now = platform.clock.now()
    try:
        mode = RegistrationMode(str(form.get("mode", "")))
        raw = str(form.get("capacity", "")).strip()
        capacity = int(raw) if raw else None
        if capacity is not None and not 1 <= capacity <= 1_000_000:
            raise ValueError
    except ValueError:
        error = gettext("Choose a mode, and a capacity from 1 or none.")
        return _manage_page(request, user, platform, event_id, 422, error=error)
    try:
        specs = _specs(form, "r")
        questions.check(specs, questions.FORM_KINDS)
        with platform.transaction() as db:
            event = load_event(db, event_id, user, *MANAGERS)
            event.registration, event.capacity = mode, capacity
            questions.replace(db, RegistrationQuestion, event_id, specs)
            let_in = registrations.promote(db, event, now)
            letters.send_status(
                db, platform.mailer, _post(platform), event, _organiser(db, event), let_in
            )
    except Problem as problem:
        return _manage_page(request, user, platform, event_id, problem.status, error=problem.detail)
    return RedirectResponse(f"/events/{event_id}/registration?saved=1", status_code=303)


@router.post("/events/{event_id}/registrations/{registration_id}", response_model=None)
async def decide(
    event_id: PathId,
    registration_id: PathId,
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
) -> Response:
    """Accept or decline one registration (``decision`` ``accept`` or ``decline``)."""
    if user is None:
        return _login_redirect(request)
    decision = str((await request.form()).get("decision", ""))
    if decision not in ("accept", "decline"):
        error = gettext("Accept or decline.")
        return _manage_page(request, user, platform, event_id, 422, error=error)
    now = platform.clock.now()
    try:
        with platform.transaction() as db:
            event = load_event(db, event_id, user, *MANAGERS)
            changed = registrations.decide(db, event, registration_id, decision == "accept", now)
            letters.send_status(
                db, platform.mailer, _post(platform), event, _organiser(db, event), changed
            )
            gone = registrations.without_place(changed)
    except Problem as problem:
        return _manage_page(request, user, platform, event_id, problem.status, error=problem.detail)
    live_rights.revoke_registrations(request, event_id, gone, DECLINED)
    return RedirectResponse(f"/events/{event_id}/registration#registrations", status_code=303)


@router.post("/events/{event_id}/registration/invitations", response_model=None)
async def invite_contacts(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """Mail the picked contacts of the organiser's address book an invitation with the
    registration form's link (the join page's when the event takes no registration)."""
    if user is None:
        return _login_redirect(request)
    picked = [str(v)[:320] for v in (await request.form()).getlist("email")]
    base = platform.settings.base_url.rstrip("/")
    try:
        with platform.sessions() as db:
            event = load_event(db, event_id, user, *MANAGERS)
            page = "register" if event.registration is not RegistrationMode.OPEN else "join"
            sent = invitations.invite(
                db,
                platform.mailer,
                user.id,
                picked,
                title=event.title,
                organiser=organisation_name(db, event.organisation_id),
                link=f"{base}/{page}/{event.code}",
            )
    except Problem as problem:
        return _manage_page(request, user, platform, event_id, problem.status, error=problem.detail)
    return RedirectResponse(
        f"/events/{event_id}/registration?invited={sent}#invite", status_code=303
    )


@router.post("/events/{event_id}/survey", response_model=None)
async def save_survey(
    event_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """Save the feedback survey's questions."""
    if user is None:
        return _login_redirect(request)
    form = await request.form()
    try:
        specs = _specs(form, "s")
        questions.check(specs, questions.SURVEY_KINDS)
        with platform.transaction() as db:
            load_event(db, event_id, user, *MANAGERS)
            questions.replace(db, SurveyQuestion, event_id, specs)
    except Problem as problem:
        return _manage_page(request, user, platform, event_id, problem.status, error=problem.detail)
    return RedirectResponse(f"/events/{event_id}/registration?saved=1#survey", status_code=303)
