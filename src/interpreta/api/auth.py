"""Sign-up, sign-in and sign-out, with a Secure, HttpOnly, SameSite session cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, EmailStr, Field

from interpreta.accounts import actions, twofactor
from interpreta.accounts.models import User
from interpreta.accounts.signin import COOKIE_NAME, close_session, open_session
from interpreta.accounts.verification import send_verification
from interpreta.api.dependencies import PlatformDep, UserDep, client_address, within
from interpreta.api.inputs import Input
from interpreta.datamap.activities import ACCOUNT, SIGN_IN
from interpreta.errors import Problem
from interpreta.i18n import locales
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live.useragent import parse as parse_user_agent
from interpreta.platform import Platform
from interpreta.privacy.processing import processing

router = APIRouter(prefix="/api/auth", tags=["auth"], dependencies=[within(SIGN_IN)])


class SignUp(Input):
    """A new customer: the first user and their organisation."""

    email: EmailStr
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)
    organisation_name: str = Field(min_length=1, max_length=200)


class SignIn(Input):
    """Credentials; `code` from the authenticator app when two-factor sign-in is on."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=8, pattern="^([0-9 ]{6,8})?$")
    """Empty or absent when two-factor sign-in is off."""


class Me(BaseModel):
    """The signed-in user and their organisations."""

    id: int
    email: str
    name: str
    email_verified: bool
    """Whether the address is proven (until then, nothing others tied to it is shown)."""
    two_factor: bool
    locale: str
    staff_role: str | None
    """The operator staff role, in force only with two-factor sign-in on."""
    organisations: list[dict[str, object]]


def set_session_cookie(response: Response, platform: Platform, token: str) -> None:
    """Put the sign-in token in the session cookie."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=platform.settings.session_days * 86400,
        httponly=True,
        secure=platform.settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def device_of(request: Request) -> str | None:
    """The browser and system a request came from, coarsely (never the whole header)."""
    equipment = parse_user_agent(request.headers.get("user-agent"))
    described = " on ".join(p for p in (equipment.browser, equipment.os) if p)
    return described or None


def sign_in_user(platform: Platform, request: Request, response: Response, user: User) -> None:
    """Open a session for `user` and set its cookie."""
    lifetime = timedelta(days=platform.settings.session_days)
    with processing(SIGN_IN), platform.transaction() as db:
        token = open_session(db, user, platform.clock.now(), lifetime, device_of(request))
    set_session_cookie(response, platform, token)


def describe_me(platform: Platform, user: User) -> Me:
    """The /me document of `user`."""
    with processing(ACCOUNT), platform.sessions() as db:
        db.add(user)
        organisations = [
            {"id": m.organisation.id, "name": m.organisation.name, "role": str(m.role)}
            for m in user.memberships
        ]
    return Me(
        id=user.id,
        email=user.email,
        name=user.name,
        email_verified=user.email_verified_at is not None,
        two_factor=user.totp_enabled_at is not None,
        locale=user.locale,
        staff_role=user.staff_role,
        organisations=organisations,
    )


@router.post("/signup", status_code=201, response_model=Me, dependencies=[within(ACCOUNT)])
def sign_up(body: SignUp, request: Request, response: Response, platform: PlatformDep) -> Me:
    """Create an account and its organisation, and sign in. The account is unverified
    until its owner follows the link mailed to the address."""
    limits = platform.ratelimits
    limits.hit(limits.rules.sign_ups_per_client, "sign-up", client_address(request), N_("sign-ups"))
    limits.mail(str(body.email), client_address(request))
    now = platform.clock.now()
    with platform.transaction() as db:
        user = actions.create_user(
            db,
            platform.passwords,
            email=body.email,
            name=body.name,
            password=body.password,
            now=now,
            locale=locales.current(),  # the language the mails to them are written in
        )
        actions.create_organisation(db, owner=user, name=body.organisation_name, now=now)
        send_verification(db, platform.mailer, platform.settings, user, now=now)
    sign_in_user(platform, request, response, user)
    return describe_me(platform, user)


@router.post("/login", response_model=Me)
def login(body: SignIn, request: Request, response: Response, platform: PlatformDep) -> Me:
    """Sign in with email and password, and the authenticator app's code when two-factor
    sign-in is on (without it the answer is a 401 of type ``/problems/two-factor-required``,
    after the password was checked). Five failures for one account lock it for a
    while (the window of ``INTERPRETA_RATE_SIGN_IN_FAILURES_PER_ACCOUNT``); one client
    address may try only so often."""
    limits, rules = platform.ratelimits, platform.ratelimits.rules
    limits.hit(
        rules.sign_in_attempts_per_client, "sign-in", client_address(request), N_("sign-ins")
    )
    account = limits.person(body.email)
    failures = rules.sign_in_failures_per_account
    limits.check(failures, "sign-in-failures", account, N_("failed sign-ins for this account"))
    with platform.transaction() as db:
        user = actions.authenticate(db, platform.passwords, body.email, body.password)
        if user is not None and user.totp_enabled_at is not None:
            if not body.code:
                raise Problem(
                    401,
                    gettext("Two-factor code required"),
                    gettext("Enter the code from your authenticator app."),
                    type="/problems/two-factor-required",
                )
            if not twofactor.check(user, body.code, platform.clock.now()):
                limits.count(failures, "sign-in-failures", account)
                raise Problem(
                    401, gettext("Sign-in failed"), gettext("The two-factor code is wrong.")
                )
    if user is None:
        limits.count(failures, "sign-in-failures", account)
        raise Problem(
            401, gettext("Sign-in failed"), gettext("The email address or password is wrong.")
        )
    limits.clear(failures, "sign-in-failures", account)
    sign_in_user(platform, request, response, user)
    return describe_me(platform, user)


ResponseT = TypeVar("ResponseT", bound=Response)


def end_session(platform: Platform, request: Request, response: ResponseT) -> ResponseT:
    """Sign out: end the session on the server and drop the cookie from `response`."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        with processing(SIGN_IN), platform.transaction() as db:
            close_session(db, token, platform.clock.now())
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        secure=platform.settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout", status_code=204)
def logout(request: Request, platform: PlatformDep) -> Response:
    """Sign out: the session ends on the server too."""
    return end_session(platform, request, Response(status_code=204))


@router.get("/me", response_model=Me)
def me(user: UserDep, platform: PlatformDep) -> Me:
    """Who is signed in."""
    return describe_me(platform, user)
