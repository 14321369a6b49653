"""The SMTP client against a real local SMTP server (aiosmtpd), and the outbox folder."""

from __future__ import annotations

import socket
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from interpreta.config import Settings
from interpreta.mail import Mail, OutboxMailer, SmtpMailer, mailer_for


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


def test_smtp_mailer_delivers_to_a_real_server() -> None:
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        mailer = SmtpMailer("127.0.0.1", controller.port, "privacy@interpreta.example")
        mailer.send(Mail("ann@example.org", "Confirm", "Open https://x/confirm?token=abc"))
    finally:
        controller.stop()
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["ann@example.org"]  # type: ignore[attr-defined]
    assert b"token=abc" in envelope.content  # type: ignore[attr-defined]


def test_without_smtp_mails_go_to_the_outbox(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    mailer = mailer_for(settings)
    assert isinstance(mailer, OutboxMailer)
    mailer.send(Mail("ann@example.org", "Hello", "Body"))
    written = list((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 1 and b"ann@example.org" in written[0].read_bytes()
