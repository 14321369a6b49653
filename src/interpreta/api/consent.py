"""The visitor's answer to the cookie banner over REST (the banner's script uses it, so
a live page never reloads to answer): ``GET`` and ``POST /api/consent``.

Answering sets the strictly necessary consent cookie and records the answer (P05).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictBool

from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.api.inputs import Input
from interpreta.datamap.activities import COOKIE_CHOICES
from interpreta.datamap.storage import BANNER_VERSION
from interpreta.visitors import choices
from interpreta.visitors.choices import Choice

router = APIRouter(tags=["cookie consent"], dependencies=[within(COOKIE_CHOICES)])


class ConsentIn(Input):
    """An answer to the banner: its version, and whether preferences may be kept."""

    version: str = Field(min_length=1, max_length=16)
    preferences: StrictBool


class ConsentOut(BaseModel):
    """The banner shown now, and this browser's answer to it."""

    version: str
    answered: bool
    preferences: bool


def _out(choice: Choice | None) -> ConsentOut:
    current = choice is not None and choice.current
    return ConsentOut(
        version=BANNER_VERSION,
        answered=current,
        preferences=current and choice is not None and choice.preferences,
    )


def remember(response: Response, choice: Choice) -> None:
    """Keep `choice` in the consent cookie (strictly necessary; HttpOnly, Secure, Lax)."""
    response.set_cookie(
        choices.COOKIE,
        choice.cookie_value(),
        max_age=int(choices.LIFETIME.total_seconds()),
        httponly=True,
        secure=True,
        samesite="lax",
    )


@router.get("/api/consent")
def current(request: Request) -> ConsentOut:
    """The banner's version and this browser's answer to it (none: ask)."""
    return _out(choices.read(request.cookies.get(choices.COOKIE)))


@router.post("/api/consent", responses={409: {"description": "The banner has changed"}})
def answer(
    body: ConsentIn,
    request: Request,
    response: Response,
    user: OptionalUserDep,
    platform: PlatformDep,
) -> ConsentOut:
    """Record an answer and keep it in the browser; preferences off after they were on
    is recorded as a withdrawal."""
    previous = choices.read(request.cookies.get(choices.COOKIE))
    with platform.transaction() as db:
        choice = choices.answer(
            db,
            previous,
            version=body.version,
            preferences=body.preferences,
            user_id=user.id if user is not None else None,
            now=platform.clock.now(),
        )
    remember(response, choice)
    return _out(choice)
