"""Each interpreter's time on air in an event, for the customer's invoicing:
``GET /api/events/{event_id}/on-air`` (JSON) and ``/on-air.csv``.

Owners and organisers of the event's organisation only. Stints still running count
until now.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Response

from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.events import load_event
from interpreta.api.inputs import PathId
from interpreta.booths import on_air
from interpreta.datamap.activities import ON_AIR_TIME
from interpreta.live.access import MANAGERS

router = APIRouter(tags=["on air"], dependencies=[within(ON_AIR_TIME)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such event"},
    403: {"description": "Not an organiser"},
}


@router.get("/api/events/{event_id}/on-air", responses=_ERRORS)
def on_air_time(event_id: PathId, user: UserDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Per interpreter and language: seconds on air, stints, the longest stint, and the
    first and last time on air."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        lines = on_air.report(db, event_id, platform.clock.now())
    return [
        {**asdict(line), "first": line.first.isoformat(), "last": line.last.isoformat()}
        for line in lines
    ]


@router.get(
    "/api/events/{event_id}/on-air.csv",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}}},
)
def on_air_csv(event_id: PathId, user: UserDep, platform: PlatformDep) -> Response:
    """The same report as CSV, minutes with one decimal."""
    with platform.sessions() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        text = on_air.as_csv(on_air.report(db, event_id, platform.clock.now()))
    return Response(
        text.encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{event.code}-on-air.csv"',
            "Cache-Control": "private, no-store",
        },
    )
