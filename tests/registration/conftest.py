"""An organiser with an event that takes registrations, and registrants who register
through the form page."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from interpreta.mail import Mail
from tests.conftest import Account, RecordingMailer

NEXT_WEEK = {"starts_at": "2026-12-01T08:00:00+00:00", "ends_at": "2026-12-01T18:00:00+00:00"}
"""A week after the test clock's start: registration is open."""


@dataclass
class Organised:
    """The organiser, their event (a week ahead) and a client for registrants."""

    owner: Account
    event: dict[str, Any]
    visitor: TestClient
    outbox: RecordingMailer

    def settings(self, mode: str, capacity: int | None = None, **body: Any) -> Any:
        """Set how the event takes registrations (through the API)."""
        answer = self.owner.client.put(
            f"/api/events/{self.event['id']}/registration",
            json={"mode": mode, "capacity": capacity, **body},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def register(self, who: str, **answers: str) -> Any:
        """`who`@example.org registers through the form page; the response."""
        form = {"first_name": who.title(), "last_name": "Tester", "email": f"{who}@example.org"}
        return self.visitor.post(f"/register/{self.event['code']}", data={**form, **answers})

    def registrations(self) -> list[Any]:
        """The organisers' list (API)."""
        answer = self.owner.client.get(f"/api/events/{self.event['id']}/registrations")
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def mails_to(self, who: str) -> list[Mail]:
        """Every mail to `who`@example.org, oldest first."""
        return [m for m in self.outbox.sent if m.to == f"{who}@example.org"]

    def ticket(self, who: str) -> str:
        """The ticket of the personal join link last mailed to `who`."""
        for mail in reversed(self.mails_to(who)):
            found = re.search(r"/join/\w+\?ticket=([\w.-]+)", mail.body)
            if found:
                return found.group(1)
        raise AssertionError(f"no join link was mailed to {who}")

    def token(self, who: str, page: str = "/registration") -> str:
        """The token of the personal page link last mailed to `who`."""
        return self.outbox.token(f"{who}@example.org", page)


def calendar_of(mail: Mail) -> Calendar | None:
    """The invitation a mail carries, parsed; None without one."""
    for attachment in mail.attachments:
        if attachment.content_type.startswith("text/calendar"):
            return Calendar.from_ical(attachment.data)
    return None


def parsed(raw: bytes) -> EmailMessage:
    """A received message."""
    message = email.message_from_bytes(raw, policy=email_policy)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def organised(sign_up: Any, app_client: TestClient, outbox: RecordingMailer) -> Organised:
    """Olivia's event next week (no registration yet)."""
    owner: Account = sign_up("olivia")
    event = owner.create_event("Summit", ["de"], **NEXT_WEEK)
    return Organised(owner, event, app_client, outbox)
