"""Sending mail: a real SMTP client, or an outbox folder in development.

With ``INTERPRETA_SMTP_HOST`` set, :class:`SmtpMailer` delivers through that
server (STARTTLS and login when configured). Without it, :class:`OutboxMailer`
writes each message as an ``.eml`` file into the outbox folder and logs where,
so a developer can follow one-time links. Marketing mail goes through
:func:`interpreta.accounts.marketing.send_marketing`, inside the marketing
activity, which leaves out everyone who objected or is restricted.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Protocol

from interpreta.config import Settings
from interpreta.datamap.ties import normalise_email
from interpreta.outbound import OutboundGuard, guard_for

log = logging.getLogger(__name__)


MAIL_CATEGORIES = ("identifiers", "communications")
"""What a mail carries to the relay: an address, and a message."""


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient, sent for one processing activity (the
    relay must be a processor registered for it, P07)."""

    to: str
    subject: str
    body: str
    activity: str
    categories: tuple[str, ...] = MAIL_CATEGORIES

    def as_email(self, sender: str) -> EmailMessage:
        """The message in RFC 5322 form."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Message-ID"] = f"<{uuid.uuid4().hex}@interpreta>"
        message.set_content(self.body)
        return message


class Mailer(Protocol):
    """Anything that can send a :class:`Mail`."""

    def send(self, mail: Mail) -> None:
        """Send `mail`, or raise."""
        ...

    def forget(self, addresses: set[str]) -> int:
        """Delete any mail still kept for `addresses` (after their erasure); how many."""
        ...


@dataclass
class SmtpMailer:
    """Delivers through an SMTP relay, which the outbound guard must approve for each
    mail's activity and categories (a registered processor, P07)."""

    host: str
    port: int
    sender: str
    guard: OutboundGuard
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 10.0
    tls_context: ssl.SSLContext | None = None
    """How the relay's certificate is checked (default: the system's trusted roots)."""

    def send(self, mail: Mail) -> None:
        """Deliver `mail` in one SMTP session, to the address the guard vetted."""
        approved = self.guard.smtp_destination(mail.activity, mail.categories, self.host, self.port)
        with smtplib.SMTP(timeout=self.timeout) as client:
            client.connect(approved.address, self.port)
            # connect() remembers the vetted address; STARTTLS must name the relay
            client._host = self.host  # type: ignore[attr-defined]
            if self.starttls:  # the certificate must name the relay
                client.starttls(context=self.tls_context or ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(mail.as_email(self.sender))

    def forget(self, addresses: set[str]) -> int:
        """Nothing is kept here: each mail is handed to the relay at once (the relay, a
        registered processor, keeps its queue under its own retention)."""
        return 0


@dataclass
class OutboxMailer:
    """Writes each mail into a folder (development); logs the file's path."""

    folder: Path
    sender: str

    def send(self, mail: Mail) -> None:
        """Write `mail` as an ``.eml`` file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(mail.as_email(self.sender)))
        log.warning("mail %r written to %s (no SMTP server configured)", mail.subject, path)

    def forget(self, addresses: set[str]) -> int:
        """Delete the outbox files addressed to any of `addresses` (compared normalised)."""
        wanted = {normalise_email(a) for a in addresses}
        deleted = 0
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            with open(path, "rb") as handle:
                message = BytesParser(policy=default).parse(handle, headersonly=True)
            if normalise_email(str(message.get("To", ""))) in wanted:
                path.unlink()
                deleted += 1
        return deleted


def mailer_for(settings: Settings) -> Mailer:
    """The mailer the settings ask for."""
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            guard_for(settings),
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
        )
    return OutboxMailer(settings.outbox_dir or settings.data_dir / "outbox", settings.smtp_from)
