"""Pages for the operator's staff: the breach register with its countdowns (P25).

Only staff with the DPO or admin role see them; everyone else gets a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from interpreta.accounts.models import StaffRole, User
from interpreta.api.dependencies import OptionalUserDep, PlatformDep
from interpreta.datamap.vocabulary import Category
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy import audit, breaches
from interpreta.privacy.breaches import Recipient, Risk
from interpreta.web.pages import not_found_page, render

router = APIRouter(include_in_schema=False)
BREACH_STAFF = (StaffRole.DPO, StaffRole.ADMIN)


def _staff(user: User | None) -> bool:
    return user is not None and user.staff_role in BREACH_STAFF


def _page(
    request: Request, user: User, platform: Platform, error: str = "", status: int = 200
) -> HTMLResponse:
    now = platform.clock.now()
    with platform.sessions() as db:
        rows = [
            (b, breaches.countdown(b, now), b.owed(), list(b.notifications))
            for b in breaches.all_breaches(db)
        ]
    return render(
        request,
        "staff_breaches.html",
        user,
        status_code=status,
        rows=rows,
        error=error,
        categories=list(Category),
        risks=list(Risk),
        recipients=list(Recipient),
        now=now,
    )


@router.get("/staff/breaches", response_class=HTMLResponse)
def breach_register(request: Request, user: OptionalUserDep, platform: PlatformDep) -> Response:
    """The register: every breach, open ones with their 72-hour countdown."""
    if not _staff(user):
        return not_found_page(request, user, "This page does not exist.")
    assert user is not None
    return _page(request, user, platform)


def _audit(db: Session, platform: Platform, user: User, action: str, breach_id: int) -> None:
    actor = platform.keyring.pseudonyms(db.connection()).user(user.id)
    audit.record(
        db,
        actor=actor,
        action=action,
        subject=None,
        target=f"breach:{breach_id}",
        detail={},
        now=platform.clock.now(),
    )


@router.post("/staff/breaches", response_class=HTMLResponse)
def report_breach(
    request: Request,
    user: OptionalUserDep,
    platform: PlatformDep,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    description: Annotated[str, Form(max_length=10000)],
    categories: Annotated[list[str], Form()],
    people_affected: Annotated[int, Form(ge=0)],
    risk: Annotated[Risk, Form()],
    discovered_at: Annotated[str, Form()] = "",
    processor_scope: Annotated[bool, Form()] = False,
) -> Response:
    """Record a breach from the form."""
    if not _staff(user):
        return not_found_page(request, user, "This page does not exist.")
    assert user is not None
    now = platform.clock.now()
    try:
        when = datetime.fromisoformat(discovered_at).replace(tzinfo=UTC) if discovered_at else now
        with platform.transaction() as db:
            breach = breaches.report(
                db,
                title=title,
                description=description or title,
                discovered_at=when,
                categories=categories,
                people_affected=people_affected,
                risk=risk,
                processor_scope=processor_scope,
                reported_by=user.name,
                now=now,
            )
            _audit(db, platform, user, "breach.report", breach.id)
    except (Problem, ValueError) as exc:
        return _page(request, user, platform, error=str(exc), status=422)
    return RedirectResponse("/staff/breaches", status_code=303)


@router.post("/staff/breaches/{breach_id}/notify", response_class=HTMLResponse)
def notify_breach(
    request: Request,
    breach_id: int,
    user: OptionalUserDep,
    platform: PlatformDep,
    recipient: Annotated[Recipient, Form()],
    reference: Annotated[str, Form(min_length=1, max_length=300)],
) -> Response:
    """Record a notification sent."""
    if not _staff(user):
        return not_found_page(request, user, "This page does not exist.")
    assert user is not None
    try:
        with platform.transaction() as db:
            breaches.notify(
                db, breach_id, recipient=recipient, reference=reference, now=platform.clock.now()
            )
            _audit(db, platform, user, "breach.notify", breach_id)
    except Problem as exc:
        return _page(request, user, platform, error=str(exc), status=exc.status)
    return RedirectResponse("/staff/breaches", status_code=303)


@router.post("/staff/breaches/{breach_id}/close", response_class=HTMLResponse)
def close_breach(
    request: Request, breach_id: int, user: OptionalUserDep, platform: PlatformDep
) -> Response:
    """Close an incident."""
    if not _staff(user):
        return not_found_page(request, user, "This page does not exist.")
    assert user is not None
    try:
        with platform.transaction() as db:
            breaches.close(db, breach_id, now=platform.clock.now())
            _audit(db, platform, user, "breach.close", breach_id)
    except Problem as exc:
        return _page(request, user, platform, error=str(exc), status=exc.status)
    return RedirectResponse("/staff/breaches", status_code=303)
