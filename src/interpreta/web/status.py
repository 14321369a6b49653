"""The public status page (P23): measured availability against the target."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from interpreta.api.dependencies import OptionalUserDep, PlatformDep
from interpreta.api.status import status_of
from interpreta.web.pages import render

router = APIRouter()


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, user: OptionalUserDep, platform: PlatformDep) -> HTMLResponse:
    """Uptime over the last day, week and month, and announced maintenance."""
    return render(request, "status.html", user, status=status_of(platform))
