"""Asking for help, signed in: open a ticket from the web form, read the answers, write
back. (Anyone can also write to the desk's address: the SMTP intake.) A person sees their
own tickets only, without support's internal notes; another's ticket is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from interpreta.accounts.models import User
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input, PathId
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.errors import forbidden, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.i18n.locales import current
from interpreta.support import tickets
from interpreta.support.models import Channel, Priority, Ticket, TicketMessage

router = APIRouter(prefix="/api/support", tags=["support"], dependencies=[within(SUPPORT_DESK)])


class TicketIn(Input):
    """A request for help."""

    subject: str = Field(min_length=1, max_length=tickets.MAX_SUBJECT, pattern=r"^[^\r\n]*$")
    body: str = Field(min_length=1, max_length=tickets.MAX_BODY)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


class MessageIn(Input):
    """A message added to one's ticket."""

    body: str = Field(min_length=1, max_length=tickets.MAX_BODY)


class MessageOut(BaseModel):
    """A message on a ticket."""

    id: int
    from_support: bool
    internal: bool
    body: str
    created_at: datetime


class TicketOut(BaseModel):
    """A ticket and its targets."""

    id: int
    reference: str
    subject: str
    status: str
    priority: str
    channel: str
    created_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    solved_at: datetime | None
    messages: list[MessageOut]


def ticket_out(ticket: Ticket, *, internal: bool) -> TicketOut:
    """`ticket` as the API shows it: with support's internal notes only when `internal`."""
    return TicketOut(
        id=ticket.id,
        reference=ticket.reference,
        subject=ticket.subject,
        status=str(ticket.status),
        priority=str(ticket.priority),
        channel=str(ticket.channel),
        created_at=ticket.created_at,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        first_responded_at=ticket.first_responded_at,
        solved_at=ticket.solved_at,
        messages=[_message_out(m) for m in ticket.messages if internal or not m.internal],
    )


def _message_out(message: TicketMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        from_support=message.from_staff,
        internal=message.internal,
        body=message.body,
        created_at=message.created_at,
    )


def _mine(db: Session, ticket_id: int, user: User) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or ticket.requester_user_id != user.id:
        raise not_found(N_("ticket"))
    return ticket


@router.post("/tickets", status_code=201, response_model=TicketOut)
def open_ticket(body: TicketIn, user: UserDep, platform: PlatformDep) -> TicketOut:
    """Ask for help: the answer comes by mail (to a proven address), and here."""
    if user.email_verified_at is None:
        raise forbidden(gettext("Prove your email address first: support answers by mail."))
    with platform.transaction() as db:
        ticket = tickets.open_ticket(
            db,
            platform.settings,
            platform.mailer,
            email=user.email,
            name=user.name,
            subject=body.subject,
            body=body.body,
            channel=Channel.WEB,
            now=platform.clock.now(),
            user=user,
            language=current(),
            priority=Priority(body.priority),
        )
        return ticket_out(ticket, internal=False)


@router.get("/tickets", response_model=list[TicketOut])
def my_tickets(user: UserDep, platform: PlatformDep) -> list[TicketOut]:
    """One's own tickets, newest first."""
    with platform.sessions() as db:
        found = db.scalars(
            select(Ticket)
            .options(selectinload(Ticket.messages))
            .where(Ticket.requester_user_id == user.id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
        return [ticket_out(t, internal=False) for t in found]


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def my_ticket(ticket_id: PathId, user: UserDep, platform: PlatformDep) -> TicketOut:
    """One of one's tickets, with support's answers."""
    with platform.sessions() as db:
        return ticket_out(_mine(db, ticket_id, user), internal=False)


@router.post("/tickets/{ticket_id}/messages", status_code=201, response_model=TicketOut)
def write_back(
    ticket_id: PathId, body: MessageIn, user: UserDep, platform: PlatformDep
) -> TicketOut:
    """Add to one's ticket (not to a closed one: open a new ticket)."""
    with platform.transaction() as db:
        ticket = _mine(db, ticket_id, user)
        tickets.add_message(
            db,
            platform.settings,
            ticket,
            body=body.body,
            channel=Channel.WEB,
            now=platform.clock.now(),
            user=user,
        )
        return ticket_out(ticket, internal=False)
