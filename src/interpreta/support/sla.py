"""SLA: which tickets are past their targets, and escalating them.

A ticket breaches its first-response target when support has not answered by then, and
its resolution target when it is not solved by then. :func:`escalate` (run hourly by the
server, and by ``interpreta support escalate``) raises each breach once: the ticket's
escalation level goes up, its priority one step (so its remaining targets tighten), the
support lead is mailed in the operator's language, and the audit trail records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.activities import SUPPORT_DESK
from interpreta.i18n.catalogues import N_, gettext, ngettext
from interpreta.i18n.locales import speaking
from interpreta.mail import Mail, Mailer, send_after_commit
from interpreta.privacy import audit
from interpreta.privacy.processing import runs_in
from interpreta.privacy.pseudonyms import system
from interpreta.support.business_hours import BusinessHours
from interpreta.support.models import Priority, Ticket, TicketStatus
from interpreta.support.tickets import business_hours

__all__ = ["Breach", "Target", "escalate", "overdue"]

_ACTIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
_HIGHER = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


PRIORITY_WORDS = {
    Priority.LOW: N_("low"),
    Priority.NORMAL: N_("normal"),
    Priority.HIGH: N_("high"),
    Priority.URGENT: N_("urgent"),
}
"""Each priority in words (translated where shown)."""


class Target(StrEnum):
    """Which SLA target a ticket missed."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class Breach:
    """A ticket past one of its targets, and by how many business hours."""

    ticket: Ticket
    target: Target
    due: datetime
    late: timedelta


@runs_in(SUPPORT_DESK)
def overdue(db: Session, settings: Settings, now: datetime) -> list[Breach]:
    """Every active ticket past a target, the most overdue first (the overdue queue).
    A pending ticket waits for its requester: its resolution clock does not count."""
    hours = business_hours(settings)
    tickets = db.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_(_ACTIVE),
            or_(
                Ticket.first_responded_at.is_(None) & (Ticket.first_response_due < now),
                (Ticket.status != TicketStatus.PENDING) & (Ticket.resolution_due < now),
            ),
        )
        .order_by(Ticket.first_response_due, Ticket.id)
    )
    found = [b for b in (breach_of(t, hours, now) for t in tickets) if b is not None]
    found.sort(key=lambda b: (-b.late, b.ticket.id))
    return found


def breach_of(ticket: Ticket, hours: BusinessHours, now: datetime) -> Breach | None:
    """The target `ticket` is past at `now`, if any: its first response while none was
    given, else its resolution (not while it is pending: that clock waits for the
    requester). None for a ticket that is solved or closed."""
    if ticket.status not in _ACTIVE:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due < now:
        due, target = ticket.first_response_due, Target.FIRST_RESPONSE
    elif ticket.status is not TicketStatus.PENDING and ticket.resolution_due < now:
        due, target = ticket.resolution_due, Target.RESOLUTION
    else:
        return None
    return Breach(ticket, target, due, hours.between(due, now))


@runs_in(SUPPORT_DESK)
def escalate(db: Session, settings: Settings, mailer: Mailer, now: datetime) -> list[Breach]:
    """Escalate each breach not escalated yet; the breaches escalated now."""
    raised = [
        breach
        for breach in overdue(db, settings, now)
        if breach.ticket.escalated_at is None or breach.ticket.escalated_at < breach.due
    ]
    for breach in raised:
        ticket = breach.ticket
        ticket.escalation_level += 1
        ticket.escalated_at = now
        ticket.priority = _HIGHER[ticket.priority]
        audit.record(
            db,
            actor=system("support-sla"),
            action="support.ticket.escalate",
            subject=None,
            target=f"ticket:{ticket.id}",
            detail={"target": str(breach.target), "level": ticket.escalation_level},
            now=now,
        )
    db.flush()
    if raised:
        send_after_commit(db, mailer, _to_the_lead(settings, raised))
    return raised


def _to_the_lead(settings: Settings, raised: list[Breach]) -> Mail:
    with speaking(settings.operator_language):
        lines = [
            gettext(
                "[#%(reference)s] %(target)s overdue by %(hours)s business hours "
                "(level %(level)s, priority %(priority)s)",
                reference=b.ticket.reference,
                target=gettext("first response")
                if b.target is Target.FIRST_RESPONSE
                else gettext("resolution"),
                hours=f"{b.late / timedelta(hours=1):.1f}",
                level=b.ticket.escalation_level,
                priority=gettext(PRIORITY_WORDS[b.ticket.priority]),
            )
            for b in raised
        ]
        subject = ngettext(
            "%(num)s support ticket escalated", "%(num)s support tickets escalated", len(raised)
        )
        body = "\n".join([gettext("These tickets are past their SLA targets:"), "", *lines, ""])
    return Mail(settings.support_escalation_email, subject, body, SUPPORT_DESK.key)
