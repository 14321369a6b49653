"""The support desk as its tests use it: tickets opened on a known clock, mail kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.support import tickets
from interpreta.support.models import Channel, Priority, Ticket

MONDAY_10 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
"""Monday 7 December 2026, 10:00 in Berlin: the desk is open."""

OpenTicket = Callable[..., int]


@pytest.fixture
def desk_clock(clock: FrozenClock) -> FrozenClock:
    """The test's clock, moved to a Monday morning in Berlin."""
    clock.advance(MONDAY_10 - clock.now())
    return clock


@pytest.fixture
def open_ticket(platform: Platform, desk_clock: FrozenClock) -> OpenTicket:
    """Open a ticket by mail from ``email``; its id."""

    def make(
        email: str = "rita@example.org",
        subject: str = "No sound in the German booth",
        body: str = "Listeners hear nothing on German since 09:40.",
        priority: Priority = Priority.NORMAL,
    ) -> int:
        with platform.transaction() as db:
            ticket = tickets.open_ticket(
                db,
                platform.settings,
                platform.mailer,
                email=email,
                name="Rita Ruiz",
                subject=subject,
                body=body,
                channel=Channel.EMAIL,
                now=desk_clock.now(),
                priority=priority,
            )
            return ticket.id

    return make


def load(platform: Platform, ticket_id: int) -> Ticket:
    """Ticket `ticket_id` with its messages, detached."""
    with platform.sessions() as db:
        found = db.get(Ticket, ticket_id)
        assert found is not None
        _ = list(found.messages)
        db.expunge_all()
        return found
