"""The SMTP intake: mail to the support desk's address becomes tickets.

An aiosmtpd server (``INTERPRETA_SUPPORT_SMTP_PORT``; the operator's mail exchanger
forwards the desk's mail to it) accepts mail for the desk's address only, reads the
plain-text body (or the HTML one as text) without the quoted history of a reply, and
hands it to :func:`~interpreta.support.tickets.receive_mail`, which continues the ticket
it refers to or opens one. Automatic mail (out-of-office replies, bounces) is accepted
and dropped, so two auto-responders never write to each other for ever. A mail that
cannot become a ticket is refused with a 550 and the reason, so its sender learns it.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.ties import normalise_email
from interpreta.errors import Problem
from interpreta.mail import Mailer
from interpreta.support.tickets import receive_mail

__all__ = ["MAX_MAIL_BYTES", "SupportIntake", "plain_text", "without_quote"]

log = logging.getLogger(__name__)

MAX_MAIL_BYTES = 10 * 1024 * 1024
"""The largest mail the intake takes (attachments included)."""
_QUOTE_HEADER = re.compile(
    r"^\s*(On .+ wrote:|Am .+ schrieb .+:|Le .+ a écrit ?:|El .+ escribió:|Il .+ ha scritto:)\s*$"
)
_TAGS = re.compile(r"<[^>]+>")


def without_quote(text: str) -> str:
    """`text` without the quoted message a reply carries below it ("On ... wrote:" and
    the lines beginning with ">")."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def plain_text(message: EmailMessage) -> str:
    """The mail's text: its plain-text part, else its HTML part without the markup."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = str(part.get_content())
    if part.get_content_type() == "text/html":
        content = html.unescape(_TAGS.sub("", re.sub(r"(?i)<br\s*/?>|</p>", "\n", content)))
    return content


class SupportIntake:
    """The aiosmtpd handler of the desk's address (and its server, once started)."""

    def __init__(
        self,
        settings: Settings,
        transaction: Callable[[], AbstractContextManager[Session]],
        mailer: Callable[[], Mailer],
        now: Callable[[], datetime],
    ) -> None:
        """`transaction` opens a committing session; `mailer` gives the platform's mailer
        as it is when a mail arrives; `now` is the platform's clock."""
        self.settings = settings
        self.transaction = transaction
        self.mailer = mailer
        self.now = now
        self.controller: Controller | None = None

    def start(self, port: int | None = None) -> int:
        """Listen on the configured host and port (or `port`); the port listened on."""
        listen = port if port is not None else self.settings.support_smtp_port
        if listen is None:
            raise ValueError("the SMTP intake needs a port")
        self.controller = Controller(
            self,
            hostname=self.settings.support_smtp_host,
            port=listen,
            data_size_limit=MAX_MAIL_BYTES,
        )
        self.controller.start()
        return listen

    def stop(self) -> None:
        """Stop listening."""
        if self.controller is not None:
            with contextlib.suppress(Exception):
                self.controller.stop()
            self.controller = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        """Take mail for the desk's address only."""
        if normalise_email(address) != normalise_email(self.settings.support_email):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Turn the mail into a ticket, or a message on one."""
        message = BytesParser(policy=policy.default).parsebytes(bytes(envelope.content))
        assert isinstance(message, EmailMessage)
        if _automatic(message, envelope.mail_from):
            log.info("support intake: dropped an automatic mail")
            return "250 OK (automatic mail, not filed)"
        name, sender = parseaddr(str(message.get("From", "")))
        body = without_quote(plain_text(message))
        try:
            with self.transaction() as db:
                ticket = receive_mail(
                    db,
                    self.settings,
                    self.mailer(),
                    sender=sender or envelope.mail_from,
                    sender_name=name or None,
                    subject=" ".join(str(message.get("Subject", "")).split())[:200],
                    body=body,
                    message_id=_header(message, "Message-ID"),
                    in_reply_to=_header(message, "In-Reply-To"),
                    now=self.now(),
                )
                reference = ticket.reference
        except Problem as problem:
            return f"550 5.6.0 {problem.detail or problem.title}"
        return f"250 OK: ticket {reference}"


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value).strip()[:250] or None


def _automatic(message: EmailMessage, mail_from: str | None) -> bool:
    """Bounces (empty return path) and auto-replies (RFC 3834), which must not be
    answered."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        not mail_from
        or submitted != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or message.get("X-Autoreply") is not None
    )
