"""The SMTP client against a real local SMTP server (aiosmtpd), and the outbox folder."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import dkim
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from interpreta.config import Settings
from interpreta.datamap.activities import MARKETING, PRIVACY_REQUESTS
from interpreta.datamap.processors import Processor
from interpreta.mail import Mail, OutboxMailer, SmtpMailer, dkim_signer_for, mailer_for
from interpreta.outbound import OutboundRefused, guard_for
from tests.certificates import self_signed


class Keep(Sink):
    """Keeps every envelope received."""

    def __init__(self) -> None:
        self.envelopes: list[object] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


RELAY = Processor(
    name="Local relay",
    function="email delivery",
    categories=["identifiers", "communications"],
    country="DE",
    hosts=["relay.test"],
    internal=True,
    activities=[PRIVACY_REQUESTS.key],
)


def _mailer(port: int, *processors: Processor, tls: ssl.SSLContext | None = None) -> SmtpMailer:
    """A mailer for `relay.test` (resolved to loopback by the guard's resolver)."""
    settings = Settings(processors=list(processors), _env_file=None)  # type: ignore[call-arg]
    guard = guard_for(settings)
    guard._resolver = lambda host, port: ["127.0.0.1"]
    return SmtpMailer(
        "relay.test",
        port,
        "privacy@interpreta.example",
        guard,
        starttls=tls is not None,
        tls_context=tls,
    )


@pytest.fixture
def relay_tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A certificate for relay.test: the relay's server context and a client context
    trusting it alone."""
    cert, private = self_signed(tmp_path, "relay.test")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, private)
    return server, ssl.create_default_context(cafile=str(cert))


def _confirmation(activity: str = PRIVACY_REQUESTS.key) -> Mail:
    return Mail("ann@example.org", "Confirm", "Open https://x/confirm?token=abc", activity)


def test_p21_smtp_mailer_delivers_over_starttls_through_the_guard(
    relay_tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server, client = relay_tls
    handler = Keep()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=server,
        require_starttls=True,
    )
    controller.start()
    try:
        _mailer(controller.port, RELAY, tls=client).send(_confirmation())
        untrusted = ssl.create_default_context()  # the system roots do not know relay.test
        with pytest.raises(ssl.SSLCertVerificationError):
            _mailer(controller.port, RELAY, tls=untrusted).send(_confirmation())
    finally:
        controller.stop()
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["ann@example.org"]  # type: ignore[attr-defined]
    assert b"token=abc" in envelope.content  # type: ignore[attr-defined]


def test_p07_no_mail_leaves_for_a_relay_that_is_not_a_registered_processor() -> None:
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with pytest.raises(OutboundRefused, match="not a registered processor"):
            _mailer(controller.port).send(_confirmation())  # no processor registered
        with pytest.raises(OutboundRefused, match="does not serve this activity"):
            _mailer(controller.port, RELAY).send(_confirmation(MARKETING.key))
        narrow = RELAY.model_copy(update={"categories": ["identifiers"]})
        with pytest.raises(OutboundRefused, match="communications not declared"):
            _mailer(controller.port, narrow).send(_confirmation())
        public = RELAY.model_copy(update={"internal": False})
        with pytest.raises(OutboundRefused, match="non-public address"):
            _mailer(controller.port, public).send(_confirmation())
    finally:
        controller.stop()
    assert handler.envelopes == []


def test_without_smtp_mails_go_to_the_outbox(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    mailer = mailer_for(settings)
    assert isinstance(mailer, OutboxMailer)
    mailer.send(Mail("ann@example.org", "Hello", "Body", PRIVACY_REQUESTS.key))
    written = list((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 1 and b"ann@example.org" in written[0].read_bytes()


def test_every_mail_is_dkim_signed_over_its_unsubscribe_headers(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    signer = dkim_signer_for(settings)
    name, record = signer.dns_record()
    assert name == "interpreta._domainkey.interpreta.example"
    assert record.startswith("v=DKIM1; k=rsa; p=")
    mail = Mail(
        "ann@example.org",
        "News",
        "Hello",
        MARKETING.key,
        headers=(
            ("List-Unsubscribe", "<https://x.example/newsletter/unsubscribe/abc>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )
    mailer = mailer_for(settings)
    mailer.send(mail)
    (written,) = (tmp_path / "outbox").glob("*.eml")
    raw = written.read_bytes()

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record.encode() if name.decode().rstrip(".") == signer.dns_record()[0] else b""

    assert dkim.verify(raw, dnsfunc=dns)
    signature = raw.split(b"\r\n\r\n")[0].decode().replace("\r\n", "").replace("\t", "")
    covered = signature.split(" h=")[1].split(";")[0].replace(" ", "").split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= set(covered)
    tampered = raw.replace(b"unsubscribe/abc", b"unsubscribe/xyz")
    assert not dkim.verify(tampered, dnsfunc=dns)
    assert dkim_signer_for(settings).private_key == signer.private_key  # kept, not remade
