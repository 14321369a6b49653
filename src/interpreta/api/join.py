"""Join by event code: public, no account needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from interpreta.api.dependencies import PlatformDep
from interpreta.errors import Problem
from interpreta.events.join import public_info

router = APIRouter(prefix="/api/join", tags=["join"])


@router.get("/{code}", responses={404: {"description": "No event has this code"}})
def join(code: str, platform: PlatformDep) -> Any:
    """The event's public information and its channels, by event code."""
    with platform.sessions() as db:
        info = public_info(db, code)
    if info is None:
        raise Problem(404, "Not found", "No event has this code. Check it and try again.")
    return JSONResponse(info)
