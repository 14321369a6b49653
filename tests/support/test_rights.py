"""Support records and the people they are about: in the requester's access export,
gone with their erasure (P27, P30), three years after the ticket or the account closes
(P13), and never while a linked incident is open (P14)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from interpreta.clock import FrozenClock
from interpreta.datamap import retention_rules as rules
from interpreta.platform import Platform
from interpreta.support import tickets
from interpreta.support.models import Incident, Ticket, TicketMessage, TicketStatus
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person
from tests.support.conftest import OpenTicket

RITA = Person(0, None, "rita@example.org")


def _counts(platform: Platform) -> tuple[int, int]:
    with platform.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(Ticket)) or 0,
            db.scalar(select(func.count()).select_from(TicketMessage)) or 0,
        )


def _close(platform: Platform, ticket_id: int) -> None:
    with platform.transaction() as db:
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.set_status(db, ticket, TicketStatus.CLOSED, platform.clock.now())


def test_a_ticket_is_exported_to_its_requester_and_erased_with_them(
    platform: Platform, open_ticket: OpenTicket
) -> None:
    open_ticket()
    open_ticket(email="otto@example.org", body="Otto's own problem")
    values, _archive = exported(platform, RITA)
    assert "Listeners hear nothing on German since 09:40." in values
    assert "No sound in the German booth" in values and "Rita Ruiz" in values
    assert "Otto's own problem" not in values

    erased(platform, RITA)
    assert _counts(platform) == (1, 1)
    with platform.sessions() as db:
        assert db.scalars(select(Ticket.requester_email)).all() == ["otto@example.org"]


def test_p13_a_closed_ticket_goes_three_years_later(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    ticket_id = open_ticket()
    still_open = open_ticket(email="otto@example.org")
    engine = platform.retention_engine()
    _close(platform, ticket_id)
    closed_at = desk_clock.now()
    desk_clock.advance(rules.SUPPORT.due(closed_at) - closed_at - timedelta(days=1))
    engine.run(desk_clock.now())
    assert _counts(platform) == (2, 2)
    desk_clock.advance(timedelta(days=2))
    engine.run(desk_clock.now())
    with platform.sessions() as db:
        assert db.scalars(select(Ticket.id)).all() == [still_open]  # an open one stays


def test_p14_a_ticket_is_kept_while_its_incident_is_open(
    platform: Platform, open_ticket: OpenTicket, desk_clock: FrozenClock
) -> None:
    ticket_id = open_ticket()
    now = desk_clock.now()
    with platform.transaction() as db:
        incident = Incident(
            title="German channel silent", description="Relay node lost", opened_at=now
        )
        db.add(incident)
        db.flush()
        ticket = db.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.link_incident(db, ticket, incident, now)
        incident_id = incident.id
    _close(platform, ticket_id)
    engine = platform.retention_engine()
    desk_clock.advance(timedelta(days=4 * 365))
    engine.run(desk_clock.now())
    assert _counts(platform) == (1, 1)  # past P13, but the incident is open

    with platform.transaction() as db:
        found = db.get(Incident, incident_id)
        assert found is not None
        found.resolved_at = desk_clock.now()
    engine.run(desk_clock.now())
    assert _counts(platform) == (0, 0)  # resolved: the ticket's own rule, long run out
