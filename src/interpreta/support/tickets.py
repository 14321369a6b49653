"""Tickets: opened from the web form or by mail, answered by mail, solved and closed.

A ticket's SLA clocks start when it comes in: the first answer and the resolution are due
within the hours of the customer's plan (or the desk's defaults for anyone else), halved
for a high priority and quartered for an urgent one, counted in the desk's business hours
(:mod:`~interpreta.support.business_hours`). The requester gets every public answer by
mail, with the ticket's reference in the subject; a mail back with that reference, or in
reply to one of the ticket's mails, from the requester's own address, continues it.
Mails are sent once the transaction has committed.
"""

from __future__ import annotations

import functools
import re
import secrets
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts import actions
from interpreta.accounts.models import Membership, User
from interpreta.billing import contracts
from interpreta.billing.models import Contract, Plan
from interpreta.config import Settings
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.datamap.ties import normalise_email
from interpreta.errors import conflict, filled, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import speaking, supported
from interpreta.mail import Mail, Mailer, send_after_commit
from interpreta.privacy.processing import runs_in
from interpreta.support.business_hours import BusinessHours, parse_opening
from interpreta.support.models import (
    CannedReply,
    Channel,
    Incident,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
)

__all__ = [
    "PRIORITY_FACTOR",
    "add_message",
    "business_hours",
    "link_incident",
    "open_ticket",
    "receive_mail",
    "reference_in",
    "reply",
    "set_priority",
    "set_status",
]


PRIORITY_FACTOR = {
    Priority.URGENT: 0.25,
    Priority.HIGH: 0.5,
    Priority.NORMAL: 1.0,
    Priority.LOW: 2.0,
}
"""How a priority scales the plan's SLA hours."""
MAX_BODY = 20_000
MAX_SUBJECT = 200
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_REFERENCE = re.compile(r"\[#([A-Z2-9]{4}-[A-Z2-9]{4})\]")
_ACTIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


@functools.cache
def _hours(
    opening: str, timezone: str, country: str | None, subdivision: str | None
) -> BusinessHours:
    return BusinessHours(
        timezone=timezone,
        opening=parse_opening(opening),
        country=country,
        subdivision=subdivision,
    )


def business_hours(settings: Settings) -> BusinessHours:
    """The desk's business hours, as configured."""
    return _hours(
        settings.support_hours,
        settings.support_timezone,
        settings.support_country,
        settings.support_subdivision,
    )


def reference_in(subject: str) -> str | None:
    """The ticket reference a mail's subject carries (``[#K7Q2-MX9A]``), the last one if
    it carries several (a client that kept an older ticket's), if any."""
    found = _REFERENCE.findall(subject.upper())
    return found[-1] if found else None


def _new_reference(db: Session) -> str:
    while True:
        letters = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{letters[:4]}-{letters[4:]}"
        if db.scalar(select(Ticket.id).where(Ticket.reference == reference)) is None:
            return reference


def _text(field: str, value: str, most: int) -> str:
    cleaned = filled(field, value)
    if len(cleaned) > most:
        raise invalid(field, gettext("At most %(most)s characters.", most=most))
    return cleaned


def _address(email: str) -> str:
    try:
        return str(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise invalid("email", gettext("Enter a valid email address.")) from None


def _sla_hours(
    db: Session, settings: Settings, organisation_id: int | None, today: date
) -> tuple[str | None, int, int]:
    """The plan whose SLA applies, and its hours to the first answer and to resolution."""
    found = None
    if organisation_id is not None:
        found = db.execute(
            select(Plan.code, Plan.first_response_hours, Plan.resolution_hours)
            .join(Contract, Contract.plan_id == Plan.id)
            .where(Contract.organisation_id == organisation_id, contracts.in_force(today))
            .order_by(Contract.starts_on.desc(), Contract.id.desc())
            .limit(1)
        ).first()
    if found is None:
        return None, settings.support_first_response_hours, settings.support_resolution_hours
    return found.code, found.first_response_hours, found.resolution_hours


def _due(settings: Settings, ticket: Ticket, first: int, resolution: int) -> None:
    hours = business_hours(settings)
    factor = PRIORITY_FACTOR[ticket.priority]
    ticket.first_response_due = hours.add(ticket.created_at, first * factor)
    ticket.resolution_due = hours.add(ticket.created_at, resolution * factor)


def _organisation_of(db: Session, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return db.scalar(
        select(Membership.organisation_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
        .limit(1)
    )


@runs_in(SUPPORT_DESK)
def open_ticket(
    db: Session,
    settings: Settings,
    mailer: Mailer,
    *,
    email: str,
    name: str | None,
    subject: str,
    body: str,
    channel: Channel,
    now: datetime,
    user: User | None = None,
    language: str = "en",
    priority: Priority = Priority.NORMAL,
    mail_id: str | None = None,
) -> Ticket:
    """Open a ticket with its first message and acknowledge it by mail.

    :raises Problem: 422 for an empty or too long subject or message, or a bad address.
    """
    address = _address(email)
    user_id, known_name = (None, None) if user is None else (user.id, user.name)
    if user is None and channel is Channel.EMAIL:  # a customer writing from their address
        account = actions.verified_account(db, address)
        user_id, known_name = (None, None) if account is None else account
    organisation_id = _organisation_of(db, user_id)
    plan, first, resolution = _sla_hours(db, settings, organisation_id, now.date())
    ticket = Ticket(
        reference=_new_reference(db),
        organisation_id=organisation_id,
        requester_user_id=user_id,
        requester_email=address,
        requester_name=(name or known_name or "").strip()[:200] or None,
        language=supported(language) or "en",
        subject=_text("subject", " ".join(_REFERENCE.sub("", subject).split()), MAX_SUBJECT),
        channel=channel,
        status=TicketStatus.NEW,
        priority=priority,
        plan=plan,
        escalation_level=0,
        created_at=now,
        updated_at=now,
    )
    _due(settings, ticket, first, resolution)
    ticket.messages.append(
        TicketMessage(
            from_staff=False,
            internal=False,
            author_user_id=user_id,
            body=_text("body", body, MAX_BODY),
            channel=channel,
            mail_id=mail_id,
            created_at=now,
        )
    )
    db.add(ticket)
    db.flush()
    send_after_commit(db, mailer, _acknowledgement(settings, ticket))
    return ticket


@runs_in(SUPPORT_DESK)
def add_message(
    db: Session,
    settings: Settings,
    ticket: Ticket,
    *,
    body: str,
    channel: Channel,
    now: datetime,
    user: User | None = None,
    mail_id: str | None = None,
) -> TicketMessage:
    """The requester writes again: the message is added and the ticket is open for
    support again (a closed ticket cannot be continued: write a new one).

    :raises Problem: 409 for a closed ticket; 422 for an empty or too long message.
    """
    if ticket.status is TicketStatus.CLOSED:
        raise conflict(gettext("This ticket is closed: please open a new one."))
    message = TicketMessage(
        from_staff=False,
        internal=False,
        author_user_id=None if user is None else user.id,
        body=_text("body", body, MAX_BODY),
        channel=channel,
        mail_id=mail_id,
        created_at=now,
    )
    waited = _waiting_since(ticket) if ticket.status is TicketStatus.PENDING else None
    ticket.messages.append(message)
    if waited is not None:  # time spent waiting for the requester does not count
        hours = business_hours(settings)
        ticket.resolution_due = hours.add(ticket.resolution_due, hours.between(waited, now))
    if ticket.status is not TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
        ticket.solved_at = None
    ticket.updated_at = now
    db.flush()
    return message


def _waiting_since(ticket: Ticket) -> datetime | None:
    """When support last answered (and the ticket began to wait for its requester)."""
    answers = [m.created_at for m in ticket.messages if m.from_staff and not m.internal]
    return max(answers) if answers else None


@runs_in(SUPPORT_DESK)
def receive_mail(
    db: Session,
    settings: Settings,
    mailer: Mailer,
    *,
    sender: str,
    sender_name: str | None,
    subject: str,
    body: str,
    message_id: str | None,
    in_reply_to: str | None,
    now: datetime,
) -> Ticket:
    """A mail to the desk: it continues the ticket it refers to (by the reference in its
    subject, or the mail it answers) when it comes from that ticket's requester and the
    ticket is not closed; otherwise it opens a ticket."""
    address = _address(sender)
    if message_id:  # a sending server that retries delivers the same mail again
        seen = db.scalar(
            select(Ticket)
            .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
            .where(TicketMessage.mail_id == message_id.strip()[:250])
        )
        if seen is not None:
            return seen
    ticket = _ticket_for_mail(db, subject, in_reply_to)
    same_person = ticket is not None and normalise_email(ticket.requester_email) == (
        normalise_email(address)
    )
    if ticket is not None and same_person and ticket.status is not TicketStatus.CLOSED:
        add_message(
            db, settings, ticket, body=body, channel=Channel.EMAIL, now=now, mail_id=message_id
        )
        return ticket
    return open_ticket(
        db,
        settings,
        mailer,
        email=address,
        name=sender_name,
        subject=subject or gettext("(no subject)"),
        body=body,
        channel=Channel.EMAIL,
        now=now,
        mail_id=message_id,
    )


def _ticket_for_mail(db: Session, subject: str, in_reply_to: str | None) -> Ticket | None:
    reference = reference_in(subject)
    if reference is not None:
        found = db.scalar(select(Ticket).where(Ticket.reference == reference))
        if found is not None:
            return found
    if in_reply_to:
        return db.scalar(
            select(Ticket)
            .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
            .where(TicketMessage.mail_id == in_reply_to.strip()[:250])
        )
    return None


@runs_in(SUPPORT_DESK)
def reply(
    db: Session,
    settings: Settings,
    mailer: Mailer,
    ticket: Ticket,
    staff: User,
    *,
    body: str | None,
    now: datetime,
    canned: CannedReply | None = None,
    internal: bool = False,
    status: TicketStatus | None = None,
) -> TicketMessage:
    """Support answers (mailed to the requester) or notes something for itself
    (`internal`); a canned reply fills in the requester's name. An answer waits for the
    requester (pending) unless `status` says otherwise.

    :raises Problem: 409 for a closed ticket; 422 for no text.
    """
    if ticket.status is TicketStatus.CLOSED:
        raise conflict(gettext("This ticket is closed."))
    text = body if canned is None else canned.body.replace("{name}", ticket.requester_name or "")
    message = TicketMessage(
        from_staff=True,
        internal=internal,
        author_user_id=staff.id,
        body=_text("body", text or "", MAX_BODY),
        channel=Channel.WEB if internal else Channel.EMAIL,
        created_at=now,
    )
    ticket.messages.append(message)
    ticket.updated_at = now
    if not internal:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        _set_status(ticket, status or TicketStatus.PENDING, now)
        send_after_commit(db, mailer, _answer(settings, ticket, message))
    elif status is not None:
        _set_status(ticket, status, now)
    db.flush()
    return message


def _set_status(ticket: Ticket, status: TicketStatus, now: datetime) -> None:
    if status is TicketStatus.NEW and ticket.status is not TicketStatus.NEW:
        raise invalid("status", gettext("A ticket cannot become new again."))
    if status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        ticket.solved_at = ticket.solved_at or now  # closing a solved ticket keeps when
    else:
        ticket.solved_at = None
    if status is TicketStatus.CLOSED:
        ticket.closed_at = now
    ticket.status = status
    ticket.updated_at = now


@runs_in(SUPPORT_DESK)
def set_status(db: Session, ticket: Ticket, status: TicketStatus, now: datetime) -> Ticket:
    """Move a ticket: solved (the resolution clock stops), closed (for good: its P13
    clock starts), or back to open or pending.

    :raises Problem: 409 for a closed ticket; 422 for making it new again.
    """
    if ticket.status is TicketStatus.CLOSED:
        raise conflict(gettext("This ticket is closed."))
    _set_status(ticket, status, now)
    db.flush()
    return ticket


@runs_in(SUPPORT_DESK)
def set_priority(
    db: Session, settings: Settings, ticket: Ticket, priority: Priority, now: datetime
) -> Ticket:
    """Change a ticket's priority; its SLA targets follow (from when it came in)."""
    ticket.priority = priority
    _, first, resolution = _sla_hours(db, settings, ticket.organisation_id, now.date())
    _due(settings, ticket, first, resolution)
    ticket.updated_at = now
    db.flush()
    return ticket


@runs_in(SUPPORT_DESK)
def link_incident(db: Session, ticket: Ticket, incident: Incident | None, now: datetime) -> Ticket:
    """Link a ticket to an incident (or unlink it): while the incident is open, the
    ticket is kept whatever its own retention says (P14)."""
    ticket.incident_id = None if incident is None else incident.id
    ticket.updated_at = now
    db.flush()
    return ticket


def is_active(ticket: Ticket) -> bool:
    """Whether support still owes the ticket something."""
    return ticket.status in _ACTIVE


def _subject(ticket: Ticket) -> str:
    return f"{ticket.subject} [#{ticket.reference}]"


def _acknowledgement(settings: Settings, ticket: Ticket) -> Mail:
    hours = business_hours(settings)
    with speaking(ticket.language):
        body = gettext(
            "Hello %(name)s,\n\nwe have received your request and will answer within "
            "%(hours)s business hours (by %(due)s, %(zone)s time).\n\nTo add to it, reply "
            "to this mail and keep [#%(reference)s] in the subject.\n\nYour support team",
            name=ticket.requester_name or ticket.requester_email,
            hours=_business_hours_between(hours, ticket.created_at, ticket.first_response_due),
            due=ticket.first_response_due.astimezone(hours.zone).strftime("%Y-%m-%d %H:%M"),
            zone=settings.support_timezone,
            reference=ticket.reference,
        )
        subject = gettext("We received your request: %(subject)s", subject=_subject(ticket))
    return _mail(settings, ticket, subject, body)


def _answer(settings: Settings, ticket: Ticket, message: TicketMessage) -> Mail:
    with speaking(ticket.language):
        subject = gettext("Re: %(subject)s", subject=_subject(ticket))
    return _mail(settings, ticket, subject, message.body)


def _business_hours_between(hours: BusinessHours, start: datetime, end: datetime) -> str:
    elapsed = hours.between(start, end) / timedelta(hours=1)
    return f"{elapsed:g}"


def _mail(settings: Settings, ticket: Ticket, subject: str, body: str) -> Mail:
    headers = [("Reply-To", settings.support_email)]
    last_mail = next(
        (m.mail_id for m in reversed(ticket.messages) if m.mail_id and not m.from_staff), None
    )
    if last_mail is not None:
        headers += [("In-Reply-To", last_mail), ("References", last_mail)]
    return Mail(
        ticket.requester_email,
        subject,
        body,
        SUPPORT_DESK.key,
        headers=tuple(headers),
    )
