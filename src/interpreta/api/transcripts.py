"""An event's transcript, for its organisers: the sentences its automatic captions
recognised while it kept one (``Event.keep_transcript``).

``GET /api/events/{event_id}/transcript`` lists them in the order they were said, each
with its channel, language, speaker and recogniser (``?channel_id=`` for one channel);
``?format=vtt`` gives one channel's as WebVTT, to show beside a recording or to edit.
Owners and organisers of the event's organisation only. The words are made by a machine
and may contain mistakes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.events import load_event
from interpreta.api.inputs import PathId, RowId
from interpreta.datamap.activities import TRANSCRIPTION
from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext
from interpreta.live.access import MANAGERS
from interpreta.meetings import transcripts

router = APIRouter(tags=["transcripts"], dependencies=[within(TRANSCRIPTION)])


class SegmentOut(BaseModel):
    """One sentence of a transcript."""

    id: int
    channel_id: int | None
    language: str
    engine: str
    speaker: str | None
    text: str
    spoken_at: datetime
    duration_ms: int


_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The sentences (JSON), or one channel's as WebVTT",
        "content": {"text/vtt": {}},
    },
    404: {"description": "No such event"},
    403: {"description": "Not an organiser"},
}


@router.get("/api/events/{event_id}/transcript", responses=_RESPONSES, response_model=None)
def transcript(
    event_id: PathId,
    user: UserDep,
    platform: PlatformDep,
    channel_id: Annotated[RowId | None, Query()] = None,
    format: Literal["json", "vtt"] = "json",
) -> list[SegmentOut] | Response:
    """The event's transcript, in the order it was said."""
    if format == "vtt" and channel_id is None:
        raise invalid("channel_id", gettext("Choose the channel whose transcript to give."))
    with platform.sessions() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        rows = transcripts.segments(db, event_id, channel_id)
        code = event.code
    if format == "json":
        return [SegmentOut(**row) for row in rows]
    return Response(
        transcripts.as_webvtt(rows),
        media_type="text/vtt",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{code}-{channel_id}-transcript.vtt"',
        },
    )
