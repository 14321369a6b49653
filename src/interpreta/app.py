"""The ASGI application: the REST API, the pages and the static files."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interpreta import __version__
from interpreta.api import (
    account,
    auth,
    billing,
    calendar,
    consent,
    engagement,
    events,
    glossary,
    health,
    invitations,
    join,
    meeting_files,
    on_air,
    organisations,
    privacy_requests,
    problems,
    recordings,
    registration,
    staff_billing,
    staff_crm,
    staff_disclosures,
    staff_support,
    status,
    support,
    transcripts,
    webhooks,
    whip,
)
from interpreta.billing.vat import EU_STANDARD_RATES
from interpreta.bus import Bus, MemoryBus
from interpreta.bus.redis_backend import RedisBus
from interpreta.calendar_integration.connections import sync_all
from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import LocaleMiddleware
from interpreta.live import signaling
from interpreta.live.hub import LiveHub
from interpreta.live.ingest import RoomFeeds
from interpreta.live.rtmp_ingest import RtmpIngest
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.janus import JanusFleet, JanusMediaPlane
from interpreta.media.plane import MediaPlane
from interpreta.newsletter.dispatch import send_queued
from interpreta.platform import Platform
from interpreta.privacy import audit_publish
from interpreta.privacy.processing import processing
from interpreta.privacy.retention import RetentionBusy
from interpreta.privacy.rights.requests import Rights
from interpreta.registration.letters import Post
from interpreta.registration.schedule import send_due
from interpreta.support import sla
from interpreta.support.intake import SupportIntake
from interpreta.support.tickets import business_hours
from interpreta.web import account as account_pages
from interpreta.web import cookies as cookie_pages
from interpreta.web import newsletter as newsletter_pages
from interpreta.web import organisation_billing as billing_pages
from interpreta.web import pages, privacy_centre, staff, staff_desk
from interpreta.web import registration as registration_pages
from interpreta.web import staff_billing as billing_desk
from interpreta.web import staff_crm as crm_desk
from interpreta.web import staff_disclosures as disclosures_desk
from interpreta.web import staff_support as support_desk
from interpreta.web import status as status_page
from interpreta.web import support as help_pages
from interpreta.webhooks import delivery as webhook_delivery
from interpreta.webhooks.endpoints import TRANSFERS, endpoint_guard
from interpreta.webhooks.models import WebhookEndpoint

STATIC = Path(__file__).parent / "web" / "static"
log = logging.getLogger(__name__)


async def send_problem(problem: Problem, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer from a middleware with `problem`, as the API's handlers would."""
    response = JSONResponse(
        problem.body(instance=scope.get("path")),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=problem.headers or None,
    )
    await response(scope, receive, send)


class SecurityHeaders:
    """Headers every response carries (HSTS only when served over TLS).

    - a strict Content-Security-Policy: scripts, styles and connections from this
      origin only, no inline script (the API documentation pages, which FastAPI
      builds with an inline script from a CDN, get their own, and carry no data);
    - ``Cache-Control: no-store`` on everything but the static files, so no page,
      export or report with personal data stays in a cache;
    - a Permissions-Policy granting the microphone, the camera and screen capture only
      to the live pages that may send them (speaker, interpreter, the organiser's live
      page, and the listener page: in a meeting listeners talk), and location and
      payment to no one.

    A response that sets one of these itself (the HTML report of an access request,
    whose style is inline) keeps its own. Plain ASGI rather than
    ``BaseHTTPMiddleware``: it runs on every request, and the latter costs a task and
    a stream per request.
    """

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    )
    HSTS = (b"strict-transport-security", b"max-age=31536000")
    CSP = (
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        b"form-action 'self'; frame-ancestors 'none'"
    )
    DOCS_CSP = (
        b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
        b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
        b"img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'"
    )
    DOCS = ("/docs", "/redoc")
    NO_STORE = (b"cache-control", b"no-store")
    CACHEABLE = ("/static/",)
    PERMISSIONS = (
        b"camera=(), display-capture=(), geolocation=(), payment=(), usb=(), microphone=()"
    )
    MEDIA_PERMISSIONS = (
        b"camera=(self), display-capture=(self), geolocation=(), payment=(), usb=(), "
        b"microphone=(self)"
    )
    MEDIA_PAGES = re.compile(r"/(speak|interpret|join)/|/events/\d+/live$")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def headers_for(self, scope: Scope) -> tuple[tuple[bytes, bytes], ...]:
        """The headers a response to `scope` gets, unless it sets them itself."""
        path: str = scope.get("path", "")
        csp = self.DOCS_CSP if path.startswith(self.DOCS) else self.CSP
        media = self.MEDIA_PAGES.match(path) is not None
        permissions = self.MEDIA_PERMISSIONS if media else self.PERMISSIONS
        extra = [
            *self.HEADERS,
            (b"content-security-policy", csp),
            (b"permissions-policy", permissions),
        ]
        if not path.startswith(self.CACHEABLE):
            extra.append(self.NO_STORE)
        if scope.get("scheme") == "https":
            extra.append(self.HSTS)
        return tuple(extra)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOriginWrites:
    """Refuse state-changing requests a browser sends from another site (CSRF).

    The session cookie is SameSite=Lax already; this also covers sibling
    subdomains and older browsers. Requests without an Origin header (not from a
    browser form or script) pass: the cookie is what they would need. The WHIP
    resources (``BEARER_ONLY``) read no cookie, only a bearer key, so pages anywhere
    may use them (RFC 9725 asks for CORS).
    """

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    BEARER_ONLY = re.compile(r"/api/live/[^/]+/whip(/[^/]+)?")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        unsafe = scope["type"] == "http" and scope["method"] in self.UNSAFE
        if unsafe and self.BEARER_ONLY.fullmatch(scope["path"]) is None:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            host = headers.get(b"host", b"")
            if origin is not None and origin.split(b"://", 1)[-1] != host:
                problem = Problem(403, gettext("Forbidden"), gettext("Cross-site request refused."))
                await send_problem(problem, scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequireTLS:
    """Where TLS is required (any address but loopback, P21), plain HTTP is refused:
    a GET is redirected to HTTPS, anything else gets 403, and a WebSocket over ws:
    (or opened by a page that was itself loaded over http:) is closed unopened.
    Behind a TLS-terminating proxy, the scheme is the one the proxy reports."""

    SAFE = frozenset({"GET", "HEAD"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            origin = dict(scope["headers"]).get(b"origin", b"")
            if scope.get("scheme") != "wss" or origin.startswith(b"http://"):
                await send({"type": "websocket.close", "code": 4403, "reason": "TLS required"})
                return
        elif scope["type"] == "http" and scope.get("scheme") != "https":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if scope["method"] in self.SAFE and host:
                query = scope.get("query_string", b"").decode("latin-1")
                target = f"https://{host}{scope['path']}" + (f"?{query}" if query else "")
                await RedirectResponse(target, status_code=308)(scope, receive, send)
                return
            problem = Problem(
                403, gettext("HTTPS required"), gettext("This server accepts HTTPS only (P21).")
            )
            await send_problem(problem, scope, receive, send)
            return
        await self.app(scope, receive, send)


SHARED_FILES = re.compile(r"/api/live/[^/]+/files")
"""The path of file shares, whose bodies may be as large as a shared file may."""


class BodyLimit:
    """Refuse a request body larger than `limit` bytes with 413, before reading it all:
    by its Content-Length, or while it streams in when it has none. Paths matching
    `uploads` (shared files) take up to `upload_limit` instead."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        upload_limit: int | None = None,
        uploads: re.Pattern[str] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("the body limit must be positive")
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit or limit
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = self.uploads is not None and self.uploads.fullmatch(scope["path"]) is not None
        limit = self.upload_limit if upload else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = refused = False

        async def counting() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}  # the app stops reading here
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting, watching)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(
            413,
            gettext("Content too large"),
            gettext("Send at most %(limit)s bytes.", limit=self.limit),
        )
        await send_problem(problem, scope, receive, send)


def escalate_stalled(platform: Platform) -> int:
    """Escalate the customer parts of requests that stalled (P34), and try again the
    notices to recipients not yet delivered (Art. 19); how many parts escalated."""
    rights = Rights.of(platform)
    with processing(PRIVACY_REQUESTS), platform.transaction() as db:
        escalated = len(rights.escalate(db, platform.clock.now()))
    rights.retry_notices()
    return escalated


def publish_audit_head(platform: Platform) -> None:
    """Publish the audit trail's signed tree head (see ``interpreta audit publish``)."""
    with platform.sessions() as db:
        audit_publish.publish_with(db, platform.settings, now=platform.clock.now())


async def retention_schedule(platform: Platform) -> None:
    """Apply the retention rules every ``retention_interval_minutes`` (first run after one
    interval, so a restart loop cannot hammer the database), escalate stalled request
    parts to the DPO, retry undelivered notices to recipients, and publish the audit
    trail's signed tree head."""
    minutes = platform.settings.retention_interval_minutes
    if minutes <= 0:
        return
    engine = platform.retention_engine()
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            report = await asyncio.to_thread(engine.run, platform.clock.now())
            log.info("retention run: %d row(s) disposed of", report.total)
            escalated = await asyncio.to_thread(escalate_stalled, platform)
            if escalated:
                log.warning("%d stalled request part(s) escalated to the DPO", escalated)
        except RetentionBusy:
            log.info("retention run skipped: another runner holds the lock")
        except Exception:
            log.exception("retention run failed; it will be retried")
        try:
            await asyncio.to_thread(publish_audit_head, platform)
        except audit_publish.PublishRefused as exc:
            log.critical("audit tree head not published: %s", exc)
        except Exception:
            log.exception("publishing the audit tree head failed; it will be retried")


def check_operator_settings(settings: Settings) -> None:
    """Refuse to start on settings the first invoice or ticket would fail on: the
    support desk's hours, time zone and holidays, and a seller outside the EU's VAT.

    :raises ValueError: what is wrong, and which setting says it.
    """
    try:
        business_hours(settings)
    except ValueError as error:
        raise ValueError(f"INTERPRETA_SUPPORT_HOURS/_TIMEZONE/_COUNTRY: {error}") from error
    if settings.seller.country not in EU_STANDARD_RATES:
        raise ValueError(
            f"INTERPRETA_SELLER: country {settings.seller.country!r} is not an EU member "
            "state; invoices charge EU VAT"
        )


def escalate_tickets(platform: Platform) -> int:
    """Escalate the support tickets past their SLA targets; how many."""
    with platform.transaction() as db:
        return len(sla.escalate(db, platform.settings, platform.mailer, platform.clock.now()))


async def support_schedule(platform: Platform) -> None:
    """Escalate tickets past their SLA targets every ``support_interval_minutes`` (each
    breach once: the support lead is mailed)."""
    minutes = platform.settings.support_interval_minutes
    if minutes <= 0:
        return
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            escalated = await asyncio.to_thread(escalate_tickets, platform)
            if escalated:
                log.warning("%d support ticket(s) escalated past their SLA", escalated)
        except Exception:
            log.exception("support escalation failed; it will be retried")


def send_webhooks(platform: Platform) -> webhook_delivery.Sent:
    """Send the webhook deliveries due now, each through a guard that knows its
    endpoint's host alone."""
    guard = platform.outbound_guard

    def client_for(endpoint: WebhookEndpoint) -> httpx.Client:
        return endpoint_guard(guard, endpoint.id, endpoint.url).http_client(
            TRANSFERS, (), user_supplied=True, timeout=webhook_delivery.TIMEOUT
        )

    return webhook_delivery.send_due(
        platform.transaction, client_for, platform.secrets.session_key, platform.clock.now()
    )


async def webhook_schedule(platform: Platform) -> None:
    """Send due webhook deliveries every ``webhook_interval_seconds``."""
    seconds = platform.settings.webhook_interval_seconds
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        try:
            sent = await asyncio.to_thread(send_webhooks, platform)
            if sent.retried or sent.given_up:
                log.info("webhooks: %s", sent)
        except Exception:
            log.exception("sending webhooks failed; it will be retried")


async def registration_schedule(platform: Platform) -> None:
    """Mail what registrations have come due every ``registration_interval_seconds``:
    updated invitations, reminders, survey links (see ``registration/schedule.py``)."""
    seconds = platform.settings.registration_interval_seconds
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        try:
            post = Post(platform.settings, platform.secrets.session_key, platform.clock.now())
            sent = await asyncio.to_thread(send_due, platform.sessions, platform.mailer, post)
            if sent.updates or sent.reminders or sent.surveys:
                log.info("registration mails: %s", sent)
        except Exception:
            log.exception("registration mails failed; they will be retried")


async def calendar_schedule(platform: Platform) -> None:
    """Publish the organisers' events to their connected calendars and import their
    contacts again every ``calendar_sync_minutes`` (failures are recorded on the
    connection, shown on the account page)."""
    minutes = platform.settings.calendar_sync_minutes
    if minutes <= 0:
        return
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            await asyncio.to_thread(
                sync_all,
                platform.sessions,
                platform.outbound_guard,
                platform.settings,
                now=platform.clock.now(),
            )
        except Exception:
            log.exception("calendar synchronisation failed; it will be retried")


async def newsletter_schedule(platform: Platform) -> None:
    """Send the newsletter's queue every ``newsletter_interval_seconds`` (each mail in a
    transaction of its own; several nodes share the queue without sending twice)."""
    seconds = platform.settings.newsletter_interval_seconds
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        try:
            run = await asyncio.to_thread(
                send_queued,
                platform.sessions,
                platform.mailer,
                platform.settings,
                platform.secrets.session_key,
                now=platform.clock.now(),
            )
            if run.sent or run.failed:
                log.info("newsletter: %d sent, %d failed, %d left", run.sent, run.failed, run.left)
        except Exception:
            log.exception("sending the newsletter's queue failed; it will be retried")


def media_plane(settings: Settings, bus: Bus | None = None) -> MediaPlane:
    """The media plane the settings choose: ``media_backend`` ``embedded`` (the default,
    gathering ICE candidates on ``media_host``) or ``janus`` (the server at ``janus_url``,
    its channels recorded on `bus` for the other nodes driving it).
    """
    if settings.media_backend == "janus":
        urls = settings.janus_urls
        if len(urls) == 1:
            return JanusMediaPlane(
                urls[0],
                admin_url=settings.janus_admin_url,
                admin_secret=settings.janus_admin_secret,
                bus=bus,
                video_codec=settings.video_codec,
            )
        members = [
            JanusMediaPlane(
                url, forward_host=_url_host(url), bus=bus, video_codec=settings.video_codec
            )
            for url in urls
        ]
        return JanusFleet(members, bus=bus)
    return EmbeddedMediaPlane(
        host_addresses=[settings.media_host], video_codec=settings.video_codec
    )


def _url_host(url: str) -> str:
    """The address in a Janus URL (where a fleet member's mountpoints listen)."""
    host = urlsplit(url).hostname
    if host is None:
        raise ValueError(f"no host in {url!r}")
    return host


def live_bus(settings: Settings) -> Bus:
    """What this node shares with the others: Redis at ``redis_url``, else memory."""
    if settings.redis_url is not None:
        return RedisBus(settings.redis_url, settings.node_name)
    return MemoryBus(settings.node_name)


def create_app(
    platform: Platform, media: MediaPlane | None = None, bus: Bus | None = None
) -> FastAPI:
    """The application serving `platform`, with `media` as its media plane and `bus`
    shared with the other nodes.

    Without them, the settings choose (:func:`media_plane`, :func:`live_bus`).
    """
    bus = bus or live_bus(platform.settings)
    plane = media or media_plane(platform.settings, bus)
    embedded = isinstance(plane, EmbeddedMediaPlane)
    taps = [platform.settings.media_host] if embedded else None  # Janus must reach them
    hub = LiveHub(platform, plane, bus, tap_addresses=taps)
    feeds = RoomFeeds(hub)
    rtmp = RtmpIngest(feeds, platform.settings, taps) if platform.settings.rtmp_port else None
    check_operator_settings(platform.settings)
    intake = (
        SupportIntake(
            platform.settings, platform.transaction, lambda: platform.mailer, platform.clock.now
        )
        if platform.settings.support_smtp_port
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if rtmp is not None:
            await rtmp.start()  # nginx, a child process (docs/ingest.md)
        sweeper = asyncio.create_task(retention_schedule(platform))
        letters = asyncio.create_task(newsletter_schedule(platform))
        registrations = asyncio.create_task(registration_schedule(platform))
        calendars = asyncio.create_task(calendar_schedule(platform))
        support = asyncio.create_task(support_schedule(platform))
        hooks = asyncio.create_task(webhook_schedule(platform))
        if intake is not None:
            intake.start()  # its own thread (aiosmtpd's controller)
        # one node (an in-memory bus) has nobody to tell
        unshare = (
            None if isinstance(hub.bus, MemoryBus) else await platform.join_cache.share(hub.bus)
        )
        gc.collect()
        gc.freeze()  # start-up objects never need collecting: shorter GC pauses, better p99
        yield
        sweeper.cancel()
        letters.cancel()
        registrations.cancel()
        calendars.cancel()
        support.cancel()
        hooks.cancel()
        if intake is not None:
            intake.stop()
        if unshare is not None:
            await unshare()
        if rtmp is not None:
            await rtmp.close()
        await feeds.shutdown()
        await hub.shutdown()

    app = FastAPI(
        title="Interpreta",
        version=__version__,
        description="Live multilingual events with remote simultaneous interpretation.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.live_hub = hub
    app.state.room_feeds = feeds
    problems.install(
        app,
        not_found_page=lambda request: pages.not_found_page(
            request, None, "This page does not exist."
        ),
    )
    staff_desk.install(app)
    app.add_middleware(SameOriginWrites)
    app.add_middleware(
        BodyLimit,
        limit=platform.settings.max_body_bytes,
        upload_limit=platform.settings.meeting_file_max_bytes,
        uploads=SHARED_FILES,
    )
    if platform.settings.requires_tls:
        app.add_middleware(RequireTLS)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LocaleMiddleware)
    api = (
        consent,
        join,
        auth,
        account,
        calendar,
        organisations,
        billing,
        webhooks,
        invitations,
        events,
        signaling,
        whip,
        meeting_files,
        recordings,
        transcripts,
        engagement,
        registration,
        glossary,
        on_air,
        privacy_requests,
        support,
        staff_billing,
        staff_crm,
        staff_disclosures,
        staff_support,
        status,
        health,
    )
    web = (
        pages,
        account_pages,
        cookie_pages,
        newsletter_pages,
        registration_pages,
        privacy_centre,
        help_pages,
        billing_pages,
        staff,
        staff_desk,
        support_desk,
        billing_desk,
        crm_desk,
        disclosures_desk,
        status_page,
    )
    for router in (*(m.router for m in api), *(m.router for m in web)):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
