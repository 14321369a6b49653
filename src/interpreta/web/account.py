"""The account pages: the signed-in person's security settings, and the pages that
mailed links open (prove an address, set a new password, answer an invitation).

Each works without JavaScript: plain forms that post here and show the outcome
(mail scanners follow links, so following one only shows a button; acting is a
POST). Writes go through the same account functions as the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interpreta.accounts import invitations, recovery, twofactor, verification
from interpreta.accounts.actions import organisation_name
from interpreta.accounts.invitations import ROLE_WORDS
from interpreta.accounts.models import User
from interpreta.accounts.signin import COOKIE_NAME, end_sessions, open_sessions, session_for_token
from interpreta.api.dependencies import (
    OptionalUserDep,
    PlatformDep,
    client_address,
    optional_user,
    within,
)
from interpreta.api.inputs import PathId
from interpreta.calendar_integration import connections as calendar_connections
from interpreta.calendar_integration.connections import Credentials
from interpreta.datamap.activities import SIGN_IN
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.platform import Platform
from interpreta.web.pages import _login_redirect, render

router = APIRouter(include_in_schema=False, dependencies=[within(SIGN_IN)])

MIN_PASSWORD = 10


def _problem_page(
    request: Request, platform: Platform, template: str, problem: Problem
) -> HTMLResponse:
    """`template` showing `problem`. The signed-in user is loaded again: the failed
    transaction rolled back, which expired what it had loaded."""
    user = optional_user(request, platform)
    return render(request, template, user, error=problem.detail, status_code=problem.status)


@router.get("/account", response_model=None)
def account_page(
    request: Request, user: OptionalUserDep, platform: PlatformDep, done: str = ""
) -> Response:
    """Security settings: the address and its proof, two-factor sign-in, signed-in
    browsers; and the connected calendar."""
    if user is None:
        return _login_redirect(request)
    return _settings_page(request, platform, user, done=done[:40])


def _settings_page(
    request: Request,
    platform: Platform,
    user: User,
    *,
    done: str = "",
    problem: Problem | None = None,
    calendar_form: dict[str, str] | None = None,
) -> HTMLResponse:
    """The account page, saying what was done or what went wrong (`problem`); a refused
    calendar form shows again with what was typed (never the password)."""
    token = request.cookies.get(COOKIE_NAME, "")
    with platform.sessions() as db:
        current = session_for_token(db, token) if token else None
        sessions = [
            {"row": row, "current": current is not None and row.id == current.id}
            for row in open_sessions(db, user.id, platform.clock.now())
        ]
        calendar = calendar_connections.view(db, user.id)
    return render(
        request,
        "account/settings.html",
        user,
        sessions=sessions,
        done=done,
        setup=None,
        calendar=calendar,
        calendar_form=calendar_form or {},
        error=problem.detail if problem is not None else None,
        status_code=problem.status if problem is not None else 200,
    )


@router.post("/account/verification", response_model=None)
def resend(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """Mail a new link proving the account's address."""
    if user is None:
        return _login_redirect(request)
    platform.ratelimits.mail(user.email, client_address(request))
    with platform.transaction() as db:
        db.add(user)
        verification.send_verification(
            db, platform.mailer, platform.settings, user, now=platform.clock.now()
        )
    return RedirectResponse("/account?done=verification-sent", status_code=303)


@router.post("/account/sessions/{session_id}/end", response_model=None)
def end_session(
    session_id: PathId, request: Request, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """Sign one browser out."""
    if user is None:
        return _login_redirect(request)
    with platform.transaction() as db:
        end_sessions(db, user.id, platform.clock.now(), only=session_id)
    return RedirectResponse("/account?done=session-ended", status_code=303)


@router.post("/account/two-factor", response_model=None)
def begin_two_factor(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """Show a new secret to add to an authenticator app, and ask for its first code."""
    if user is None:
        return _login_redirect(request)
    try:
        with platform.transaction() as db:
            db.add(user)
            uri = twofactor.begin(user)
            secret = user.totp_secret or ""
    except Problem as problem:
        return _problem_page(request, platform, "account/settings.html", problem)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "account/settings.html",
        user,
        sessions=[],
        done="",
        setup={"secret": grouped, "uri": uri},
    )


@router.post("/account/two-factor/confirm", response_model=None)
def confirm_two_factor(
    request: Request, user: OptionalUserDep, platform: PlatformDep, code: str = Form("")
) -> Response:
    """Turn two-factor sign-in on with the app's first code."""
    if user is None:
        return _login_redirect(request)
    now = platform.clock.now()
    try:
        with platform.transaction() as db:
            db.add(user)
            twofactor.confirm(user, code[:12], now)
            end_sessions(db, user.id, now, keep=request.cookies.get(COOKIE_NAME))
    except Problem as problem:
        return _problem_page(request, platform, "account/settings.html", problem)
    return RedirectResponse("/account?done=two-factor-on", status_code=303)


@router.post("/account/calendar", response_model=None)
def connect_calendar(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    calendar_url: str = Form(""),
    addressbook_url: str = Form(""),
    username: str = Form(""),
    password: str = Form(""),
) -> Response:
    """Connect a calendar and/or an address book (the same checks as the API)."""
    if user is None:
        return _login_redirect(request)
    credentials = Credentials(calendar_url or None, addressbook_url or None, username, password)
    try:
        with platform.transaction() as db:
            calendar_connections.connect(
                db,
                platform.outbound_guard,
                platform.settings,
                user.id,
                credentials,
                now=platform.clock.now(),
            )
    except Problem as problem:
        typed = {"calendar_url": calendar_url, "addressbook_url": addressbook_url}
        typed["username"] = username
        shown = {field: value[:500] for field, value in typed.items()}
        return _settings_page(request, platform, user, problem=problem, calendar_form=shown)
    return RedirectResponse("/account?done=calendar-connected", status_code=303)


@router.post("/account/calendar/sync", response_model=None)
def sync_calendar(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """Publish the events and import the contacts again now."""
    if user is None:
        return _login_redirect(request)
    with platform.transaction() as db:
        synced = calendar_connections.sync(
            db, platform.outbound_guard, platform.settings, user.id, now=platform.clock.now()
        )
    if synced is not None and synced.problem is not None:
        return _settings_page(request, platform, user, problem=synced.problem)
    return RedirectResponse("/account?done=calendar-synced", status_code=303)


@router.post("/account/calendar/disconnect", response_model=None)
def disconnect_calendar(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """Disconnect: the password and every imported contact are deleted."""
    if user is None:
        return _login_redirect(request)
    with platform.transaction() as db:
        calendar_connections.disconnect(db, user.id)
    return RedirectResponse("/account?done=calendar-disconnected", status_code=303)


@router.get("/account/verify", response_class=HTMLResponse)
def verify_page(request: Request, user: OptionalUserDep, token: str = "") -> HTMLResponse:
    """Ask before proving an address (following the link only shows this button)."""
    return render(request, "account/verify.html", user, token=token[:100], verified=None)


@router.post("/account/verify", response_class=HTMLResponse)
def verify(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = Form("")
) -> HTMLResponse:
    """Prove the address the link was mailed to."""
    try:
        with platform.transaction() as db:
            verified = verification.verify(db, token[:100], now=platform.clock.now()).email
    except Problem as problem:
        return _problem_page(request, platform, "account/verify.html", problem)
    return render(request, "account/verify.html", user, token="", verified=verified)


@router.get("/account/forgot", response_class=HTMLResponse)
def forgot_page(request: Request, user: OptionalUserDep) -> HTMLResponse:
    """Ask for a password reset link."""
    return render(request, "account/forgot.html", user, sent=False)


@router.post("/account/forgot", response_class=HTMLResponse)
def forgot(
    request: Request, user: OptionalUserDep, platform: PlatformDep, email: str = Form("")
) -> HTMLResponse:
    """Mail a reset link when an account has the address (the page says the same
    either way)."""
    address = email.strip()[:320]
    if "@" not in address:
        return render(
            request,
            "account/forgot.html",
            user,
            sent=False,
            error=gettext("Enter the email address of your account."),
            status_code=422,
        )
    try:
        platform.ratelimits.mail(address, client_address(request))
    except Problem as problem:
        return _problem_page(request, platform, "account/forgot.html", problem)
    with platform.transaction() as db:
        recovery.send_reset(
            db, platform.mailer, platform.settings, address, now=platform.clock.now()
        )
    return render(
        request,
        "account/forgot.html",
        user,
        sent=True,
        reset_minutes=platform.settings.password_reset_minutes,
    )


@router.get("/account/reset", response_class=HTMLResponse)
def reset_page(request: Request, user: OptionalUserDep, token: str = "") -> HTMLResponse:
    """The form for a new password, opened by a reset link."""
    return render(request, "account/reset.html", user, token=token[:100], done=False)


@router.post("/account/reset", response_class=HTMLResponse)
def reset(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    token: str = Form(""),
    password: str = Form(""),
) -> HTMLResponse:
    """Set the new password; every browser is signed out."""
    if not MIN_PASSWORD <= len(password) <= 200:
        return render(
            request,
            "account/reset.html",
            user,
            token=token[:100],
            done=False,
            error=gettext("Choose a password of %(least)s to 200 characters.", least=MIN_PASSWORD),
            status_code=422,
        )
    try:
        with platform.transaction() as db:
            recovery.reset(db, platform.passwords, token[:100], password, now=platform.clock.now())
    except Problem as problem:
        return _problem_page(request, platform, "account/reset.html", problem)
    return render(request, "account/reset.html", None, token="", done=True)


@router.get("/invitations", response_class=HTMLResponse)
def invitation_page(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = ""
) -> HTMLResponse:
    """An invitation: who invites, to what; accept (signed in with the invited address)
    or decline."""
    try:
        with platform.sessions() as db:
            found = invitations.standing(db, token[:100], platform.clock.now())
            offer = {
                "organisation": organisation_name(db, found.organisation_id),
                "role": gettext(ROLE_WORDS[found.role]),
                "email": found.email,
            }
    except Problem as problem:
        return _problem_page(request, platform, "account/invitation.html", problem)
    return render(
        request, "account/invitation.html", user, token=token[:100], offer=offer, answer=None
    )


@router.post("/invitations", response_class=HTMLResponse)
def answer_invitation(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    token: str = Form(""),
    answer: str = Form(""),
) -> HTMLResponse:
    """Accept (signed in) or decline an invitation."""
    if answer == "accept" and user is None:
        return render(
            request,
            "account/invitation.html",
            None,
            error=gettext("Sign in with the invited address to accept."),
            status_code=401,
        )
    now = platform.clock.now()
    try:
        with platform.transaction() as db:
            if answer == "accept" and user is not None:
                db.add(user)
                member = invitations.accept(db, token[:100], user, now)
                joined = organisation_name(db, member.organisation_id)
            else:
                invitations.decline(db, token[:100], now)
                joined = ""
    except Problem as problem:
        return _problem_page(request, platform, "account/invitation.html", problem)
    return render(
        request, "account/invitation.html", user, token="", offer=None, answer=joined or None
    )
