"""The support API: a signed-in person asks for help and reads the answers; support
staff work the queues, answer with canned replies, note, prioritise, assign and link
incidents, each change audited; nobody else, billing staff included, reaches the desk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from tests.conftest import Account, RecordingMailer, make_staff

HELP = {"subject": "Booth console freezes", "body": "Since this morning, on Chromium."}


@pytest.fixture
def desk(platform: Platform, sign_up: Any) -> tuple[Account, Account]:
    """A customer who asks, and a support agent of the operator."""
    rita: Account = sign_up("rita", "Rita Events")
    sam: Account = sign_up("sam", "Operator")
    make_staff(platform, sam, StaffRole.SUPPORT)
    return rita, sam


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_customer_asks_and_support_answers(
    platform: Platform, desk: tuple[Account, Account], outbox: RecordingMailer
) -> None:
    rita, sam = desk
    ticket = _ok(rita.client.post("/api/support/tickets", json=HELP), 201)
    assert ticket["status"] == "new" and ticket["channel"] == "web"
    assert outbox.sent[-1].to == rita.email  # the acknowledgement

    queue = _ok(sam.client.get("/api/staff/tickets"))
    assert [t["reference"] for t in queue] == [ticket["reference"]]
    canned = _ok(
        sam.client.post(
            "/api/staff/canned-replies",
            json={"title": "Reload", "body": "Hello {name}, please reload the console."},
        ),
        201,
    )
    _ok(
        sam.client.post(
            f"/api/staff/tickets/{ticket['id']}/replies",
            json={"body": "Known Chromium issue, see incident.", "internal": True},
        ),
        201,
    )
    answered = _ok(
        sam.client.post(
            f"/api/staff/tickets/{ticket['id']}/replies", json={"canned_reply_id": canned["id"]}
        ),
        201,
    )
    assert answered["status"] == "pending" and answered["first_responded_at"] is not None
    assert outbox.sent[-1].body == "Hello Rita, please reload the console."

    mine = _ok(rita.client.get(f"/api/support/tickets/{ticket['id']}"))
    assert [m["body"] for m in mine["messages"]] == [
        HELP["body"],
        "Hello Rita, please reload the console.",
    ]  # no internal note
    back = _ok(
        rita.client.post(
            f"/api/support/tickets/{ticket['id']}/messages", json={"body": "Works, thanks!"}
        ),
        201,
    )
    assert back["status"] == "open"
    solved = _ok(sam.client.patch(f"/api/staff/tickets/{ticket['id']}", json={"status": "solved"}))
    assert solved["solved_at"] is not None
    assert _ok(rita.client.get("/api/support/tickets"))[0]["status"] == "solved"


def test_the_overdue_queue_priorities_assignment_and_incidents(
    platform: Platform, desk: tuple[Account, Account], clock: FrozenClock
) -> None:
    rita, sam = desk
    first = _ok(rita.client.post("/api/support/tickets", json=HELP), 201)
    second = _ok(rita.client.post("/api/support/tickets", json={**HELP, "priority": "urgent"}), 201)
    clock.advance(timedelta(days=7))
    overdue = _ok(sam.client.get("/api/staff/tickets", params={"view": "overdue"}))
    assert {t["id"] for t in overdue} == {first["id"], second["id"]}
    assert all(t["overdue"] == "first_response" for t in overdue)

    incident = _ok(
        sam.client.post(
            "/api/staff/incidents",
            json={"title": "Console freezes", "description": "Chromium 156 regression"},
        ),
        201,
    )
    changed = _ok(
        sam.client.patch(
            f"/api/staff/tickets/{first['id']}",
            json={"priority": "high", "assignee_id": sam.user_id, "incident_id": incident["id"]},
        )
    )
    assert changed["priority"] == "high"
    mine = _ok(sam.client.get("/api/staff/tickets", params={"view": "mine"}))
    assert [t["id"] for t in mine] == [first["id"]]
    _ok(sam.client.patch(f"/api/staff/tickets/{second['id']}", json={"assignee_id": sam.user_id}))
    _ok(sam.client.patch(f"/api/staff/tickets/{second['id']}", json={"unassign": True}))
    mine = _ok(sam.client.get("/api/staff/tickets", params={"view": "mine"}))
    assert [t["id"] for t in mine] == [first["id"]]  # the second is back in the queue
    listed = _ok(sam.client.get("/api/staff/incidents"))
    assert listed[0]["tickets"] == 1
    resolved = _ok(sam.client.post(f"/api/staff/incidents/{incident['id']}/resolve"))
    assert resolved["resolved_at"] is not None
    assert sam.client.post(f"/api/staff/incidents/{incident['id']}/resolve").status_code == 409
    with platform.sessions() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {"support.incident.open", "support.ticket.change", "support.incident.resolve"} <= actions


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 404), (StaffRole.BILLING, 404), (StaffRole.DPO, 404), (StaffRole.ADMIN, 200)],
)
def test_only_support_staff_reach_the_desk(
    platform: Platform, sign_up: Any, role: StaffRole | None, status: int
) -> None:
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    response = someone.client.get("/api/staff/tickets")
    assert response.status_code == status, response.text


def test_support_staff_never_reach_billing(
    platform: Platform, desk: tuple[Account, Account]
) -> None:
    _rita, sam = desk
    assert sam.client.get("/api/staff/invoices").status_code == 404
    assert sam.client.get("/api/staff/plans").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "", "body": "x"}, "subject"),
        ({"subject": "x" * 201, "body": "x"}, "subject"),
        ({"subject": "Help", "body": ""}, "body"),
        ({"subject": "Help", "body": "x", "priority": "blocker"}, "priority"),
        ({"subject": "Help\x00", "body": "x"}, "subject"),
    ],
)
def test_a_bad_ticket_is_refused(
    desk: tuple[Account, Account], body: dict[str, Any], field: str
) -> None:
    rita, _sam = desk
    refused = rita.client.post("/api/support/tickets", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]]
    assert _ok(rita.client.get("/api/support/tickets")) == []


def test_bad_staff_requests_are_refused(desk: tuple[Account, Account], sign_up: Any) -> None:
    rita, sam = desk
    ticket = _ok(rita.client.post("/api/support/tickets", json=HELP), 201)
    url = f"/api/staff/tickets/{ticket['id']}"
    both = sam.client.post(f"{url}/replies", json={"body": "x", "canned_reply_id": 1})
    assert both.status_code == 422
    neither = sam.client.post(f"{url}/replies", json={})
    assert neither.status_code == 422
    no_canned = sam.client.post(f"{url}/replies", json={"canned_reply_id": 99})
    assert no_canned.status_code == 422
    not_staff = sam.client.patch(url, json={"assignee_id": rita.user_id})
    assert not_staff.status_code == 422
    both_ways = sam.client.patch(url, json={"assignee_id": sam.user_id, "unassign": True})
    assert both_ways.status_code == 422 and both_ways.json()["errors"][0]["field"] == "unassign"
    no_incident = sam.client.patch(url, json={"incident_id": 42})
    assert no_incident.status_code == 422
    assert sam.client.patch(url, json={"status": "new"}).status_code == 422
    assert sam.client.patch(url, json={"status": "closed"}).status_code == 200
    closed = sam.client.post(f"{url}/replies", json={"body": "Late answer"})
    assert closed.status_code == 409
    assert sam.client.get("/api/staff/tickets/999").status_code == 404
    other: Account = sign_up("otto", "Otto Ltd")
    assert other.client.get(f"/api/support/tickets/{ticket['id']}").status_code == 404


def test_an_unproven_address_cannot_open_a_ticket(platform: Platform, sign_up: Any) -> None:
    """Support answers by mail: an account whose address is not proven cannot ask (its
    answers would go to whoever owns the address)."""
    unproven: Account = sign_up("nina", "Nina Ltd", verified=False)
    refused = unproven.client.post("/api/support/tickets", json=HELP)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    lines = unproven.client.post(
        "/api/support/tickets", json={"subject": "Line\nbreak", "body": "x"}
    )
    assert lines.status_code in (403, 422)
