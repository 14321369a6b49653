"""The ASGI application: the REST API, the pages and the static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from interpreta import __version__
from interpreta.api import auth, events, join, organisations, problems
from interpreta.platform import Platform
from interpreta.web import pages

STATIC = Path(__file__).parent / "web" / "static"


class SecurityHeaders(BaseHTTPMiddleware):
    """Headers every response carries (HSTS only when served over TLS)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def create_app(platform: Platform) -> FastAPI:
    """The application serving `platform`."""
    app = FastAPI(
        title="Interpreta",
        version=__version__,
        description="Live multilingual events with remote simultaneous interpretation.",
    )
    app.state.platform = platform
    problems.install(app)
    app.add_middleware(SecurityHeaders)
    for router in (auth.router, organisations.router, events.router, join.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
