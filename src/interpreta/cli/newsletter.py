"""``interpreta newsletter``: queue an issue, send the queue, count the subscribers;
``interpreta newsletter dkim-record``: the DNS record receivers check signatures with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from interpreta.cli.common import (
    DataDirOption,
    console,
    fail,
    load_settings,
    runs_in_activity,
    start_platform,
)
from interpreta.datamap.activities import NEWSLETTER
from interpreta.mail import dkim_signer_for
from interpreta.newsletter import dispatch
from interpreta.newsletter.models import NewsletterDelivery, NewsletterSubscriber

app = typer.Typer(
    help="The newsletter (P06): queue, send, count.", callback=runs_in_activity(NEWSLETTER)
)

MAX_BODY = 200_000
"""The longest newsletter text accepted, in characters."""


@app.command("queue")
def queue(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option(help="The subject line.")],
    body_file: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="The text, UTF-8 plain text.")
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Queue an issue for everyone subscribed now; the server sends it within a minute
    (or run ``interpreta newsletter send``)."""
    subject = subject.strip()
    if not subject or len(subject) > 200 or any(c in subject for c in "\r\n"):
        fail("the subject must be one line of 1 to 200 characters")
    try:
        body = body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{body_file} is not UTF-8 text")
    if not body.strip() or len(body) > MAX_BODY:
        fail(f"the text must not be empty nor longer than {MAX_BODY} characters")
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.transaction() as db:
            issue = dispatch.queue(db, subject=subject, body=body, now=platform.clock.now())
            console.print(f"issue {issue.id} queued for {issue.recipients} subscriber(s)")
    finally:
        platform.close()


@app.command("send")
def send(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Send what is queued now; exit 1 when a mail failed (it is tried again later)."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        run = dispatch.send_queued(
            platform.sessions,
            platform.mailer,
            platform.settings,
            platform.secrets.session_key,
            now=platform.clock.now(),
        )
    finally:
        platform.close()
    console.print(f"{run.sent} sent, {run.failed} failed, {run.left} left in the queue")
    if run.failed:
        raise typer.Exit(1)


@app.command("status")
def status(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """How many people are subscribed, and how many mails wait in the queue."""
    platform = start_platform(ctx, load_settings(data_dir))
    try:
        with platform.sessions() as db:
            subscribers = db.scalar(select(func.count()).select_from(NewsletterSubscriber))
            queued = db.scalar(select(func.count()).select_from(NewsletterDelivery))
    finally:
        platform.close()
    console.print(f"{subscribers} subscriber(s), {queued} mail(s) queued")


@app.command("dkim-record")
def dkim_record(data_dir: DataDirOption = None) -> None:
    """Print the DKIM TXT record to publish in DNS (the key is made on first use)."""
    name, value = dkim_signer_for(load_settings(data_dir)).dns_record()
    console.print(f'{name}. IN TXT "{value}"', highlight=False, soft_wrap=True)
