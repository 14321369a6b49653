"""Every error leaves the API as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from interpreta.api.field_messages import message
from interpreta.errors import FieldError, Problem
from interpreta.i18n.catalogues import N_, gettext

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    """The HTTP response for `problem`."""
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=problem.headers or None,
    )


def _field_name(location: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(location[0] if location else "")


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): it gets HTML errors."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


STATUS_PHRASES = (
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Not Acceptable"),
    N_("Conflict"),
    N_("Gone"),
    N_("Content Too Large"),
    N_("Request Entity Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Content"),
    N_("Unprocessable Entity"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)
"""The HTTP reason phrases a problem from Starlette takes as its title, in the catalogue
(translated where used; a phrase not here stays English)."""


PageRenderer = Callable[[Request], Response]
"""Renders the HTML page a browser gets instead of a problem document."""


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
"""An RFC 9457 problem document, as every error response of the API is."""

PROBLEM_STATUSES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed (or not over HTTPS where it is required)",
    404: "No such thing, or not yours to see",
    405: "Method not allowed (the Allow header lists those that are)",
    409: "Conflicts with the current state",
    410: "A one-time link that is no longer valid",
    413: "Request body too large",
    422: "Invalid input, field by field",
    429: "Too many requests; see Retry-After",
}
"""What any operation may answer besides its success (the handlers below, the
middlewares, the rate limits)."""


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the API does: every operation may answer
    with these problem documents (FastAPI's own 422 schema is not what we send)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {
            MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in PROBLEM_STATUSES.items():
                    responses[str(status)] = {"description": description, "content": problem}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at `path` (Starlette names only the first route's)."""
    methods: set[str] = set()
    pending = list(app.routes)
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # an included router
        if included is not None:
            pending.extend(included.routes)
            continue
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install(app: FastAPI, *, not_found_page: PageRenderer | None = None) -> None:
    """Register the handlers that turn errors into problem documents, and document them;
    a browser asking for a page that does not exist gets `not_found_page` when given."""
    document_problems(app)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_field_name(e.get("loc", ())), message(e)) for e in exc.errors()]
        problem = Problem(
            422, gettext("Invalid input"), gettext("Some fields are missing or wrong."), errors
        )
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not_found_page is not None and _wants_page(request):
            return not_found_page(request)
        if exc.status_code == 405:
            allowed = _allowed_methods(app, request.url.path)
            if allowed:
                exc = StarletteHTTPException(405, headers={"Allow": ", ".join(allowed)})
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
        problem = Problem(exc.status_code, gettext(title), gettext(detail) if detail else "")
        response = problem_response(problem, request)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            500, gettext("Internal server error"), gettext("Something went wrong on our side.")
        )
        return problem_response(problem, request)
