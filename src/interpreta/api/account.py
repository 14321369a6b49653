"""A person's own account: proving the email address, changing it, passwords (also
forgotten ones), two-factor sign-in, and the signed-in browsers."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, EmailStr, Field

from interpreta.accounts import recovery, twofactor, verification
from interpreta.accounts.signin import COOKIE_NAME, end_sessions, open_sessions, session_for_token
from interpreta.api.dependencies import PlatformDep, UserDep, client_address, within
from interpreta.api.inputs import Input, PathId
from interpreta.datamap.activities import SIGN_IN
from interpreta.errors import invalid, not_found
from interpreta.i18n.catalogues import N_, gettext

router = APIRouter(prefix="/api/account", tags=["account"], dependencies=[within(SIGN_IN)])

Code = Field(min_length=6, max_length=8, pattern="^[0-9 ]{6,8}$")
"""A code from an authenticator app."""


class Accepted(BaseModel):
    """A mail is on its way (or, where saying more would tell who has an account, may be)."""

    detail: str


class TokenIn(Input):
    """The token of a mailed one-time link."""

    token: str = Field(min_length=10, max_length=100)


class Verified(BaseModel):
    """The address a link proved."""

    email: str
    verified_at: datetime


class EmailChange(Input):
    """A new address for the account; the password confirms it is its owner asking."""

    email: EmailStr
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(Input):
    """A new password, with the current one."""

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class ResetRequest(Input):
    """The address of an account whose password is forgotten."""

    email: EmailStr


class ResetIn(Input):
    """A reset link's token and the new password."""

    token: str = Field(min_length=10, max_length=100)
    password: str = Field(min_length=10, max_length=200)


class TwoFactorSetup(BaseModel):
    """A new secret for an authenticator app; two-factor sign-in turns on once a code
    from it is confirmed."""

    secret: str
    uri: str


class CodeIn(Input):
    """A code from the authenticator app."""

    code: str = Code


class SessionOut(BaseModel):
    """A signed-in browser."""

    id: int
    device: str | None
    created_at: datetime
    expires_at: datetime
    current: bool


@router.post("/verification", status_code=202, response_model=Accepted)
def resend_verification(request: Request, user: UserDep, platform: PlatformDep) -> Accepted:
    """Mail a new link that proves the account's address."""
    platform.ratelimits.mail(user.email, client_address(request))
    with platform.transaction() as db:
        db.add(user)
        verification.send_verification(
            db, platform.mailer, platform.settings, user, now=platform.clock.now()
        )
    return Accepted(detail=f"A link is on its way to {user.email}.")


@router.post("/verify", response_model=Verified)
def verify_email(body: TokenIn, platform: PlatformDep) -> Verified:
    """Follow a link that proves an address (no sign-in needed: the link is the proof).
    A change of address takes effect here."""
    now = platform.clock.now()
    with platform.transaction() as db:
        user = verification.verify(db, body.token, now=now)
        return Verified(email=user.email, verified_at=now)


@router.put("/email", status_code=202, response_model=Accepted)
def change_email(
    body: EmailChange, request: Request, user: UserDep, platform: PlatformDep
) -> Accepted:
    """Ask to use another address: it takes effect when the link mailed to it is followed."""
    if not platform.passwords.verify(user.password_hash, body.password):
        raise invalid("password", gettext("The password is wrong."))
    platform.ratelimits.mail(str(body.email), client_address(request))
    with platform.transaction() as db:
        db.add(user)
        address = verification.request_change(
            db, platform.mailer, platform.settings, user, body.email, now=platform.clock.now()
        )
    return Accepted(detail=f"Follow the link mailed to {address} to start using it.")


@router.put("/password", status_code=204)
def change_password(
    body: PasswordChange, request: Request, user: UserDep, platform: PlatformDep
) -> Response:
    """Set a new password; every other signed-in browser is signed out."""
    with platform.transaction() as db:
        db.add(user)
        recovery.change(
            db,
            platform.passwords,
            user,
            current=body.current_password,
            new=body.new_password,
            now=platform.clock.now(),
            keep_token=request.cookies.get(COOKIE_NAME),
        )
    return Response(status_code=204)


@router.post("/password-reset", status_code=202, response_model=Accepted)
def ask_password_reset(body: ResetRequest, request: Request, platform: PlatformDep) -> Accepted:
    """Mail a link to set a new password. The answer is the same whether or not an
    account has the address."""
    platform.ratelimits.mail(str(body.email), client_address(request))
    with platform.transaction() as db:
        recovery.send_reset(
            db, platform.mailer, platform.settings, body.email, now=platform.clock.now()
        )
    return Accepted(detail="If an account has this address, a link is on its way to it.")


@router.post("/password-reset/complete", status_code=204)
def complete_password_reset(body: ResetIn, platform: PlatformDep) -> Response:
    """Set a new password with a reset link; every signed-in browser is signed out."""
    with platform.transaction() as db:
        recovery.reset(db, platform.passwords, body.token, body.password, now=platform.clock.now())
    return Response(status_code=204)


@router.post("/two-factor", response_model=TwoFactorSetup)
def begin_two_factor(user: UserDep, platform: PlatformDep) -> TwoFactorSetup:
    """Start setting up two-factor sign-in: a new secret for an authenticator app."""
    with platform.transaction() as db:
        db.add(user)
        uri = twofactor.begin(user)
        return TwoFactorSetup(secret=user.totp_secret or "", uri=uri)


@router.post("/two-factor/confirm", status_code=204)
def confirm_two_factor(
    body: CodeIn, request: Request, user: UserDep, platform: PlatformDep
) -> Response:
    """Turn two-factor sign-in on with a code from the app; other browsers are signed
    out (they signed in without it)."""
    now = platform.clock.now()
    with platform.transaction() as db:
        db.add(user)
        twofactor.confirm(user, body.code, now)
        end_sessions(db, user.id, now, keep=request.cookies.get(COOKIE_NAME))
    return Response(status_code=204)


@router.post("/two-factor/disable", status_code=204)
def disable_two_factor(body: CodeIn, user: UserDep, platform: PlatformDep) -> Response:
    """Turn two-factor sign-in off with a current code (not for operator staff)."""
    with platform.transaction() as db:
        db.add(user)
        twofactor.turn_off(user, body.code, platform.clock.now())
    return Response(status_code=204)


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(request: Request, user: UserDep, platform: PlatformDep) -> list[SessionOut]:
    """The browsers signed in to this account, newest first."""
    token = request.cookies.get(COOKIE_NAME, "")
    with platform.sessions() as db:
        current = session_for_token(db, token) if token else None
        return [
            SessionOut(
                id=row.id,
                device=row.device,
                created_at=row.created_at,
                expires_at=row.expires_at,
                current=current is not None and row.id == current.id,
            )
            for row in open_sessions(db, user.id, platform.clock.now())
        ]


@router.delete("/sessions/{session_id}", status_code=204)
def end_session(session_id: PathId, user: UserDep, platform: PlatformDep) -> Response:
    """Sign a browser out (404 when no open session of this account has that ID)."""
    with platform.transaction() as db:
        if end_sessions(db, user.id, platform.clock.now(), only=session_id) == 0:
            raise not_found(N_("session"))
    return Response(status_code=204)
