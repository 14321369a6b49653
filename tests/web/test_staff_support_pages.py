"""The support desk's pages: support staff work the queues, answer and note, change a
ticket and keep incidents and canned replies through the forms, each change audited;
nobody else reaches them, and a refused form changes nothing."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.support.models import CannedReply, Incident, TicketMessage
from tests.conftest import Account, RecordingMailer, audit_actions, make_staff
from tests.web.conftest import row_count

HELP = {"subject": "Booth console freezes", "body": "Since this morning, on Chromium."}


@pytest.fixture
def desk(platform: Platform, sign_up: Any) -> tuple[Account, Account, dict[str, Any]]:
    """A customer with a ticket, and a support agent of the operator."""
    rita: Account = sign_up("rita", "Rita Events")
    sam: Account = sign_up("sam", "Operator")
    make_staff(platform, sam, StaffRole.SUPPORT)
    ticket = rita.client.post("/api/support/tickets", json=HELP)
    assert ticket.status_code == 201, ticket.text
    return rita, sam, ticket.json()


def _posted(account: Account, url: str, **form: str) -> Any:
    return account.client.post(url, data=form, follow_redirects=True)


def test_support_answers_a_ticket_from_the_queue(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]], outbox: RecordingMailer
) -> None:
    rita, sam, ticket = desk
    queue = sam.client.get("/staff/support")
    assert queue.status_code == 200 and "Support desk" in queue.text
    assert f'href="/staff/support/tickets/{ticket["id"]}"' in queue.text
    assert ticket["reference"] in queue.text and rita.email in queue.text
    assert 'href="/staff/billing"' not in queue.text  # the navigation shows their desks only

    url = f"/staff/support/tickets/{ticket['id']}"
    page = sam.client.get(url)
    assert page.status_code == 200 and HELP["body"] in page.text

    noted = _posted(sam, f"{url}/replies", body="Known Chromium issue.", internal="true")
    assert noted.status_code == 200 and "Internal note" in noted.text
    assert "Known Chromium issue." in noted.text
    assert all(m.to != rita.email or "Known" not in m.body for m in outbox.sent)

    kept = _posted(sam, "/staff/support/canned-replies", title="Reload", body="Hello {name}!")
    assert kept.status_code == 200 and "Reload" in kept.text
    with platform.sessions() as db:
        canned = db.scalar(select(CannedReply.id))
    answered = _posted(sam, f"{url}/replies", canned_reply_id=str(canned), status="pending")
    assert answered.status_code == 200 and "Hello Rita!" in answered.text
    assert outbox.sent[-1].to == rita.email and outbox.sent[-1].body == "Hello Rita!"
    mine = rita.client.get(f"/api/support/tickets/{ticket['id']}").json()
    assert mine["status"] == "pending"
    assert [m["body"] for m in mine["messages"]] == [HELP["body"], "Hello Rita!"]

    changed = _posted(sam, url, priority="urgent", assignee_id=str(sam.user_id))
    assert changed.status_code == 200 and "urgent" in changed.text and "to you" in changed.text
    assert ticket["reference"] in sam.client.get("/staff/support?view=mine").text
    assert {
        "support.ticket.note",
        "support.canned.create",
        "support.ticket.reply",
        "support.ticket.change",
    } <= set(audit_actions(platform))


def test_incidents_and_the_overdue_queue(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]], clock: FrozenClock
) -> None:
    _rita, sam, ticket = desk
    assert ticket["reference"] not in sam.client.get("/staff/support?view=overdue").text
    clock.advance(timedelta(days=7))
    overdue = sam.client.get("/staff/support?view=overdue")
    assert ticket["reference"] in overdue.text and "first response" in overdue.text

    opened = _posted(sam, "/staff/support/incidents", title="Freezes", description="Chromium")
    assert opened.status_code == 200 and "Freezes" in opened.text
    with platform.sessions() as db:
        incident = db.scalar(select(Incident.id))
    url = f"/staff/support/tickets/{ticket['id']}"
    linked = _posted(sam, url, incident_id=str(incident))
    assert linked.status_code == 200 and f"#{incident}" in linked.text
    resolved = _posted(sam, f"/staff/support/incidents/{incident}/resolve")
    assert resolved.status_code == 200 and "Resolved" in resolved.text
    again = _posted(sam, f"/staff/support/incidents/{incident}/resolve")
    assert again.status_code == 409 and "resolved already" in again.text
    assert {"support.incident.open", "support.incident.resolve"} <= set(audit_actions(platform))


@pytest.mark.parametrize("role", [None, StaffRole.BILLING, StaffRole.SALES, StaffRole.DPO])
def test_only_support_staff_reach_the_pages(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    sign_up: Any,
    role: StaffRole | None,
) -> None:
    _rita, _sam, ticket = desk
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    url = f"/staff/support/tickets/{ticket['id']}"
    for path in ("/staff/support", url):
        refused = someone.client.get(path)
        assert refused.status_code == 404 and "This page does not exist." in refused.text
    before = row_count(platform, TicketMessage), audit_actions(platform)
    for path, form in (
        (f"{url}/replies", {"body": "hello"}),
        (url, {"priority": "urgent"}),
        ("/staff/support/canned-replies", {"title": "x", "body": "y"}),
        ("/staff/support/incidents", {"title": "x", "description": "y"}),
    ):
        assert someone.client.post(path, data=form).status_code == 404
    assert (row_count(platform, TicketMessage), audit_actions(platform)) == before
    assert someone.client.get("/staff", follow_redirects=False).status_code == (
        404 if role is None else 303
    )


@pytest.mark.parametrize(
    ("path", "form", "status", "message"),
    [
        ("/replies", {}, 422, "Write a reply or choose a canned one"),
        ("/replies", {"body": "x", "canned_reply_id": "1"}, 422, "not both"),
        ("/replies", {"canned_reply_id": "abc"}, 422, "canned_reply_id"),
        ("/replies", {"canned_reply_id": "999"}, 422, "No such canned reply."),
        ("/replies", {"body": "x", "status": "gone"}, 422, "status"),
        ("/replies", {"body": "x" * 30_000}, 422, "body"),
        ("", {"priority": "blocker"}, 422, "priority"),
        ("", {}, 422, "Change at least one thing."),
        ("", {"status": "", "priority": "", "incident_id": ""}, 422, "Change at least one thing."),
        ("", {"incident_id": "999"}, 422, "No such incident."),
    ],
)
def test_a_refused_form_shows_why_and_changes_nothing(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    path: str,
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    _rita, sam, ticket = desk
    before = row_count(platform, TicketMessage), audit_actions(platform)
    refused = sam.client.post(f"/staff/support/tickets/{ticket['id']}{path}", data=form)
    assert refused.status_code == status, refused.text[:500]
    assert "form-error" in refused.text and message in refused.text
    assert (row_count(platform, TicketMessage), audit_actions(platform)) == before


def test_a_ticket_is_given_to_another_agent_of_support(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    sign_up: Any,
) -> None:
    rita, sam, ticket = desk
    tess: Account = sign_up("tess", "Operator")
    make_staff(platform, tess, StaffRole.SUPPORT)
    bill: Account = sign_up("bill", "Operator")
    make_staff(platform, bill, StaffRole.BILLING)
    url = f"/staff/support/tickets/{ticket['id']}"
    page = sam.client.get(url)
    assert "to nobody" in page.text
    assert f'<option value="{tess.user_id}">Tess' in page.text
    assert f'<option value="{sam.user_id}">me</option>' in page.text
    assert f'value="{bill.user_id}"' not in page.text and f'value="{rita.user_id}"' not in page.text

    given = _posted(sam, url, assignee_id=str(tess.user_id))
    assert given.status_code == 200 and "to Tess" in given.text
    assert ticket["reference"] in tess.client.get("/staff/support?view=mine").text
    assert ticket["reference"] not in sam.client.get("/staff/support?view=mine").text
    assert "to you" in tess.client.get(url).text
    back = _posted(tess, url, assignee_id="none")
    assert back.status_code == 200 and "to nobody" in back.text
    assert ticket["reference"] not in tess.client.get("/staff/support?view=mine").text
    before = audit_actions(platform)
    for someone in (bill, rita):
        refused = sam.client.post(url, data={"assignee_id": str(someone.user_id)})
        assert refused.status_code == 422 and "Assign the ticket to support staff." in refused.text
    assert audit_actions(platform) == before


def test_a_refused_form_keeps_what_was_typed(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]]
) -> None:
    _rita, sam, ticket = desk
    reply = "A long answer <with> the steps & a link, typed once."
    refused = sam.client.post(
        f"/staff/support/tickets/{ticket['id']}/replies",
        data={"body": reply, "status": "gone"},
    )
    assert refused.status_code == 422 and "form-error" in refused.text
    assert f">{html.escape(reply, quote=False)}</textarea>" in refused.text
    _posted(sam, "/staff/support/canned-replies", title="Reload", body="Hi")
    twice = _posted(sam, "/staff/support/canned-replies", title="Reload", body="Hello again")
    assert twice.status_code == 409 and ">Hello again</textarea>" in twice.text
    blank = _posted(sam, "/staff/support/incidents", title=" ", description="Booths drop out")
    assert blank.status_code == 422 and ">Booths drop out</textarea>" in blank.text
    assert row_count(platform, TicketMessage) == 1 and row_count(platform, Incident) == 0


def test_the_desk_refuses_what_it_cannot_do(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]]
) -> None:
    _rita, sam, ticket = desk
    assert sam.client.get("/staff/support/tickets/999").status_code == 404
    assert (
        sam.client.post("/staff/support/tickets/999/replies", data={"body": "x"}).status_code == 404
    )
    kept = _posted(sam, "/staff/support/canned-replies", title="Reload", body="Hi")
    assert kept.status_code == 200
    twice = _posted(sam, "/staff/support/canned-replies", title="Reload", body="Hi")
    assert twice.status_code == 409 and "A canned reply has that title." in twice.text
    blank = _posted(sam, "/staff/support/incidents", title="", description="x")
    assert blank.status_code == 422 and "title" in blank.text
    spaces = _posted(sam, "/staff/support/incidents", title="\t", description="\n")
    assert spaces.status_code == 422 and "This field cannot be empty." in spaces.text
    unusable = _posted(sam, "/staff/support/canned-replies", title=" ", body=" ")
    assert unusable.status_code == 422 and "This field cannot be empty." in unusable.text
    assert row_count(platform, CannedReply) == 1 and row_count(platform, Incident) == 0
    closed = _posted(sam, f"/staff/support/tickets/{ticket['id']}", status="closed")
    assert closed.status_code == 200
    assert 'action="/staff/support/tickets/' not in closed.text  # no forms on a closed ticket
    refused = _posted(sam, f"/staff/support/tickets/{ticket['id']}", priority="low")
    assert refused.status_code == 409 and "This ticket is closed." in refused.text
