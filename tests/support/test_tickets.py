"""Tickets: opened with SLA targets in business hours, acknowledged and answered by mail,
continued by the requester, solved and closed; bad input refused with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from interpreta.accounts.models import Organisation, User
from interpreta.billing import contracts
from interpreta.clock import FrozenClock
from interpreta.errors import Problem
from interpreta.platform import Platform
from interpreta.support import tickets
from interpreta.support.models import (
    CannedReply,
    Channel,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tests.conftest import RecordingMailer
from tests.support.conftest import OpenTicket, load


def _staff(platform: Platform) -> User:
    with platform.transaction() as db:
        agent = User(
            email="sam.support@interpreta.example",
            name="Sam",
            password_hash="-",
            created_at=platform.clock.now(),
        )
        db.add(agent)
        db.flush()
        db.expunge(agent)
        return agent


def test_a_ticket_gets_targets_in_business_hours(
    platform: Platform, open_ticket: OpenTicket, outbox: RecordingMailer
) -> None:
    ticket = load(platform, open_ticket())
    assert ticket.status is TicketStatus.NEW and ticket.plan is None
    # no plan: 24 and 80 business hours, Monday to Friday 09:00-17:00 in Berlin
    assert ticket.first_response_due == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # Thu 10:00
    assert ticket.resolution_due == datetime(2026, 12, 21, 9, 0, tzinfo=UTC)  # two weeks
    assert [m.body for m in ticket.messages] == ["Listeners hear nothing on German since 09:40."]
    acknowledgement = outbox.sent[-1]
    assert acknowledgement.to == "rita@example.org"
    assert f"[#{ticket.reference}]" in acknowledgement.subject
    assert "24 business hours" in acknowledgement.body


def test_urgent_tickets_and_a_plans_targets(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    urgent = load(platform, open_ticket(priority=Priority.URGENT))
    assert urgent.first_response_due == desk_clock.now() + timedelta(hours=6)  # 24 / 4
    now = desk_clock.now()
    with platform.transaction() as db:
        customer = User(
            email="olga@example.org",
            name="Olga",
            password_hash="-",
            created_at=now,
            email_verified_at=now,
        )
        organisation = Organisation(name="Olga Events", plan="gold", created_at=now)
        db.add_all([customer, organisation])
        db.flush()
        from interpreta.accounts.models import MemberRole, Membership

        db.add(
            Membership(
                organisation_id=organisation.id,
                user_id=customer.id,
                role=MemberRole.OWNER,
                created_at=now,
            )
        )
        plan = contracts.create_plan(
            db,
            code="gold",
            name="Gold",
            currency="EUR",
            monthly_fee=Decimal(900),
            included=(1000, 40, 8, 50),
            prices=(Decimal("0.3"), Decimal(40), Decimal("0.2")),
            support_hours=(2, 16),
            now=now,
        )
        contracts.start(
            db, organisation, plan, starts_on=now.date(), term_months=12, renews=True, now=now
        )
    gold = load(platform, open_ticket(email="olga@example.org"))
    assert gold.plan == "gold" and gold.organisation_id is not None
    assert gold.first_response_due == now + timedelta(hours=2)
    assert gold.resolution_due == now + timedelta(days=2)  # 16 h: Wednesday 10:00


def test_support_answers_by_mail_and_the_requester_writes_back(
    platform: Platform, open_ticket: OpenTicket, outbox: RecordingMailer, desk_clock: FrozenClock
) -> None:
    ticket_id = open_ticket()
    agent = _staff(platform)
    desk_clock.advance(timedelta(minutes=30))
    with platform.transaction() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        canned = CannedReply(
            title="Booth check",
            body="Hello {name}, please reload the booth console.",
            created_at=desk_clock.now(),
        )
        db.add(canned)
        tickets.reply(
            db,
            platform.settings,
            platform.mailer,
            ticket,
            agent,
            body=None,
            canned=canned,
            now=desk_clock.now(),
        )
        tickets.reply(
            db,
            platform.settings,
            platform.mailer,
            ticket,
            agent,
            body="Customer is on the Gold plan.",
            internal=True,
            now=desk_clock.now(),
        )
    answer = outbox.sent[-1]
    ticket = load(platform, ticket_id)
    assert answer.body == "Hello Rita Ruiz, please reload the booth console."
    assert answer.subject.startswith("Re: No sound in the German booth [#")
    assert answer.header("Reply-To") == platform.settings.support_email
    assert "Gold plan" not in " ".join(m.body for m in outbox.sent)  # notes stay inside
    assert ticket.status is TicketStatus.PENDING
    assert ticket.first_responded_at == desk_clock.now()

    with platform.transaction() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.add_message(
            db,
            platform.settings,
            ticket,
            body="Reloaded, works now.",
            channel=Channel.WEB,
            now=desk_clock.now(),
        )
        assert ticket.status is TicketStatus.OPEN
        tickets.set_status(db, ticket, TicketStatus.SOLVED, desk_clock.now())
        assert ticket.solved_at == desk_clock.now() and ticket.closed_at is None
        tickets.set_status(db, ticket, TicketStatus.CLOSED, desk_clock.now())
        assert ticket.closed_at == desk_clock.now()
        with pytest.raises(Problem) as closed:
            tickets.add_message(
                db,
                platform.settings,
                ticket,
                body="One more thing",
                channel=Channel.WEB,
                now=desk_clock.now(),
            )
        assert closed.value.status == 409


@pytest.mark.parametrize(
    ("email", "subject", "body", "field"),
    [
        ("not an address", "Help", "Text", "email"),
        ("rita@example.org", "   ", "Text", "subject"),
        ("rita@example.org", "x" * 201, "Text", "subject"),
        ("rita@example.org", "Help", "", "body"),
        ("rita@example.org", "Help", "x" * 20_001, "body"),
    ],
)
def test_a_bad_ticket_is_refused_and_nothing_is_stored(
    platform: Platform,
    open_ticket: OpenTicket,
    outbox: RecordingMailer,
    email: str,
    subject: str,
    body: str,
    field: str,
) -> None:
    with pytest.raises(Problem) as refused:
        open_ticket(email=email, subject=subject, body=body)
    assert refused.value.status == 422 and refused.value.errors[0].field == field
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Ticket)) == 0
        assert db.scalar(select(func.count()).select_from(TicketMessage)) == 0
    assert outbox.sent == []


def test_what_people_write_is_encrypted_at_rest(
    platform: Platform, open_ticket: OpenTicket
) -> None:
    open_ticket(subject="Password for the booth: hunter2", body="My card ends 4242")
    with platform.engine.connect() as connection:
        raw = connection.execute(select(Ticket.__table__.c.subject)).scalar_one()
        body = connection.execute(select(TicketMessage.__table__.c.body)).scalar_one()
    assert "hunter2" not in str(raw) and "4242" not in str(body)


def test_mail_from_an_unproven_address_belongs_to_no_account(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    """Someone who opened an account under another's address, and never proved it, gets
    none of the tickets that person mails."""
    with platform.transaction() as db:
        squatter = User(
            email="rita@example.org",
            name="Not Rita",
            password_hash="-",
            created_at=desk_clock.now(),
        )
        db.add(squatter)
    ticket = load(platform, open_ticket())
    assert ticket.requester_user_id is None and ticket.requester_name == "Rita Ruiz"
