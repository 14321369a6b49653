"""The SMTP intake, over real SMTP sessions: a mail opens a ticket, a reply with its
reference continues it, auto-replies are dropped, and wrong mail is refused."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from interpreta.platform import Platform
from interpreta.support.intake import SupportIntake, without_quote
from interpreta.support.models import Channel, Ticket, TicketMessage, TicketStatus
from tests.conftest import RecordingMailer
from tests.support.conftest import load


@pytest.fixture
def intake(platform: Platform, desk_clock: object) -> Iterator[int]:
    """The platform's intake listening on a free loopback port; the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = SupportIntake(
        platform.settings, platform.transaction, lambda: platform.mailer, platform.clock.now
    )
    server.start(port)
    yield port
    server.stop()


def _mail(
    subject: str, body: str, sender: str = "Rita Ruiz <rita@example.org>", **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@interpreta.example"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _send(
    port: int, message: EmailMessage, to: str = "support@interpreta.example"
) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("rita@example.org")
        code, _ = client.rcpt(to)
        if code != 250:
            return code, b""
        return client.data(message.as_bytes())


def _tickets(platform: Platform) -> list[Ticket]:
    with platform.sessions() as db:
        return [load(platform, n) for n in db.scalars(select(Ticket.id).order_by(Ticket.id))]


def test_a_mail_opens_a_ticket_and_a_reply_continues_it(
    platform: Platform, intake: int, outbox: RecordingMailer
) -> None:
    code, answer = _send(
        intake,
        _mail(
            "Recording missing",
            "The Spanish recording of Tuesday is missing.",
            Message_ID="<a1@example.org>",
        ),
    )
    assert code == 250 and b"ticket" in answer
    (ticket,) = _tickets(platform)
    assert (ticket.channel, ticket.requester_email, ticket.requester_name) == (
        Channel.EMAIL,
        "rita@example.org",
        "Rita Ruiz",
    )
    assert ticket.subject == "Recording missing"
    assert outbox.sent[-1].to == "rita@example.org"  # the acknowledgement

    reply = _mail(
        f"Re: We received your request: Recording missing [#{ticket.reference}]",
        "It was the afternoon session.\n\nOn Mon, 7 Dec 2026 the desk wrote:\n> We received it",
    )
    assert _send(intake, reply)[0] == 250
    by_reference = load(platform, ticket.id)
    assert [m.body for m in by_reference.messages][-1] == "It was the afternoon session."

    threaded = _mail("Another thought", "Also the French one.", In_Reply_To="<a1@example.org>")
    assert _send(intake, threaded)[0] == 250
    assert len(_tickets(platform)) == 1
    assert [m.body for m in load(platform, ticket.id).messages][-1] == "Also the French one."


def test_a_reference_from_someone_else_opens_their_own_ticket(
    platform: Platform, intake: int
) -> None:
    _send(intake, _mail("Help", "First"))
    (ticket,) = _tickets(platform)
    stranger = _mail(f"Re: Help [#{ticket.reference}]", "Let me in", sender="eve@example.net")
    assert _send(intake, stranger)[0] == 250
    tickets = _tickets(platform)
    assert len(tickets) == 2 and tickets[1].requester_email == "eve@example.net"
    assert [m.body for m in load(platform, ticket.id).messages] == ["First"]


def test_automatic_mail_is_dropped(
    platform: Platform, intake: int, outbox: RecordingMailer
) -> None:
    out_of_office = _mail("Out of office", "Back Monday", Auto_Submitted="auto-replied")
    assert _send(intake, out_of_office)[0] == 250
    bulk = _mail("Newsletter", "News", Precedence="bulk")
    assert _send(intake, bulk)[0] == 250
    assert _tickets(platform) == [] and outbox.sent == []


def test_wrong_mail_is_refused(platform: Platform, intake: int) -> None:
    assert _send(intake, _mail("Hi", "Text"), to="sales@interpreta.example")[0] == 550
    empty = _mail("Nothing to say", "   ")
    code, answer = _send(intake, empty)
    assert code == 550 and b"empty" in answer.lower()
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(TicketMessage)) == 0


def test_a_closed_ticket_is_not_reopened_by_mail(platform: Platform, intake: int) -> None:
    _send(intake, _mail("Help", "First"))
    (ticket,) = _tickets(platform)
    with platform.transaction() as db:
        found = db.get(Ticket, ticket.id)
        assert found is not None
        found.status = TicketStatus.CLOSED
    _send(intake, _mail(f"Re: Help [#{ticket.reference}]", "Still broken"))
    assert len(_tickets(platform)) == 2


def test_quoted_history_is_left_out() -> None:
    text = "Thanks!\n\nAm 7. Dez. 2026 um 10:00 schrieb Support <s@x>:\n> old"
    assert without_quote(text) == "Thanks!"
    assert without_quote("> only quoted\nnew line") == "new line"


def test_a_mail_delivered_twice_is_filed_once(platform: Platform, intake: int) -> None:
    mail = _mail("Help", "Once", Message_ID="<twice@example.org>")
    assert _send(intake, mail)[0] == 250 and _send(intake, mail)[0] == 250
    (ticket,) = _tickets(platform)
    assert [m.body for m in ticket.messages] == ["Once"]


def test_a_reply_keeping_an_old_reference_reaches_the_newest_ticket(
    platform: Platform, intake: int
) -> None:
    _send(intake, _mail("Help", "First"))
    (old,) = _tickets(platform)
    with platform.transaction() as db:
        found = db.get(Ticket, old.id)
        assert found is not None
        found.status = TicketStatus.CLOSED
    _send(intake, _mail(f"Re: Help [#{old.reference}]", "Still broken"))
    new = _tickets(platform)[1]
    assert old.reference not in new.subject  # the new ticket's subject drops the old one
    _send(intake, _mail(f"Re: Help [#{old.reference}] [#{new.reference}]", "Details"))
    assert len(_tickets(platform)) == 2
    assert [m.body for m in load(platform, new.id).messages][-1] == "Details"
