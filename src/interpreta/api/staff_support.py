"""The support desk for the operator's support staff: the queues (open, mine, overdue),
answering and noting, canned replies, priorities, assignment and incidents.

Support and admin staff (two-factor sign-in on) only; everyone else, billing staff
included, gets 404. Every change is written to the audit trail under the staff member's
pseudonym.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts import actions
from interpreta.accounts.models import User
from interpreta.api import staff_audit
from interpreta.api.dependencies import (
    SUPPORT_STAFF,
    PlatformDep,
    UserDep,
    require_staff,
    row_or_404,
    within,
)
from interpreta.api.inputs import Input, PathId, RowId
from interpreta.api.support import TicketOut, ticket_out
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.errors import conflict, filled, invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.platform import Platform
from interpreta.support import sla, tickets
from interpreta.support.models import CannedReply, Incident, Priority, Ticket, TicketStatus

router = APIRouter(
    prefix="/api/staff", tags=["staff: support"], dependencies=[within(SUPPORT_DESK)]
)

Status = Literal["open", "pending", "solved", "closed"]


class QueuedTicket(BaseModel):
    """A ticket in a queue."""

    id: int
    reference: str
    subject: str
    requester_email: str
    status: str
    priority: str
    plan: str | None
    assignee_id: int | None
    first_response_due: datetime
    resolution_due: datetime
    escalation_level: int
    overdue: str | None
    incident_id: int | None


class ReplyIn(Input):
    """An answer (mailed to the requester) or an internal note."""

    body: str | None = Field(default=None, min_length=1, max_length=tickets.MAX_BODY)
    canned_reply_id: RowId | None = None
    internal: bool = False
    status: Status | None = None


class TicketPatch(Input):
    """Changes to a ticket."""

    status: Status | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    assignee_id: RowId | None = None
    unassign: bool = False
    """Give the ticket back to the queue: nobody has it."""
    incident_id: RowId | None = None
    unlink_incident: bool = False


class CannedIn(Input):
    """A reply to keep; ``{name}`` stands for the requester's name."""

    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=tickets.MAX_BODY)


class CannedOut(BaseModel):
    """A canned reply."""

    id: int
    title: str
    body: str


class IncidentIn(Input):
    """An incident affecting many customers."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)


class IncidentOut(BaseModel):
    """An incident and how many tickets it has."""

    id: int
    title: str
    description: str
    opened_at: datetime
    resolved_at: datetime | None
    tickets: int


def _ticket(db: Session, ticket_id: int) -> Ticket:
    return row_or_404(db, Ticket, ticket_id, N_("ticket"))


def _incident(db: Session, incident_id: int) -> Incident:
    found = db.get(Incident, incident_id)
    if found is None:
        raise invalid("incident_id", gettext("No such incident."))
    return found


def queued(ticket: Ticket, breach: sla.Breach | None) -> QueuedTicket:
    """`ticket` as a queue lists it, with the target it is past (`breach`), if any."""
    return QueuedTicket(
        id=ticket.id,
        reference=ticket.reference,
        subject=ticket.subject,
        requester_email=ticket.requester_email,
        status=str(ticket.status),
        priority=str(ticket.priority),
        plan=ticket.plan,
        assignee_id=ticket.assignee_id,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        escalation_level=ticket.escalation_level,
        overdue=None if breach is None else str(breach.target),
        incident_id=ticket.incident_id,
    )


@router.get("/tickets", response_model=list[QueuedTicket])
def queue(
    user: UserDep,
    platform: PlatformDep,
    view: Annotated[Literal["active", "mine", "overdue", "all"], Query()] = "active",
) -> list[QueuedTicket]:
    """A queue: ``active`` (new, open, pending; soonest target first), ``mine``,
    ``overdue`` (past a target, most overdue first) or ``all``."""
    require_staff(user, SUPPORT_STAFF)
    now = platform.clock.now()
    with platform.sessions() as db:
        breaches = sla.overdue(db, platform.settings, now)
        overdue = {b.ticket.id: b for b in breaches}
        if view == "overdue":
            return [queued(b.ticket, b) for b in breaches]
        query = select(Ticket).order_by(Ticket.first_response_due, Ticket.id)
        if view in ("active", "mine"):
            query = query.where(
                Ticket.status.in_((TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING))
            )
        if view == "mine":
            query = query.where(Ticket.assignee_id == user.id)
        return [queued(t, overdue.get(t.id)) for t in db.scalars(query)]


def ticket_standing(
    ticket_id: int, user: User, platform: Platform
) -> tuple[TicketOut, QueuedTicket]:
    """A ticket with every message, and where it stands in the queues (the staff
    console's ticket page: one read of the ticket, its own SLA breach only)."""
    require_staff(user, SUPPORT_STAFF)
    with platform.sessions() as db:
        ticket = _ticket(db, ticket_id)
        hours = tickets.business_hours(platform.settings)
        breach = sla.breach_of(ticket, hours, platform.clock.now())
        return ticket_out(ticket, internal=True), queued(ticket, breach)


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def read_ticket(ticket_id: PathId, user: UserDep, platform: PlatformDep) -> TicketOut:
    """A ticket with every message, internal notes included."""
    require_staff(user, SUPPORT_STAFF)
    with platform.sessions() as db:
        return ticket_out(_ticket(db, ticket_id), internal=True)


@router.post("/tickets/{ticket_id}/replies", status_code=201, response_model=TicketOut)
def answer(ticket_id: PathId, body: ReplyIn, user: UserDep, platform: PlatformDep) -> TicketOut:
    """Answer the requester (by mail), or note something for support only."""
    require_staff(user, SUPPORT_STAFF)
    if (body.body is None) == (body.canned_reply_id is None):
        raise invalid("body", gettext("Write a reply or choose a canned one, not both."))
    with platform.transaction() as db:
        ticket = _ticket(db, ticket_id)
        canned = None
        if body.canned_reply_id is not None:
            canned = db.get(CannedReply, body.canned_reply_id)
            if canned is None:
                raise invalid("canned_reply_id", gettext("No such canned reply."))
        tickets.reply(
            db,
            platform.settings,
            platform.mailer,
            ticket,
            user,
            body=body.body,
            canned=canned,
            internal=body.internal,
            status=None if body.status is None else TicketStatus(body.status),
            now=platform.clock.now(),
        )
        action = "support.ticket.note" if body.internal else "support.ticket.reply"
        staff_audit.record(db, platform, user, action, f"ticket:{ticket.id}")
        return ticket_out(ticket, internal=True)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut)
def change_ticket(
    ticket_id: PathId, body: TicketPatch, user: UserDep, platform: PlatformDep
) -> TicketOut:
    """Change a ticket's status, priority, assignee or incident."""
    require_staff(user, SUPPORT_STAFF)
    if all(value in (None, False) for value in body.model_dump().values()):
        raise invalid("status", gettext("Change at least one thing."))
    now = platform.clock.now()
    with platform.transaction() as db:
        ticket = _ticket(db, ticket_id)
        if ticket.status is TicketStatus.CLOSED:
            raise conflict(gettext("This ticket is closed."))
        if body.assignee_id is not None and body.unassign:
            raise invalid("unassign", gettext("Assign the ticket or give it back, not both."))
        if body.assignee_id is not None:
            if actions.staff_role_of(db, body.assignee_id) not in SUPPORT_STAFF:
                raise invalid("assignee_id", gettext("Assign the ticket to support staff."))
            ticket.assignee_id = body.assignee_id
        elif body.unassign:
            ticket.assignee_id = None
        if body.incident_id is not None:
            tickets.link_incident(db, ticket, _incident(db, body.incident_id), now)
        elif body.unlink_incident:
            tickets.link_incident(db, ticket, None, now)
        if body.priority is not None:
            tickets.set_priority(db, platform.settings, ticket, Priority(body.priority), now)
        if body.status is not None:
            tickets.set_status(db, ticket, TicketStatus(body.status), now)
        changed = sorted(body.model_dump(exclude_unset=True))
        staff_audit.record(
            db, platform, user, "support.ticket.change", f"ticket:{ticket.id}", fields=changed
        )
        return ticket_out(ticket, internal=True)


@router.get("/canned-replies", response_model=list[CannedOut])
def canned_replies(user: UserDep, platform: PlatformDep) -> list[CannedOut]:
    """The replies support keeps."""
    require_staff(user, SUPPORT_STAFF)
    with platform.sessions() as db:
        return [
            CannedOut(id=c.id, title=c.title, body=c.body)
            for c in db.scalars(select(CannedReply).order_by(CannedReply.title))
        ]


@router.post("/canned-replies", status_code=201, response_model=CannedOut)
def keep_canned_reply(body: CannedIn, user: UserDep, platform: PlatformDep) -> CannedOut:
    """Keep a reply for later."""
    require_staff(user, SUPPORT_STAFF)
    title, text = filled("title", body.title), filled("body", body.body)
    with platform.transaction() as db:
        if db.scalar(select(CannedReply.id).where(CannedReply.title == title)):
            raise conflict(gettext("A canned reply has that title."), "title")
        canned = CannedReply(title=title, body=text, created_at=platform.clock.now())
        db.add(canned)
        db.flush()
        staff_audit.record(db, platform, user, "support.canned.create", f"canned:{canned.id}")
        return CannedOut(id=canned.id, title=canned.title, body=canned.body)


def _incident_out(db: Session, incident: Incident) -> IncidentOut:
    linked = db.scalars(select(Ticket.id).where(Ticket.incident_id == incident.id)).all()
    return IncidentOut(
        id=incident.id,
        title=incident.title,
        description=incident.description,
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        tickets=len(linked),
    )


@router.get("/incidents", response_model=list[IncidentOut])
def incidents(user: UserDep, platform: PlatformDep) -> list[IncidentOut]:
    """Incidents, open ones first."""
    require_staff(user, SUPPORT_STAFF)
    with platform.sessions() as db:
        found = db.scalars(
            select(Incident).order_by(Incident.resolved_at.is_not(None), Incident.id.desc())
        )
        return [_incident_out(db, i) for i in found]


@router.post("/incidents", status_code=201, response_model=IncidentOut)
def open_incident(body: IncidentIn, user: UserDep, platform: PlatformDep) -> IncidentOut:
    """Open an incident; tickets linked to it are kept while it is open (P14)."""
    require_staff(user, SUPPORT_STAFF)
    with platform.transaction() as db:
        incident = Incident(
            title=filled("title", body.title),
            description=filled("description", body.description),
            opened_at=platform.clock.now(),
        )
        db.add(incident)
        db.flush()
        staff_audit.record(db, platform, user, "support.incident.open", f"incident:{incident.id}")
        return _incident_out(db, incident)


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut)
def resolve_incident(incident_id: PathId, user: UserDep, platform: PlatformDep) -> IncidentOut:
    """Resolve an incident: its tickets go back to their own retention (P13)."""
    require_staff(user, SUPPORT_STAFF)
    with platform.transaction() as db:
        incident = db.get(Incident, incident_id)
        if incident is None:
            raise not_found(N_("incident"))
        if incident.resolved_at is not None:
            raise conflict(gettext("The incident is resolved already."))
        incident.resolved_at = platform.clock.now()
        staff_audit.record(
            db, platform, user, "support.incident.resolve", f"incident:{incident.id}"
        )
        return _incident_out(db, incident)
