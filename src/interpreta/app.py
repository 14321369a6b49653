"""The ASGI application: the REST API, the pages and the static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interpreta import __version__
from interpreta.api import auth, events, join, organisations, problems
from interpreta.live import signaling
from interpreta.live.hub import LiveHub
from interpreta.media.forwarder import EmbeddedMediaPlane
from interpreta.media.plane import MediaPlane
from interpreta.platform import Platform
from interpreta.web import pages

STATIC = Path(__file__).parent / "web" / "static"


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


def create_app(platform: Platform, media: MediaPlane | None = None) -> FastAPI:
    """The application serving `platform`, with `media` as its media plane.

    Without `media`, the embedded forwarder is used, gathering ICE candidates on
    ``settings.media_host``.
    """
    plane = media or EmbeddedMediaPlane(host_addresses=[platform.settings.media_host])
    hub = LiveHub(platform, plane)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.shutdown()

    app = FastAPI(
        title="Interpreta",
        version=__version__,
        description="Live multilingual events with remote simultaneous interpretation.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.state.live_hub = hub
    problems.install(app)
    app.add_middleware(SecurityHeaders)
    routers = (auth.router, organisations.router, events.router, join.router, signaling.router)
    for router in (*routers, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
