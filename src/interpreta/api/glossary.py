"""An event's glossary over HTTP: ``/api/events/{event_id}/glossary``.

The event's organisers (owners and organisers of its organisation) and the interpreters
assigned to its booths read, search, add, change, delete, import and export entries. A
change is announced to the event's booths at once, so every console shows it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.actions import membership
from interpreta.accounts.models import User
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import PathId
from interpreta.booths import glossary
from interpreta.datamap.activities import GLOSSARY
from interpreta.errors import Problem, not_found
from interpreta.events.models import Booth, BoothAssignment, Channel, Event, Topic
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live.access import MANAGERS
from interpreta.live.hub import LiveHub

router = APIRouter(tags=["glossary"], dependencies=[within(GLOSSARY)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such event or entry, or not one of its organisers or interpreters"},
    422: {"description": "A wrong entry or file (problem+json says why)"},
}


class TermBody(BaseModel):
    """One glossary entry as the client sends it."""

    source_language: str = Field(max_length=16, pattern=glossary.LANGUAGE_TAG, examples=["de"])
    term: str = Field(max_length=glossary.MAX_TERM, pattern=r"\S", examples=["Energiewende"])
    target_language: str = Field(max_length=16, pattern=glossary.LANGUAGE_TAG, examples=["en"])
    equivalent: str = Field(
        max_length=glossary.MAX_TERM, pattern=r"\S", examples=["energy transition"]
    )
    note: str | None = Field(default=None, max_length=glossary.MAX_NOTE)

    def entry(self) -> glossary.TermIn:
        """The entry for :mod:`interpreta.booths.glossary`."""
        return glossary.TermIn(
            self.source_language, self.term, self.target_language, self.equivalent, self.note
        )


def _event(db: Session, event_id: int, user: User) -> Event:
    """The event, if `user` organises it or interprets in one of its booths (404 else:
    nobody learns that an event they have no part in exists)."""
    event = db.get(Event, event_id)
    if event is None or event.purged_at is not None:
        raise not_found(N_("event"))
    member = membership(db, event.organisation_id, user)
    if member is not None and member.role in MANAGERS:
        return event
    assigned = db.scalar(
        select(BoothAssignment.id)
        .join(Booth, BoothAssignment.booth_id == Booth.id)
        .join(Channel, Booth.channel_id == Channel.id)
        .join(Topic, Channel.topic_id == Topic.id)
        .where(Topic.event_id == event_id, BoothAssignment.user_id == user.id)
        .limit(1)
    )
    if assigned is None:
        raise not_found(N_("event"))
    return event


def _refused(exc: glossary.GlossaryError) -> Problem:
    return Problem(422, gettext("Invalid input"), str(exc))


async def _announce(request: Request, event_id: int) -> None:
    hub: LiveHub = request.app.state.live_hub
    await hub.glossary_changed(event_id)


@router.get("/api/events/{event_id}/glossary", responses=_ERRORS)
def list_terms(
    event_id: PathId,
    user: UserDep,
    platform: PlatformDep,
    q: Annotated[str, Query(max_length=200, description="Text to find")] = "",
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> list[dict[str, Any]]:
    """The entries matching `q` (case and accents ignored), or all of them."""
    with platform.sessions() as db:
        _event(db, event_id, user)
        return [glossary.to_document(row) for row in glossary.search(db, event_id, q, language)]


@router.get(
    "/api/events/{event_id}/glossary.csv",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}}},
)
def export_terms(event_id: PathId, user: UserDep, platform: PlatformDep) -> Response:
    """The whole glossary as CSV (what the import reads back)."""
    with platform.sessions() as db:
        event = _event(db, event_id, user)
        text = glossary.as_csv(glossary.search(db, event_id))
    return Response(
        text.encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{event.code}-glossary.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/api/events/{event_id}/glossary", status_code=201, responses=_ERRORS)
async def add_term(
    event_id: PathId, body: TermBody, user: UserDep, platform: PlatformDep, request: Request
) -> dict[str, Any]:
    """Add an entry."""
    with platform.transaction() as db:
        _event(db, event_id, user)
        try:
            (row,) = glossary.add(db, event_id, [body.entry()], user.id, platform.clock.now())
        except glossary.GlossaryError as exc:
            raise _refused(exc) from exc
        added = glossary.to_document(row)
    await _announce(request, event_id)
    return added


@router.post(
    "/api/events/{event_id}/glossary.csv",
    responses=_ERRORS,
    openapi_extra={"requestBody": {"content": {"text/csv": {}}, "required": True}},
)
async def import_terms(
    event_id: PathId, user: UserDep, platform: PlatformDep, request: Request
) -> dict[str, int]:
    """Add the entries of a CSV or tab-separated file (header: source_language, term,
    target_language, equivalent, note): all of them, or none if a line is wrong."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(
            422, gettext("Invalid input"), gettext("The file must be UTF-8 text.")
        ) from exc
    with platform.transaction() as db:
        _event(db, event_id, user)
        try:
            rows = glossary.add(
                db, event_id, glossary.from_csv(text), user.id, platform.clock.now()
            )
        except glossary.GlossaryError as exc:
            raise _refused(exc) from exc
        added = len(rows)
    await _announce(request, event_id)
    return {"added": added}


@router.put("/api/events/{event_id}/glossary/{term_id}", responses=_ERRORS)
async def change_term(
    event_id: PathId,
    term_id: PathId,
    body: TermBody,
    user: UserDep,
    platform: PlatformDep,
    request: Request,
) -> dict[str, Any]:
    """Replace an entry."""
    with platform.transaction() as db:
        _event(db, event_id, user)
        try:
            row = glossary.change(
                db, event_id, term_id, body.entry(), user.id, platform.clock.now()
            )
        except glossary.GlossaryError as exc:
            raise _refused(exc) from exc
        if row is None:
            raise not_found(N_("glossary entry"))
        changed = glossary.to_document(row)
    await _announce(request, event_id)
    return changed


@router.delete("/api/events/{event_id}/glossary/{term_id}", status_code=204, responses=_ERRORS)
async def delete_term(
    event_id: PathId, term_id: PathId, user: UserDep, platform: PlatformDep, request: Request
) -> Response:
    """Delete an entry."""
    with platform.transaction() as db:
        _event(db, event_id, user)
        if not glossary.remove(db, event_id, term_id):
            raise not_found(N_("glossary entry"))
    await _announce(request, event_id)
    return Response(status_code=204)
