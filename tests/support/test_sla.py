"""SLA under a frozen clock: a ticket breaches its first-response target in business
hours, is escalated once per breach (mail to the lead, audit entry, priority up), and an
answer stops that clock while the resolution clock runs on."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from interpreta.accounts.models import User
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from interpreta.support import sla, tickets
from interpreta.support.models import Priority, Ticket, TicketStatus
from tests.conftest import RecordingMailer
from tests.support.conftest import OpenTicket, load


def _escalate(platform: Platform) -> list[sla.Breach]:
    with platform.transaction() as db:
        raised = sla.escalate(db, platform.settings, platform.mailer, platform.clock.now())
        return raised


def _overdue(platform: Platform) -> list[tuple[int, sla.Target]]:
    with platform.transaction() as db:
        return [
            (b.ticket.id, b.target)
            for b in sla.overdue(db, platform.settings, platform.clock.now())
        ]


def test_a_ticket_breaches_its_first_response_target_and_is_escalated(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock, outbox: RecordingMailer
) -> None:
    ticket_id = open_ticket()  # Monday 10:00: due Thursday 10:00 (24 business hours)
    desk_clock.advance(timedelta(days=2, hours=23, minutes=59))  # Thursday 09:59
    assert _overdue(platform) == [] and _escalate(platform) == []
    desk_clock.advance(timedelta(minutes=2))
    assert _overdue(platform) == [(ticket_id, sla.Target.FIRST_RESPONSE)]
    (breach,) = _escalate(platform)
    assert breach.late == timedelta(minutes=1)
    ticket = load(platform, ticket_id)
    assert (ticket.escalation_level, ticket.priority) == (1, Priority.HIGH)
    lead = outbox.sent[-1]
    assert lead.to == platform.settings.support_escalation_email
    assert f"[#{ticket.reference}] first response overdue" in lead.body
    with platform.sessions() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "support.ticket.escalate")
        ).one()
        assert entry.target == f"ticket:{ticket_id}"

    desk_clock.advance(timedelta(hours=3))
    sent = len(outbox.sent)
    assert _escalate(platform) == []  # the same breach is escalated once
    assert len(outbox.sent) == sent


def test_night_and_weekend_do_not_count(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    desk_clock.advance(timedelta(days=4, hours=6))  # Friday 16:00
    ticket_id = open_ticket(priority=Priority.URGENT)  # 6 business hours
    assert load(platform, ticket_id).first_response_due.isoformat() == "2026-12-14T13:00:00+00:00"
    desk_clock.advance(timedelta(days=2, hours=21, minutes=59))  # Monday 13:59 (Berlin)
    assert _overdue(platform) == []
    desk_clock.advance(timedelta(minutes=2))
    assert _overdue(platform) == [(ticket_id, sla.Target.FIRST_RESPONSE)]


def test_an_answer_stops_the_first_clock_and_waiting_pauses_resolution(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    ticket_id = open_ticket()
    now = desk_clock.now()
    with platform.transaction() as db:
        agent = User(email="sam@interpreta.example", name="Sam", password_hash="-", created_at=now)
        db.add(agent)
        db.flush()
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.reply(db, platform.settings, platform.mailer, ticket, agent, body="On it.", now=now)
    desk_clock.advance(timedelta(days=30))
    assert _overdue(platform) == []  # pending: waiting for the requester
    with platform.transaction() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.set_status(db, ticket, TicketStatus.OPEN, desk_clock.now())
    assert _overdue(platform) == [(ticket_id, sla.Target.RESOLUTION)]
    assert _escalate(platform)[0].target is sla.Target.RESOLUTION


class _RelayDown:
    """A mail relay that refuses every mail."""

    def send(self, mail: object) -> None:
        raise OSError("relay down")


def test_an_escalation_stands_when_the_lead_s_mail_cannot_be_sent(
    platform: Platform,
    open_ticket: OpenTicket,
    desk_clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticket_id = open_ticket()
    desk_clock.advance(timedelta(days=3, minutes=1))
    platform.mailer = _RelayDown()  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR, logger="interpreta.mail"):
        (breach,) = _escalate(platform)  # committed; the failed send after it is logged
    assert breach.ticket.id == ticket_id
    assert load(platform, ticket_id).escalation_level == 1
    assert "could not be sent" in caplog.text and "ticket escalated" in caplog.text
