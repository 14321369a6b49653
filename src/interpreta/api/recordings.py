"""An event's recordings, for its organisers: the list, and each channel's sound.

``GET /api/events/{event_id}/recordings`` lists them (channel, times, length, how many
people are heard); ``GET /api/events/{event_id}/recordings/{recording_id}/audio`` is one
channel's sound as Ogg Opus, decrypted on the way out (``?download=true`` for a file).
Owners and organisers of the event's organisation only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.events import load_event
from interpreta.api.inputs import PathId
from interpreta.datamap.activities import RECORDING
from interpreta.errors import not_found
from interpreta.i18n.catalogues import N_
from interpreta.live.access import MANAGERS
from interpreta.media.video_recording import file_extension
from interpreta.recordings import store

router = APIRouter(tags=["recordings"], dependencies=[within(RECORDING)])


@router.get(
    "/api/events/{event_id}/recordings",
    responses={404: {"description": "No such event"}, 403: {"description": "Not an organiser"}},
)
def list_recordings(event_id: PathId, user: UserDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """The event's recordings, newest first."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        return store.listed(db, event_id)


_PLAYBACK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The recording: a channel's sound (Ogg Opus), or a topic's stage "
        "video (WebM, or Matroska for H.264)",
        "content": {"audio/ogg": {}, "video/webm": {}, "video/x-matroska": {}},
    },
    404: {"description": "No such event or recording"},
    403: {"description": "Not an organiser"},
}


@router.get("/api/events/{event_id}/recordings/{recording_id}/media", responses=_PLAYBACK)
@router.get(
    "/api/events/{event_id}/recordings/{recording_id}/audio",
    responses=_PLAYBACK,
    deprecated=True,
    summary="Recording Media (the former name of /media)",
)
def recording_media(
    event_id: PathId,
    recording_id: PathId,
    user: UserDep,
    platform: PlatformDep,
    download: bool = False,
) -> Response:
    """One recording: a channel's sound, or a topic's stage video."""
    with platform.sessions() as db:
        event = load_event(db, event_id, user, *MANAGERS)
        found = store.media(db, event_id, recording_id)
        if found is None:
            raise not_found(N_("recording"))
        label, media_type, content = found
        extension = file_extension(media_type)
        name = f"{event.code}-{recording_id}-{label}.{extension}".replace(" ", "-")
    headers = {"Cache-Control": "private, no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(content, media_type=media_type, headers=headers)
