"""The privacy centre: ``/privacy/me`` for signed-in people, the public request form
with its one-time confirmation link, and the request queues of the DPO and of each
customer's owners. Pages read; writes go through ``/api/privacy/...``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from interpreta.accounts.models import MemberRole, Membership, Organisation
from interpreta.api.dependencies import OptionalUserDep, PlatformDep, within
from interpreta.api.privacy_requests import is_dpo, request_out
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.vocabulary import Scope
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_, Translated, gettext
from interpreta.privacy.rights import requests, stored
from interpreta.privacy.rights.models import RequestKind, RequestPart
from interpreta.privacy.rights.requests import Rights
from interpreta.privacy.rights.subjects import CONTROLLER, Identity, find
from interpreta.web.pages import _login_redirect, render

router = APIRouter(include_in_schema=False, dependencies=[within(PRIVACY_REQUESTS)])

KIND_LABELS = Translated(
    {
        RequestKind.ACCESS: N_("Get a copy of my data"),
        RequestKind.RECTIFICATION: N_("Correct my data"),
        RequestKind.ERASURE: N_("Erase my data"),
        RequestKind.RESTRICTION: N_("Pause the use of my data (restriction)"),
        RequestKind.LIFT_RESTRICTION: N_("Lift the restriction"),
        RequestKind.OBJECTION: N_("Object to analytics based on legitimate interest"),
        RequestKind.MARKETING_OBJECTION: N_("Object to direct marketing"),
        RequestKind.AUTOMATED_OPT_OUT: N_("Opt out of automated assessment"),
    }
)


@router.get("/privacy/me", response_model=None)
def my_privacy(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """What the platform holds about the signed-in person, and their requests."""
    if user is None:
        return _login_redirect(request)
    rights = Rights.of(platform)
    now = platform.clock.now()
    with platform.sessions() as db:
        found = find(db, rights.metadata, Identity.of(user_id=user.id, email=user.verified_email))
        counts = Counter(
            item.category.label for item in stored.values(db, rights.metadata, found, [CONTROLLER])
        )
        mine = [request_out(r, now) for r in requests.listing(db, user_id=user.id)]
    return render(
        request,
        "privacy_centre/me.html",
        user,
        counts=sorted(counts.items()),
        requests=mine,
        kinds=KIND_LABELS,
    )


@router.get("/privacy/request", response_class=HTMLResponse)
def request_form(request: Request, user: OptionalUserDep) -> HTMLResponse:
    """The request form for people without an account (confirmed by email)."""
    return render(request, "privacy_centre/request.html", user, kinds=KIND_LABELS)


@router.get("/privacy/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, user: OptionalUserDep, token: str = "") -> HTMLResponse:
    """Ask before confirming (mail scanners follow links; confirming is a POST)."""
    return render(request, "privacy_centre/confirm.html", user, token=token, done=None)


@router.post("/privacy/confirm", response_class=HTMLResponse)
def confirm(
    request: Request, user: OptionalUserDep, platform: PlatformDep, token: str = Form("")
) -> HTMLResponse:
    """Confirm a request by its one-time link (works without JavaScript)."""
    try:
        with platform.transaction() as db:
            confirmed = Rights.of(platform).confirm(db, token)
            done: Any = request_out(confirmed, platform.clock.now())
    except Problem as problem:
        return render(
            request,
            "privacy_centre/confirm.html",
            user,
            token="",
            done=None,
            error=problem.detail,
            status_code=problem.status,
        )
    return render(request, "privacy_centre/confirm.html", user, token="", done=done)


@router.get("/privacy/requests", response_model=None)
def queues(
    request: Request, user: OptionalUserDep, platform: PlatformDep, overdue: bool = False
) -> Response:
    """The request queues the signed-in person handles: the DPO's, and each
    organisation they own."""
    if user is None:
        return _login_redirect(request)
    now = platform.clock.now()
    sections: list[dict[str, Any]] = []
    with platform.sessions() as db:
        if is_dpo(user):
            found = (
                requests.overdue(db, now)
                if overdue
                else requests.listing(db, scope=Scope.CONTROLLER)
            )
            sections.append(
                {
                    "title": gettext("Operator (DPO) queue"),
                    "scope": "controller",
                    "org": None,
                    "requests": [request_out(r, now) for r in found],
                }
            )
        owned = db.execute(
            select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id, Membership.role == MemberRole.OWNER)
            .order_by(Organisation.name)
        ).scalars()
        for organisation in owned:
            listed = requests.listing(db, organisation_id=organisation.id)
            if overdue:
                listed = [r for r in listed if r.closed_at is None and r.deadline < now]
            sections.append(
                {
                    "title": organisation.name,
                    "scope": "processor",
                    "org": organisation.id,
                    "requests": [
                        request_out(r, now, _of_organisation(organisation.id)) for r in listed
                    ],
                }
            )
    return render(
        request,
        "privacy_centre/queue.html",
        user,
        sections=sections,
        overdue=overdue,
        kinds=KIND_LABELS,
    )


def _of_organisation(organisation_id: int) -> Callable[[RequestPart], bool]:
    """Shows a customer only its own part of a request."""
    return lambda part: part.organisation_id == organisation_id
