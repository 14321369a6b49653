"""Pages for the operator's staff: the breach register with its countdowns (P25), and
the restrictions and objections in force, where the DPO records overriding grounds (P32).

Only staff with the DPO or admin role see them; everyone else gets a 404. They run in
the security-records activity (:data:`~interpreta.datamap.activities.SECURITY_AUDIT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import User
from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import SECURITY_AUDIT
from interpreta.datamap.vocabulary import Category
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.privacy import audit, breaches
from interpreta.privacy.breaches import Recipient, Risk
from interpreta.privacy.marks import (
    AUTOMATED_ASSESSMENT,
    LEGITIMATE_INTERESTS,
    MarkKind,
    ProcessingMark,
)
from interpreta.privacy.rights import restrict
from interpreta.web.staff_desk import PrivacyUser, render_desk

router = APIRouter(include_in_schema=False, dependencies=[within(SECURITY_AUDIT)])


def _page(
    request: Request, user: User, platform: Platform, error: str = "", status: int = 200
) -> HTMLResponse:
    now = platform.clock.now()
    with platform.sessions() as db:
        rows = [
            (b, breaches.countdown(b, now), b.owed(), list(b.notifications))
            for b in breaches.all_breaches(db)
        ]
    return render_desk(
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
def breach_register(request: Request, user: PrivacyUser, platform: PlatformDep) -> Response:
    """The register: every breach, open ones with their 72-hour countdown."""
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
    user: PrivacyUser,
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
    breach_id: PathId,
    user: PrivacyUser,
    platform: PlatformDep,
    recipient: Annotated[Recipient, Form()],
    reference: Annotated[str, Form(min_length=1, max_length=300)],
) -> Response:
    """Record a notification sent."""
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
    request: Request, breach_id: PathId, user: PrivacyUser, platform: PlatformDep
) -> Response:
    """Close an incident."""
    try:
        with platform.transaction() as db:
            breaches.close(db, breach_id, now=platform.clock.now())
            _audit(db, platform, user, "breach.close", breach_id)
    except Problem as exc:
        return _page(request, user, platform, error=str(exc), status=exc.status)
    return RedirectResponse("/staff/breaches", status_code=303)


# --- restrictions and objections (P31, P32) -------------------------------------------


def mark_purposes(mark: ProcessingMark) -> str:
    """The purposes `mark` stops, in words: a restriction stops everything but storage
    and legal duties (Art. 18(2)), an objection naming no purpose every
    activity based on legitimate interests (Art. 21(1))."""
    named = ", ".join(sorted(p for p in mark.purposes.split(",") if p))
    if mark.kind is MarkKind.RESTRICTION:
        return "everything but storage and legal duties"
    if mark.kind is MarkKind.MARKETING_OBJECTION:
        return "marketing"
    if mark.kind is MarkKind.AUTOMATED_OPT_OUT:
        return AUTOMATED_ASSESSMENT
    if mark.kind is MarkKind.OBJECTION:
        return named or "the activities on legitimate interests: " + ", ".join(
            a.key for a in LEGITIMATE_INTERESTS
        )
    return named or "every purpose its kind concerns"


def processing_marks(db: Session, *, include_lifted: bool = False) -> list[ProcessingMark]:
    """The processing marks in force, oldest first (with `include_lifted`, every mark)."""
    query = select(ProcessingMark).order_by(ProcessingMark.id)
    if not include_lifted:
        query = query.where(ProcessingMark.lifted_at.is_(None))
    return list(db.scalars(query))


def record_grounds(
    db: Session, platform: Platform, mark_id: int, grounds: str, *, actor: str
) -> ProcessingMark:
    """Record overriding grounds for objection `mark_id` (Art. 21(1)) and audit it.

    `actor` is the pseudonym (or ``system:<name>``) of who records them; the audit
    entry names the person by pseudonym when the mark has a user ID, and never holds
    the grounds themselves. Refused, changing nothing: empty or over-long grounds
    (422), an unknown mark (404), a mark that is lifted, is not an objection, or
    already has grounds recorded (409).
    """
    mark = restrict.record_overriding_grounds(db, mark_id, grounds)
    names = platform.keyring.pseudonyms(db.connection())
    audit.record(
        db,
        actor=actor,
        action="mark.overriding_grounds",
        subject=names.user(mark.user_id) if mark.user_id is not None else None,
        target=f"mark:{mark.id}",
        detail={"kind": mark.kind.value},
        now=platform.clock.now(),
    )
    return mark


@dataclass(frozen=True)
class MarkRow:
    """One mark as the staff page shows it: no email address, no free text."""

    id: int
    kind: str
    purposes: str
    placed: datetime
    user_id: int | None
    has_grounds: bool
    overridable: bool


def _mark_row(mark: ProcessingMark) -> MarkRow:
    has_grounds = bool(mark.overriding_grounds)
    return MarkRow(
        id=mark.id,
        kind=mark.kind.value.replace("_", " "),
        purposes=mark_purposes(mark),
        placed=mark.created_at,
        user_id=mark.user_id,
        has_grounds=has_grounds,
        overridable=mark.kind is MarkKind.OBJECTION and not has_grounds,
    )


def _marks_page(
    request: Request,
    user: User,
    platform: Platform,
    *,
    recorded: int | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    with platform.sessions() as db:
        rows = [_mark_row(m) for m in processing_marks(db)]
    confirmed = next((r for r in rows if r.id == recorded and r.has_grounds), None)
    return render_desk(
        request,
        "staff_marks.html",
        user,
        status_code=status,
        rows=rows,
        confirmed=confirmed,
        error=error,
        grounds_max=restrict.GROUNDS_MAX_LENGTH,
    )


@router.get("/staff/marks", response_class=HTMLResponse)
def marks_register(
    request: Request, user: PrivacyUser, platform: PlatformDep, recorded: int | None = None
) -> Response:
    """Restrictions and objections in force, with a form for each objection's grounds."""
    return _marks_page(request, user, platform, recorded=recorded)


@router.post("/staff/marks/{mark_id}/grounds", response_class=HTMLResponse)
def override_objection(
    request: Request,
    mark_id: PathId,
    user: PrivacyUser,
    platform: PlatformDep,
    grounds: Annotated[str, Form()] = "",
) -> Response:
    """Record the compelling grounds that override an objection (Art. 21(1))."""
    try:
        with platform.transaction() as db:
            actor = platform.keyring.pseudonyms(db.connection()).user(user.id)
            record_grounds(db, platform, mark_id, grounds, actor=actor)
    except Problem as exc:
        return _marks_page(request, user, platform, error=str(exc), status=exc.status)
    return RedirectResponse(f"/staff/marks?recorded={mark_id}", status_code=303)
