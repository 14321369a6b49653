"""The cookie page: every cookie and storage key the pages set, and the visitor's
choice, which works without JavaScript (the banner's buttons post here too)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from interpreta.accounts.models import User
from interpreta.api.consent import remember
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.datamap import storage
from interpreta.datamap.activities import COOKIE_CHOICES
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.visitors import choices
from interpreta.web.pages import render

router = APIRouter(include_in_schema=False, dependencies=[within(COOKIE_CHOICES)])


def _back_to(target: str) -> str:
    """Where to go after answering: a path on this site, else this page."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return "/cookies?saved=1"


def _page(
    request: Request, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The cookie page: the inventory in the visitor's language, and the choice."""
    rows = storage.rows(gettext)
    return render(request, "cookies.html", user, status_code, rows=rows, **context)


@router.get("/cookies", response_class=HTMLResponse)
def cookies_page(request: Request, user: OptionalUserDep, saved: str = "") -> HTMLResponse:
    """What each cookie and storage key is for, and the choice about preferences."""
    return _page(request, user, saved=saved == "1")


@router.post("/cookies", response_model=None)
def answer(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    preferences: str = Form(""),
    version: str = Form(""),
    next: str = Form("/cookies?saved=1"),
) -> Response:
    """Record the answer (``preferences`` ``yes`` or ``no``) and go back."""
    if preferences not in ("yes", "no"):
        error = gettext("Choose whether preferences may be kept.")
        return _page(request, user, 422, saved=False, error=error)
    previous = choices.read(request.cookies.get(choices.COOKIE))
    try:
        with platform.transaction() as db:
            choice = choices.answer(
                db,
                previous,
                version=version[:16],
                preferences=preferences == "yes",
                user_id=user.id if user is not None else None,
                now=platform.clock.now(),
            )
    except Problem as problem:
        return _page(request, user, problem.status, saved=False, error=problem.detail)
    response = RedirectResponse(_back_to(next), status_code=303)
    remember(response, choice)
    return response
