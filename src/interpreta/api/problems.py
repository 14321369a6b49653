"""Every error leaves the API as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from interpreta.errors import FieldError, Problem

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


PageRenderer = Callable[[Request], Response]
"""Renders the HTML page a browser gets instead of a problem document."""


def install(app: FastAPI, *, not_found_page: PageRenderer | None = None) -> None:
    """Register the handlers that turn errors into problem documents; a browser asking
    for a page that does not exist gets `not_found_page` when given."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldError(_field_name(e.get("loc", ())), e.get("msg", "")) for e in exc.errors()]
        problem = Problem(422, "Invalid input", "Some fields are missing or wrong.", errors)
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not_found_page is not None and _wants_page(request):
            return not_found_page(request)
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else ""
        response = problem_response(Problem(exc.status_code, title, detail), request)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(500, "Internal server error", "Something went wrong on our side.")
        return problem_response(problem, request)
