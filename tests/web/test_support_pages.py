"""Asking for help in the browser: a signed-in person opens a ticket from the web form,
reads support's answer (never an internal note) and writes back; a refused form keeps
what was typed and writes nothing; another's ticket is the ordinary 404."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.platform import Platform
from interpreta.support.models import Channel, Ticket, TicketMessage
from tests.conftest import Account, RecordingMailer, make_staff
from tests.web.conftest import form_error, row_count


@pytest.fixture
def people(platform: Platform, sign_up: Any) -> tuple[Account, Account]:
    """Rita, a customer with a proven address, and Sam of support."""
    rita: Account = sign_up("rita", "Rita Events")
    sam: Account = sign_up("sam", "Operator")
    make_staff(platform, sam, StaffRole.SUPPORT)
    return rita, sam


def _counts(platform: Platform) -> tuple[int, int]:
    return row_count(platform, Ticket), row_count(platform, TicketMessage)


def test_a_ticket_opened_answered_and_continued_in_the_browser(
    platform: Platform, people: tuple[Account, Account], outbox: RecordingMailer
) -> None:
    rita, sam = people
    empty = rita.client.get("/support")
    assert empty.status_code == 200 and "You have not asked for help yet." in empty.text
    assert 'href="/support" aria-current="page"' in empty.text
    opened = rita.client.post(
        "/support",
        data={
            "subject": "No sound in the German booth",
            "body": "Since 09:10.",
            "priority": "high",
        },
        follow_redirects=True,
    )
    assert opened.status_code == 200, opened.text[:500]
    assert (
        "Support has your request" in opened.text and "No sound in the German booth" in opened.text
    )
    with platform.sessions() as db:
        ticket = db.scalars(select(Ticket)).one()
        assert ticket.channel is Channel.WEB and ticket.requester_user_id == rita.user_id
        ticket_id, reference = ticket.id, ticket.reference
    assert reference in rita.client.get("/support").text

    staff = f"/api/staff/tickets/{ticket_id}/replies"
    assert sam.client.post(staff, json={"body": "Only for us", "internal": True}).status_code == 201
    assert sam.client.post(staff, json={"body": "Please reload the console."}).status_code == 201
    page = rita.client.get(f"/support/tickets/{ticket_id}")
    assert "Please reload the console." in page.text and "Only for us" not in page.text
    assert outbox.sent[-1].to == rita.email

    sent = rita.client.post(
        f"/support/tickets/{ticket_id}/messages",
        data={"body": "Reloaded <b>twice</b>, still silent."},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "Your message is with support." in sent.text
    assert html.escape("Reloaded <b>twice</b>, still silent.", quote=False) in sent.text
    mine = rita.client.get(f"/api/support/tickets/{ticket_id}").json()["messages"]
    assert [m["body"] for m in mine][-1] == "Reloaded <b>twice</b>, still silent."


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"subject": "", "body": "Help"}, "subject: String should have at least 1 character"),
        ({"subject": "two\nlines", "body": "Help"}, "subject: Write it on one line."),
        ({"subject": "Help", "body": ""}, "body: String should have at least 1 character"),
        ({"subject": "Help", "body": "x", "priority": "now"}, "priority: Input should be"),
        ({"subject": "Help", "body": "x" * 30_000}, "body: String should have at most"),
    ],
)
def test_a_refused_request_keeps_what_was_typed_and_writes_nothing(
    platform: Platform, people: tuple[Account, Account], form: dict[str, str], message: str
) -> None:
    rita, _sam = people
    before = _counts(platform)
    refused = rita.client.post("/support", data=form)
    assert refused.status_code == 422, refused.text[:500]
    assert message in form_error(refused.text)
    if form["body"] and len(form["body"]) < 100:
        assert f">{form['body']}</textarea>" in refused.text
    assert _counts(platform) == before


def test_another_s_ticket_is_not_found_and_a_closed_one_takes_no_message(
    platform: Platform, people: tuple[Account, Account], sign_up: Any
) -> None:
    rita, sam = people
    opened = rita.client.post("/api/support/tickets", json={"subject": "Help", "body": "Please"})
    ticket_id = opened.json()["id"]
    otto: Account = sign_up("otto", "Otto Ltd")
    before = _counts(platform)
    assert otto.client.get(f"/support/tickets/{ticket_id}").status_code == 404
    written = otto.client.post(f"/support/tickets/{ticket_id}/messages", data={"body": "Mine"})
    assert written.status_code == 404 and "This page does not exist." in written.text
    assert rita.client.get("/support/tickets/999999").status_code == 404
    assert _counts(platform) == before

    closing = sam.client.patch(f"/api/staff/tickets/{ticket_id}", json={"status": "closed"})
    assert closing.status_code == 200
    page = rita.client.get(f"/support/tickets/{ticket_id}")
    assert "This request is closed." in page.text and "/messages" not in page.text
    late = rita.client.post(f"/support/tickets/{ticket_id}/messages", data={"body": "One more"})
    assert late.status_code == 409 and ">One more</textarea>" not in late.text
    assert _counts(platform) == before


def test_signed_out_people_are_sent_to_sign_in_and_unproven_ones_to_prove_their_address(
    platform: Platform, app_client: Any, sign_up: Any
) -> None:
    for path in ("/support", "/support/tickets/1"):
        away = app_client.get(path, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
    assert app_client.post("/support", data={"subject": "x", "body": "y"}).status_code in (303, 200)
    assert row_count(platform, Ticket) == 0
    uma: Account = sign_up("uma", "Uma Events", verified=False)
    page = uma.client.get("/support")
    assert "prove your email address" in page.text and 'action="/support"' not in page.text
    refused = uma.client.post("/support", data={"subject": "Help", "body": "Please"})
    assert refused.status_code == 403 and "Prove your email address first" in refused.text
    assert row_count(platform, Ticket) == 0
