"""Files shared in a live event, over HTTP: ``/api/live/{code}/files``.

Only a participant connected to the event shares or fetches files: the page sends the
``content_token`` its live session's welcome carried, as a bearer token, which works
while that connection is open. The body of a share is the file itself (its name in
the query), up to ``INTERPRETA_MEETING_FILE_MAX_BYTES``; the file is announced to
everyone in the event at once. A fetched file is always a download.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response

from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import LIVE_EVENT
from interpreta.errors import Problem
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live import content
from interpreta.live.hub import LiveHub
from interpreta.meetings import files
from interpreta.meetings.people import ContentRefused, Person
from interpreta.platform import Platform

router = APIRouter(
    prefix="/api/live/{code}/files", tags=["live"], dependencies=[within(LIVE_EVENT)]
)

STATUS = {"not_found": 404, "forbidden": 403, "too_large": 413, "file_type": 415}
"""The HTTP status of each content refusal (422 for the others)."""

TITLES = {
    404: N_("Not found"),
    403: N_("Forbidden"),
    413: N_("Content too large"),
    415: N_("Unsupported file"),
}
"""The title of each refusal's status (translated where used)."""


def _refused(exc: ContentRefused) -> Problem:
    status = STATUS.get(exc.code, 422)
    return Problem(status, gettext(TITLES.get(status, N_("Invalid input"))), exc.message)


def _connected(platform: Platform, code: str, authorization: str | None) -> tuple[int, Person]:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            gettext("Not connected"),
            gettext("Join the event first: files are for participants connected to it."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    with platform.sessions() as db:
        found = content.connected_person(db, code, token.strip())
    if found is None:
        raise Problem(
            401,
            gettext("Not connected"),
            gettext("Your connection to this event has ended; join again."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


def _share(
    platform: Platform, code: str, authorization: str | None, name: str, data: bytes
) -> tuple[int, dict[str, object]]:
    event_id, person = _connected(platform, code, authorization)
    try:
        with platform.transaction() as db:
            listed = files.share(
                db,
                event_id,
                person,
                name,
                data,
                max_bytes=platform.settings.meeting_file_max_bytes,
                now=platform.clock.now(),
            )
    except ContentRefused as exc:
        raise _refused(exc) from exc
    return event_id, listed


@router.post(
    "",
    status_code=201,
    responses={
        201: {"description": "The file is shared: its listing"},
        401: {"description": "Not connected to the event"},
        413: {"description": "The file is larger than the limit"},
        415: {"description": "A type of file that may not be shared, or content not of its type"},
        422: {"description": "No name, or an empty file"},
    },
)
async def share(
    code: str,
    request: Request,
    platform: PlatformDep,
    name: Annotated[str, Query(max_length=400, description="The file's name")],
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    """Share a file with everyone in the event (the request body is the file)."""
    data = await request.body()
    event_id, listed = await asyncio.to_thread(_share, platform, code, authorization, name, data)
    hub: LiveHub = request.app.state.live_hub
    await content.announce(hub, event_id, "file", listed)
    return listed


def _fetch(
    platform: Platform, code: str, authorization: str | None, file_id: int
) -> tuple[str, str, bytes]:
    event_id, _ = _connected(platform, code, authorization)
    try:
        with platform.sessions() as db:
            return files.content(db, event_id, file_id)
    except ContentRefused as exc:
        raise _refused(exc) from exc


@router.get(
    "/{file_id}",
    responses={
        200: {"description": "The file, as a download"},
        401: {"description": "Not connected to the event"},
        404: {"description": "No such file in this event"},
    },
)
async def fetch(
    code: str,
    file_id: PathId,
    platform: PlatformDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """A shared file, always as a download."""
    name, media_type, data = await asyncio.to_thread(_fetch, platform, code, authorization, file_id)
    disposition = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )
