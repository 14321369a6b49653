"""Join by event code: public, no account needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from interpreta.errors import Problem
from interpreta.i18n.catalogues import gettext
from interpreta.platform import Platform

# No activity: it reads only the event's public information, nothing personal (the
# engine checks every statement all the same), and a dependency costs this hottest
# public request a quarter of its throughput.
router = APIRouter(prefix="/api/join", tags=["join"])


@router.get(
    "/{code}",
    responses={
        200: {"description": "The event's public information and its channels"},
        404: {"description": "No event has this code"},
    },
)
async def join(code: str, request: Request) -> Response:
    """The event's public information and its channels, by event code."""
    # the hottest public request: the platform straight from the app, no dependency
    platform: Platform = request.app.state.platform
    body = await platform.join_cache.get(code)
    if body is None:
        raise Problem(
            404, gettext("Not found"), gettext("No event has this code. Check it and try again.")
        )
    return Response(body, media_type="application/json")
