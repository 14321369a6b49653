"""Join by event code: public, no account needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from interpreta.api.dependencies import PlatformDep
from interpreta.errors import Problem

router = APIRouter(prefix="/api/join", tags=["join"])


@router.get(
    "/{code}",
    responses={
        200: {"description": "The event's public information and its channels"},
        404: {"description": "No event has this code"},
    },
)
async def join(code: str, platform: PlatformDep) -> Response:
    """The event's public information and its channels, by event code."""
    hit, body = platform.join_cache.cached(code)
    if not hit:
        body = await run_in_threadpool(platform.join_cache.load, code)
    if body is None:
        raise Problem(404, "Not found", "No event has this code. Check it and try again.")
    return Response(body, media_type="application/json")
