"""The ASGI application: the REST API, the pages and the static files."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interpreta import __version__
from interpreta.api import auth, events, join, organisations, privacy_requests, problems
from interpreta.errors import Problem
from interpreta.live import signaling
from interpreta.live.hub import LiveHub
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.plane import MediaPlane
from interpreta.platform import Platform
from interpreta.privacy.retention import RetentionBusy
from interpreta.web import pages, privacy_centre, staff

STATIC = Path(__file__).parent / "web" / "static"
log = logging.getLogger(__name__)


class SecurityHeaders:
    """Headers every response carries (HSTS only when served over TLS).

    Plain ASGI rather than ``BaseHTTPMiddleware``: it runs on every request, and
    the latter costs a task and a stream per request.
    """

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    )
    HSTS = (b"strict-transport-security", b"max-age=31536000")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.HEADERS + ((self.HSTS,) if scope.get("scheme") == "https" else ())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SameOriginWrites:
    """Refuse state-changing requests a browser sends from another site (CSRF).

    The session cookie is SameSite=Lax already; this also covers sibling
    subdomains and older browsers. Requests without an Origin header (not from a
    browser form or script) pass: the cookie is what they would need.
    """

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in self.UNSAFE:
            headers = dict(scope["headers"])
            origin = headers.get(b"origin")
            host = headers.get(b"host", b"")
            if origin is not None and origin.split(b"://", 1)[-1] != host:
                problem = Problem(403, "Forbidden", "Cross-site request refused.")
                response = JSONResponse(
                    problem.body(), status_code=403, media_type="application/problem+json"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def retention_schedule(platform: Platform) -> None:
    """Apply the retention rules every ``retention_interval_minutes`` (first run after one
    interval, so a restart loop cannot hammer the database)."""
    minutes = platform.settings.retention_interval_minutes
    if minutes <= 0:
        return
    engine = platform.retention_engine()
    while True:
        await asyncio.sleep(minutes * 60)
        try:
            report = await asyncio.to_thread(engine.run, platform.clock.now())
            log.info("retention run: %d row(s) disposed of", report.total)
        except RetentionBusy:
            log.info("retention run skipped: another runner holds the lock")
        except Exception:
            log.exception("retention run failed; it will be retried")


def create_app(platform: Platform, media: MediaPlane | None = None) -> FastAPI:
    """The application serving `platform`, with `media` as its media plane.

    Without `media`, the embedded forwarder is used, gathering ICE candidates on
    ``settings.media_host``.
    """
    plane = media or EmbeddedMediaPlane(host_addresses=[platform.settings.media_host])
    hub = LiveHub(platform, plane)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(retention_schedule(platform))
        gc.collect()
        gc.freeze()  # start-up objects never need collecting: shorter GC pauses, better p99
        yield
        sweeper.cancel()
        await hub.shutdown()

    app = FastAPI(
        title="Interpreta",
        version=__version__,
        description="Live multilingual events with remote simultaneous interpretation.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.live_hub = hub
    problems.install(
        app,
        not_found_page=lambda request: pages.not_found_page(
            request, None, "This page does not exist."
        ),
    )
    app.add_middleware(SameOriginWrites)
    app.add_middleware(SecurityHeaders)
    api = (join, auth, organisations, events, signaling, privacy_requests)
    web = (pages, privacy_centre, staff)
    for router in (*(m.router for m in api), *(m.router for m in web)):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
