"""Sending mail: a real SMTP client, or an outbox folder in development.

With ``INTERPRETA_SMTP_HOST`` set, :class:`SmtpMailer` delivers through that
server (STARTTLS and login when configured). Without it, :class:`OutboxMailer`
writes each message as an ``.eml`` file into the outbox folder and logs where,
so a developer can follow one-time links. Both sign every message with DKIM
(:class:`DkimSigner`, RFC 6376), so receivers can trust its headers: RFC 8058's
one-click unsubscribe is honoured only when the signature covers
``List-Unsubscribe``. Marketing mail goes through
:func:`interpreta.accounts.marketing.send_marketing`, inside the marketing
activity, which leaves out everyone who objected or is restricted.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Protocol

import dkim
from cryptography.hazmat.primitives import serialization
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.ties import normalise_email
from interpreta.db.after_commit import after_commit
from interpreta.outbound import OutboundGuard, guard_for
from interpreta.secrets_store import DKIM_KEY, dkim_private_key

log = logging.getLogger(__name__)


def deliverable(address: str) -> str | None:
    """`address` in the one form kept (normalised), if it is a single valid address a
    mail can be sent to (no display name, no list, no line break); None otherwise."""
    text = address.strip()
    if not text or len(text) > 320 or any(c in text for c in '\r\n,;<>"() '):
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return normalise_email(text)


MAIL_CATEGORIES = ("identifiers", "communications")
"""What a mail carries to the relay: an address, and a message."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail: an invitation (``text/calendar; method=REQUEST``)..."""

    filename: str
    content_type: str
    """The MIME type, with parameters (``text/calendar; method=CANCEL``)."""
    data: bytes


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient, sent for one processing activity (the
    relay must be a processor registered for it, P07), with any extra headers
    (``List-Unsubscribe``...) and attachments."""

    to: str
    subject: str
    body: str
    activity: str
    categories: tuple[str, ...] = MAIL_CATEGORIES
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def header(self, name: str) -> str | None:
        """The value of the extra header `name` (case-insensitive), if the mail has one."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def as_email(self, sender: str) -> EmailMessage:
        """The message in RFC 5322 form (unsigned)."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Message-ID"] = f"<{uuid.uuid4().hex}@interpreta>"
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.body)
        for attachment in self.attachments:
            maintype, _, rest = attachment.content_type.partition("/")
            subtype, *parameters = (part.strip() for part in rest.split(";"))
            params = dict(p.split("=", 1) for p in parameters if "=" in p)
            message.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                params=params,
            )
        return message


SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
"""The headers a signature covers when present (RFC 8058 section 4 asks for both
``List-Unsubscribe`` headers)."""


@dataclass(frozen=True)
class DkimSigner:
    """Signs messages for `domain` under `selector` with an RSA key (rsa-sha256,
    relaxed/relaxed canonicalisation)."""

    domain: str
    selector: str
    private_key: bytes = field(repr=False)
    """PEM."""

    def sign(self, message: EmailMessage) -> bytes:
        """The message as bytes, a ``DKIM-Signature`` header first."""
        raw = wire_bytes(message)
        present = {name.lower().encode() for name in message}
        signature = dkim.sign(
            raw,
            self.selector.encode(),
            self.domain.encode(),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if h in present],
        )
        return signature + raw

    def dns_record(self) -> tuple[str, str]:
        """The TXT record receivers look the public key up in: its name and value."""
        key = serialization.load_pem_private_key(self.private_key, password=None)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        value = "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()
        return f"{self.selector}._domainkey.{self.domain}", value


def dkim_signer_for(settings: Settings) -> DkimSigner:
    """The signer the settings ask for: the key file, else the data directory's own key
    (made on first use); the domain, else that of the sender address."""
    path = settings.dkim_key_file or settings.data_dir / "secrets" / DKIM_KEY
    domain = settings.dkim_domain or settings.smtp_from.rpartition("@")[2]
    return DkimSigner(domain, settings.dkim_selector, dkim_private_key(path))


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
    signer: DkimSigner | None = None
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
            client.sendmail(self.sender, [mail.to], signed(mail, self.sender, self.signer))

    def forget(self, addresses: set[str]) -> int:
        """Nothing is kept here: each mail is handed to the relay at once (the relay, a
        registered processor, keeps its queue under its own retention)."""
        return 0


@dataclass
class OutboxMailer:
    """Writes each mail into a folder (development); logs the file's path."""

    folder: Path
    sender: str
    signer: DkimSigner | None = None

    def send(self, mail: Mail) -> None:
        """Write `mail` as an ``.eml`` file, signed as it would be sent."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(signed(mail, self.sender, self.signer))
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


def wire_bytes(message: EmailMessage) -> bytes:
    """`message` as SMTP carries it: CRLF line ends (what a signature is computed over)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def signed(mail: Mail, sender: str, signer: DkimSigner | None) -> bytes:
    """`mail` from `sender` as bytes on the wire, signed when there is a signer."""
    message = mail.as_email(sender)
    return signer.sign(message) if signer is not None else wire_bytes(message)


def send_after_commit(db: Session, mailer: Mailer, mail: Mail) -> None:
    """Send `mail` once `db`'s transaction has committed (never for one rolled back); a
    failure then is logged, not raised: what was stored stays stored, and the caller's
    answer has gone out already."""

    def send() -> None:
        try:
            mailer.send(mail)
        except Exception:
            log.exception("mail %r could not be sent", mail.subject)

    after_commit(db, send)


def mailer_for(settings: Settings) -> Mailer:
    """The mailer the settings ask for; its mail is DKIM-signed."""
    signer = dkim_signer_for(settings)
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            guard_for(settings),
            signer,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_starttls,
        )
    outbox = settings.outbox_dir or settings.data_dir / "outbox"
    return OutboxMailer(outbox, settings.smtp_from, signer)
