"""Data-subject rights over REST: self-service, public intake, and the handlers' queues.

A signed-in person asks about themselves; someone without an account asks by
email and confirms by a one-time link; staff log requests received otherwise.
The DPO (staff role ``dpo`` or ``admin``) handles controller parts; a customer's
owners handle the processor parts of their organisation (P01). Anyone else gets
404 for a request they may not see.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy.orm import Session

from interpreta.accounts import actions
from interpreta.accounts.models import MemberRole, StaffRole, User
from interpreta.api.dependencies import PlatformDep, UserDep, client_address, within
from interpreta.api.inputs import Input, PathId, RowId
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.vocabulary import Scope
from interpreta.db.engine import checkpoint
from interpreta.errors import forbidden, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.platform import Platform
from interpreta.privacy.rights import access, report, requests
from interpreta.privacy.rights.models import DataSubjectRequest, RequestKind, RequestPart
from interpreta.privacy.rights.rectify import Correction
from interpreta.privacy.rights.requests import Rights, part_of
from interpreta.privacy.rights.subjects import CONTROLLER, Found, Identity, Part, find

router = APIRouter(tags=["privacy requests"], dependencies=[within(PRIVACY_REQUESTS)])

DPO_ROLES = (StaffRole.DPO, StaffRole.ADMIN)


class PartOut(BaseModel):
    """One handler's share of a request."""

    id: int
    scope: str
    organisation_id: int | None
    status: str
    handled_at: datetime | None
    outcome: dict[str, Any]


class RequestOut(BaseModel):
    """A rights request as its person and its handlers see it."""

    id: int
    kind: str
    status: str
    channel: str
    received_at: datetime
    due_at: datetime
    deadline: datetime
    extension_reason: str | None
    closed_at: datetime | None
    overdue: bool
    details: str
    parts: list[PartOut]


class RequestIn(Input):
    """A signed-in person's request about themselves."""

    kind: RequestKind
    details: str = Field(default="", max_length=4000)


class PublicRequestIn(Input):
    """A request from someone without an account (confirmed by a mailed link)."""

    email: EmailStr
    kind: RequestKind
    details: str = Field(default="", max_length=4000)


class ConfirmIn(Input):
    """The token of a one-time link."""

    token: str = Field(min_length=10, max_length=200)


class StaffRequestIn(Input):
    """A request received by email or phone, logged by staff."""

    kind: RequestKind
    email: EmailStr | None = None
    user_id: RowId | None = None
    details: str = Field(default="", max_length=4000)


class CorrectionIn(Input):
    """A new value for one field of one record."""

    table: str = Field(max_length=64)
    column: str = Field(max_length=64)
    record: RowId
    value: str | None = Field(max_length=4000)


class ExecuteIn(Input):
    """Answer a part; corrections for a rectification."""

    corrections: list[CorrectionIn] = Field(default_factory=list)


class RedactIn(Input):
    """Which of the texts naming the erased person to redact (their keys, ``table:row``,
    as listed in the part's outcome)."""

    keys: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        min_length=1, max_length=1000
    )


class RejectIn(Input):
    """Refuse a part, with the reason."""

    reason: str = Field(min_length=1, max_length=2000)


class ExtendIn(Input):
    """Extend the deadline, with the reason."""

    until: datetime
    reason: str = Field(min_length=1, max_length=2000)


def request_out(
    request: DataSubjectRequest,
    now: datetime,
    shown: Callable[[RequestPart], bool] = lambda _part: True,
) -> RequestOut:
    """The JSON form of a request, with the parts `shown` accepts (a customer sees only
    its own part: not which other customers hold data about the person)."""
    return RequestOut(
        id=request.id,
        kind=request.kind.value,
        status=request.status.value,
        channel=request.channel.value,
        received_at=request.received_at,
        due_at=request.due_at,
        deadline=request.deadline,
        extension_reason=request.extension_reason,
        closed_at=request.closed_at,
        overdue=request.closed_at is None and request.deadline < now,
        details=request.details,
        parts=[
            PartOut(
                id=p.id,
                scope=p.scope.value,
                organisation_id=p.organisation_id,
                status=p.status.value,
                handled_at=p.handled_at,
                outcome=json.loads(p.outcome or "{}"),
            )
            for p in request.parts
            if shown(p)
        ],
    )


def is_dpo(user: User) -> bool:
    """Whether `user` handles the operator's (controller) queue."""
    return user.staff_role_in_force in DPO_ROLES


def may_handle(db: Session, user: User, part: RequestPart) -> bool:
    """The DPO handles controller parts; a customer's owners handle theirs."""
    if part.scope is Scope.CONTROLLER:
        return is_dpo(user)
    if part.organisation_id is None:
        return False
    member = actions.membership(db, part.organisation_id, user)
    return member is not None and member.role is MemberRole.OWNER


def visible(db: Session, user: User, request_id: int) -> DataSubjectRequest:
    """A request the user is the subject of or handles a part of; 404 otherwise."""
    request = db.get(DataSubjectRequest, request_id)
    if request is None:
        raise not_found(N_("request"))
    if request.subject_user_id == user.id or any(may_handle(db, user, p) for p in request.parts):
        return request
    raise not_found(N_("request"))


def parts_shown_to(
    db: Session, user: User, request: DataSubjectRequest
) -> Callable[[RequestPart], bool]:
    """The person and the DPO see every part; a customer's owner only the parts they handle."""
    if request.subject_user_id == user.id or is_dpo(user):
        return lambda _part: True
    return lambda part: may_handle(db, user, part)


def _part(db: Session, user: User, request_id: int, part_id: int) -> RequestPart:
    request = visible(db, user, request_id)
    part = next((p for p in request.parts if p.id == part_id), None)
    if part is None:
        raise not_found(N_("part"))
    if not may_handle(db, user, part):
        raise forbidden(gettext("Only the handler of this part may answer it."))
    return part


def zip_response(
    platform: Platform, found: Found, parts: list[Part], filename: str
) -> StreamingResponse:
    """The export as a ZIP download, spooled to a temporary file (memory stays flat)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with platform.sessions() as db:
        access.write_zip(
            spool,
            db,
            Rights.of(platform).metadata,
            platform.settings,
            found,
            parts,
            generated_at=platform.clock.now(),
        )
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(64 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _my_parts(db: Session, user: User) -> list[Part]:
    parts: set[Part] = {CONTROLLER}
    for request in requests.listing(db, user_id=user.id):
        if request.kind is RequestKind.ACCESS:
            parts.update(requests.done_parts(request))
    return sorted(parts, key=lambda p: p.label)


@router.get("/api/privacy/me/export.zip", response_class=StreamingResponse)
def my_export(user: UserDep, platform: PlatformDep) -> StreamingResponse:
    """The signed-in person's data (Art. 15, 20): the operator's part at once, and each
    customer's part once that customer has answered an access request."""
    with platform.sessions() as db:
        rights = Rights.of(platform)
        found = find(db, rights.metadata, Identity.of(user_id=user.id, email=user.verified_email))
        parts = _my_parts(db, user)
    return zip_response(platform, found, parts, "my-personal-data.zip")


@router.get("/api/privacy/me/report", response_class=HTMLResponse)
def my_report(user: UserDep, platform: PlatformDep) -> HTMLResponse:
    """The same data as a readable HTML report."""
    import io

    out = io.StringIO()
    with platform.sessions() as db:
        rights = Rights.of(platform)
        found = find(db, rights.metadata, Identity.of(user_id=user.id, email=user.verified_email))
        report.write_html(
            out,
            db,
            rights.metadata,
            platform.settings,
            found,
            _my_parts(db, user),
            platform.clock.now(),
        )
    # the report is a standalone file with its style inline, and no script at all
    return HTMLResponse(
        out.getvalue(),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.post("/api/privacy/requests", status_code=201, response_model=RequestOut)
def create_request(body: RequestIn, user: UserDep, platform: PlatformDep) -> RequestOut:
    """Ask about oneself: routed at once; access, restriction and objection answered at
    once for the operator's own data."""
    with platform.transaction() as db:
        request = Rights.of(platform).self_service(
            db, user_id=user.id, email=user.verified_email, kind=body.kind, details=body.details
        )
        return request_out(request, platform.clock.now())


@router.get("/api/privacy/requests", response_model=list[RequestOut])
def my_requests(user: UserDep, platform: PlatformDep) -> list[RequestOut]:
    """The signed-in person's own requests."""
    with platform.sessions() as db:
        now = platform.clock.now()
        return [request_out(r, now) for r in requests.listing(db, user_id=user.id)]


@router.post("/api/privacy/public-requests", status_code=202)
def public_request(
    body: PublicRequestIn, request: Request, platform: PlatformDep
) -> dict[str, str]:
    """Ask without an account: a one-time link goes to the address to confirm it. Each
    address gets only a few such mails a day, each client may ask only so often."""
    limits, rules = platform.ratelimits, platform.ratelimits.rules
    limits.hit(rules.requests_per_client, "request", client_address(request), N_("requests"))
    address = limits.person(body.email)
    limits.hit(rules.requests_per_address, "request-mail", address, N_("requests for this address"))
    with platform.transaction() as db:
        Rights.of(platform).by_email(db, email=body.email, kind=body.kind, details=body.details)
    return {"detail": "Check your mailbox and follow the link to confirm your request."}


@router.post("/api/privacy/public-requests/confirm", response_model=RequestOut)
def confirm_request(body: ConfirmIn, platform: PlatformDep) -> RequestOut:
    """Follow the one-time link: the request is confirmed and routed."""
    with platform.transaction() as db:
        request = Rights.of(platform).confirm(db, body.token)
        return request_out(request, platform.clock.now())


@router.get("/api/privacy/queue", response_model=list[RequestOut])
def dpo_queue(
    user: UserDep, platform: PlatformDep, overdue: bool = Query(default=False)
) -> list[RequestOut]:
    """The DPO's queue: requests with a controller part (overdue ones with ``overdue``)."""
    if not is_dpo(user):
        raise forbidden(gettext("Only the data protection officer sees this queue."))
    with platform.sessions() as db:
        now = platform.clock.now()
        if overdue:
            found = requests.overdue(db, now)
        else:
            found = requests.listing(db, scope=Scope.CONTROLLER)
        return [request_out(r, now) for r in found]


@router.post("/api/privacy/queue", status_code=201, response_model=RequestOut)
def log_request(body: StaffRequestIn, user: UserDep, platform: PlatformDep) -> RequestOut:
    """Log a request received by email or phone (DPO)."""
    if not is_dpo(user):
        raise forbidden(gettext("Only the data protection officer logs requests."))
    with platform.transaction() as db:
        request = Rights.of(platform).logged_by_staff(
            db,
            staff_user_id=user.id,
            kind=body.kind,
            email=body.email,
            user_id=body.user_id,
            details=body.details,
        )
        return request_out(request, platform.clock.now())


@router.get(
    "/api/organisations/{organisation_id}/privacy-requests", response_model=list[RequestOut]
)
def customer_queue(
    organisation_id: PathId, user: UserDep, platform: PlatformDep
) -> list[RequestOut]:
    """Requests about people in this customer's events (owners)."""
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        now = platform.clock.now()
        listed = requests.listing(db, organisation_id=organisation_id)
        return [request_out(r, now, lambda p: p.organisation_id == organisation_id) for r in listed]


@router.get("/api/privacy/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: PathId, user: UserDep, platform: PlatformDep) -> RequestOut:
    """One request the caller made or handles."""
    with platform.sessions() as db:
        request = visible(db, user, request_id)
        return request_out(request, platform.clock.now(), parts_shown_to(db, user, request))


@router.post(
    "/api/privacy/requests/{request_id}/parts/{part_id}/execute", response_model=RequestOut
)
def execute_part(
    request_id: PathId, part_id: PathId, body: ExecuteIn, user: UserDep, platform: PlatformDep
) -> RequestOut:
    """Answer one part (its handler): one transaction, audited."""
    rights = Rights.of(platform)
    with platform.transaction() as db:
        part = _part(db, user, request_id, part_id)
        corrections = [Correction(**c.model_dump()) for c in body.corrections]
        rights.execute(db, part, actor_user_id=user.id, corrections=corrections)
        result = request_out(
            part.request, platform.clock.now(), parts_shown_to(db, user, part.request)
        )
    checkpoint(platform.engine)
    return result


@router.post("/api/privacy/requests/{request_id}/parts/{part_id}/redact", response_model=RequestOut)
def redact_mentions(
    request_id: PathId, part_id: PathId, body: RedactIn, user: UserDep, platform: PlatformDep
) -> RequestOut:
    """Redact texts by others that name the erased person (the part's handler: the
    customer), among those the erasure listed."""
    with platform.transaction() as db:
        part = _part(db, user, request_id, part_id)
        Rights.of(platform).redact_mentions(db, part, actor_user_id=user.id, keys=body.keys)
        result = request_out(
            part.request, platform.clock.now(), parts_shown_to(db, user, part.request)
        )
    checkpoint(platform.engine)
    return result


@router.post("/api/privacy/requests/{request_id}/parts/{part_id}/reject", response_model=RequestOut)
def reject_part(
    request_id: PathId, part_id: PathId, body: RejectIn, user: UserDep, platform: PlatformDep
) -> RequestOut:
    """Refuse one part, with the reason (its handler)."""
    with platform.transaction() as db:
        part = _part(db, user, request_id, part_id)
        Rights.of(platform).reject(db, part, actor_user_id=user.id, reason=body.reason)
        return request_out(
            part.request, platform.clock.now(), parts_shown_to(db, user, part.request)
        )


@router.post("/api/privacy/requests/{request_id}/extend", response_model=RequestOut)
def extend_request(
    request_id: PathId, body: ExtendIn, user: UserDep, platform: PlatformDep
) -> RequestOut:
    """Extend the deadline with a reason (a handler of any part)."""
    with platform.transaction() as db:
        request = visible(db, user, request_id)
        if not any(may_handle(db, user, p) for p in request.parts):
            raise forbidden(gettext("Only a handler may extend the deadline."))
        Rights.of(platform).extend(
            db, request, until=body.until, reason=body.reason, actor_user_id=user.id
        )
        return request_out(request, platform.clock.now())


@router.get("/api/privacy/requests/{request_id}/export.zip", response_class=StreamingResponse)
def request_export(request_id: PathId, user: UserDep, platform: PlatformDep) -> StreamingResponse:
    """An access request's export: all answered parts for its person, or the caller's
    own part for a handler (to review before answering)."""
    with platform.sessions() as db:
        request = visible(db, user, request_id)
        if request.subject_user_id == user.id:
            parts = requests.done_parts(request)
        else:
            parts = [part_of(p) for p in request.parts if may_handle(db, user, p)]
        found = Rights.of(platform).found(db, request)
    return zip_response(platform, found, parts, f"request-{request_id}.zip")
