"""Newsletter benchmark: how fast the queue leaves through a real SMTP server, every mail
DKIM-signed (RSA-2048) with RFC 8058's headers, and what signing costs per mail.

On a fresh SQLite database in a temp folder it subscribes ``--subscribers`` addresses
(double opt-in through the real functions), queues one issue, and sends the queue
through :func:`interpreta.newsletter.dispatch.send_queued` to an aiosmtpd server on
loopback: each mail claimed, signed, sent and deleted in a transaction of its own.
It prints mails per second, the time to queue the issue, and the signing time alone.

    python bench/newsletter.py [--subscribers 2000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from interpreta.clock import SystemClock
from interpreta.config import Settings
from interpreta.datamap.activities import NEWSLETTER
from interpreta.datamap.processors import Processor
from interpreta.mail import Mail, SmtpMailer, dkim_signer_for
from interpreta.newsletter import consent, dispatch, subscriptions
from interpreta.newsletter.subscriptions import Origin
from interpreta.outbound import guard_for
from interpreta.platform import Platform
from interpreta.privacy.processing import processing


class Count:
    """An SMTP handler that counts what arrives."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received += 1
        return "250 OK"


class Drop:
    """A mailer keeping nothing (for subscribing: the confirmation mails)."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def send(self, mail: Mail) -> None:
        self.tokens.append(mail.body.split("?token=")[1].split()[0])

    def forget(self, addresses: set[str]) -> int:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="interpreta-newsletter-bench-"))
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    platform = Platform.start(settings, clock=SystemClock())
    drop = Drop()
    origin = Origin("203.0.113.1", "Firefox 133", "desktop")
    for n in range(args.subscribers):
        with processing(NEWSLETTER), platform.transaction() as db:
            subscriptions.ask(
                db,
                drop,
                settings,
                email=f"s{n}@example.org",
                consent_version=consent.CURRENT,
                origin=origin,
                now=platform.clock.now(),
            )
            subscriptions.confirm(db, drop.tokens[-1], origin=origin, now=platform.clock.now())

    handler = Count()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    relay = Processor(
        name="Bench relay",
        function="email delivery",
        categories=["identifiers", "communications"],
        country="DE",
        hosts=["relay.bench"],
        internal=True,
    )
    guard = guard_for(Settings(processors=[relay], _env_file=None))  # type: ignore[call-arg]
    guard._resolver = lambda host, port: ["127.0.0.1"]
    signer = dkim_signer_for(settings)
    mailer = SmtpMailer("relay.bench", port, settings.smtp_from, guard, signer, starttls=False)

    started = time.perf_counter()
    with platform.transaction() as db:
        issue = dispatch.queue(
            db, subject="News", body="What is new.\n" * 40, now=platform.clock.now()
        )
    queued = time.perf_counter() - started
    started = time.perf_counter()
    run = dispatch.send_queued(
        platform.sessions,
        mailer,
        settings,
        platform.secrets.session_key,
        now=platform.clock.now(),
        limit=args.subscribers,
    )
    elapsed = time.perf_counter() - started
    controller.stop()

    with platform.sessions() as db:
        sample = db.get_one(dispatch.NewsletterSubscriber, 1)
        mail = dispatch.compose(settings, platform.secrets.session_key, issue, sample)
    timings = []
    for _ in range(200):
        t = time.perf_counter()
        signer.sign(mail.as_email(settings.smtp_from))
        timings.append(time.perf_counter() - t)
    platform.close()

    print(f"subscribers:            {args.subscribers}")
    print(f"queue one issue:        {queued * 1000:.1f} ms")
    print(
        f"sent / failed / left:   {run.sent} / {run.failed} / {run.left}, "
        f"received {handler.received}"
    )
    print(
        f"send rate:              {run.sent / elapsed:.0f} mails/s (each signed, own transaction)"
    )
    print(f"DKIM signing alone:     {statistics.median(timings) * 1000:.2f} ms per mail (median)")


if __name__ == "__main__":
    main()
