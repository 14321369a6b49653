"""Engagement estimates (P37): made after an event for its organisers, where their
customer account turned them on (``PATCH /api/organisations/{id}``,
``engagement_estimates``), checked by a person, and open to the people they are about.

For the event's owners and organisers:

- ``POST /api/events/{event_id}/engagement`` makes (again) the estimates of the event's
  participants: 409 while the account has them off;
- ``GET /api/events/{event_id}/engagement`` lists them, each an estimate with its
  confidence and method; ``GET .../engagement/reviews`` the ones waiting for a person;
- ``GET .../engagement/{estimate_id}/evidence`` gives what one was made from (the sound
  as WAV, or a frame as JPEG), and ``POST .../engagement/{estimate_id}/review`` confirms
  or corrects it.

For the person an estimate is about (signed in): ``GET /api/me/engagement`` lists them,
and ``POST /api/me/engagement/{estimate_id}/review`` asks for a person to check one (P33).
Nobody who opted out of automated assessment has estimates: the processing engine leaves
them out. No emotions are inferred.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.events import load_event
from interpreta.api.inputs import Input, PathId
from interpreta.datamap.activities import ENGAGEMENT_ESTIMATES
from interpreta.engagement import review
from interpreta.engagement.estimates import EstimatesOff, estimate_event
from interpreta.errors import conflict, invalid, not_found
from interpreta.events.models import Participant
from interpreta.i18n.catalogues import N_, gettext
from interpreta.live.access import MANAGERS

router = APIRouter(tags=["engagement"], dependencies=[within(ENGAGEMENT_ESTIMATES)])


class EstimateOut(BaseModel):
    """One engagement estimate about one participant."""

    id: int
    participant_id: int
    participant: str | None
    event_id: int | None = None
    measure: str
    value: float
    confidence: float
    """How sure the estimate is, from 0 to 1 (1 for a count)."""
    estimate: bool
    """Always true: these are estimates, made by machines or counted, not facts."""
    method: str
    computed_at: datetime
    review: str
    review_requested: bool
    reviewed_value: float | None
    review_note: str | None
    reviewed_at: datetime | None
    has_evidence: bool


class Made(BaseModel):
    """The outcome of making an event's estimates."""

    made: int
    estimates: list[EstimateOut]


class Review(Input):
    """A person's review of an estimate."""

    decision: Literal["confirm", "correct"]
    value: float | None = Field(default=None, allow_inf_nan=False)
    """The value the estimate should have had (a correction only)."""
    note: str | None = Field(default=None, max_length=review.NOTE_LENGTH)


_ORGANISERS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such event (or estimate)"},
    403: {"description": "Not an organiser"},
}


@router.post(
    "/api/events/{event_id}/engagement",
    responses={**_ORGANISERS, 409: {"description": "Engagement estimates are off"}},
)
def make_estimates(event_id: PathId, user: UserDep, platform: PlatformDep) -> Made:
    """Make (again) the engagement estimates of the event's participants. Estimates a
    person already reviewed stay as they were."""
    with platform.transaction() as db:
        load_event(db, event_id, user, *MANAGERS)
        try:
            made = estimate_event(db, event_id, platform.clock.now())
        except EstimatesOff:
            raise conflict(
                gettext(
                    "Engagement estimates are off for this organisation: an owner can turn "
                    "them on in its settings."
                )
            ) from None
        rows = review.estimates(db, event_id)
    return Made(made=made, estimates=[EstimateOut(**row) for row in rows])


@router.get("/api/events/{event_id}/engagement", responses=_ORGANISERS)
def list_estimates(event_id: PathId, user: UserDep, platform: PlatformDep) -> list[EstimateOut]:
    """The event's engagement estimates, by participant."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        return [EstimateOut(**row) for row in review.estimates(db, event_id)]


@router.get("/api/events/{event_id}/engagement/reviews", responses=_ORGANISERS)
def review_queue(event_id: PathId, user: UserDep, platform: PlatformDep) -> list[EstimateOut]:
    """The estimates waiting for a person to check them: those their subject asked to be
    checked first, then a sample of the others."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        return [EstimateOut(**row) for row in review.queue(db, event_id)]


@router.get(
    "/api/events/{event_id}/engagement/{estimate_id}/evidence",
    responses={
        200: {
            "description": "The sound (WAV) or the frame (JPEG) the estimate was made from",
            "content": {"audio/wav": {}, "image/jpeg": {}},
        },
        **_ORGANISERS,
    },
    response_class=Response,
)
def estimate_evidence(
    event_id: PathId, estimate_id: PathId, user: UserDep, platform: PlatformDep
) -> Response:
    """What a reviewer checks the estimate against."""
    with platform.sessions() as db:
        load_event(db, event_id, user, *MANAGERS)
        try:
            found = review.evidence(db, event_id, estimate_id)
        except LookupError:
            raise not_found(N_("evidence")) from None
    return Response(
        found.content, media_type=found.media_type, headers={"Cache-Control": "private, no-store"}
    )


@router.post(
    "/api/events/{event_id}/engagement/{estimate_id}/review",
    responses={**_ORGANISERS, 422: {"description": "A review that cannot be recorded"}},
)
def review_estimate(
    event_id: PathId, estimate_id: PathId, body: Review, user: UserDep, platform: PlatformDep
) -> EstimateOut:
    """Confirm an estimate, or correct it to the value a person found."""
    with platform.transaction() as db:
        load_event(db, event_id, user, *MANAGERS)
        try:
            row = review.decide(
                db,
                event_id,
                estimate_id,
                confirmed=body.decision == "confirm",
                value=body.value,
                note=body.note,
                now=platform.clock.now(),
            )
        except LookupError:
            raise not_found(N_("estimate")) from None
        except review.BadReview as bad:
            raise invalid(bad.field, gettext(str(bad))) from None
    return EstimateOut(**row)


def _participations(db: Any, user_id: int) -> list[int]:
    return list(db.scalars(select(Participant.id).where(Participant.user_id == user_id)))


@router.get("/api/me/engagement")
def my_estimates(user: UserDep, platform: PlatformDep) -> list[EstimateOut]:
    """The engagement estimates about the signed-in person, in every event they took
    part in with their account."""
    with platform.sessions() as db:
        rows = review.about(db, _participations(db, user.id))
    return [EstimateOut(**row) for row in rows]


@router.post(
    "/api/me/engagement/{estimate_id}/review",
    responses={404: {"description": "No such estimate about you"}},
)
def ask_for_review(estimate_id: PathId, user: UserDep, platform: PlatformDep) -> EstimateOut:
    """Ask for a person to check an estimate about you (P33): it goes to the front of
    the organiser's review queue."""
    with platform.transaction() as db:
        try:
            row = review.request_review(db, _participations(db, user.id), estimate_id)
        except LookupError:
            raise not_found(N_("estimate")) from None
    return EstimateOut(**row)
