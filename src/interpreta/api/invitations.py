"""Answering an invitation to join an organisation, by the link it was mailed with."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from interpreta.accounts import invitations
from interpreta.accounts.actions import organisation_name
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input
from interpreta.datamap.activities import ACCOUNT

router = APIRouter(prefix="/api/invitations", tags=["invitations"], dependencies=[within(ACCOUNT)])


class InvitationToken(Input):
    """The token of a mailed invitation."""

    token: str = Field(min_length=10, max_length=100)


class Joined(BaseModel):
    """The organisation joined, and the role in it."""

    organisation_id: int
    organisation_name: str
    role: str


@router.post("/accept", response_model=Joined)
def accept(body: InvitationToken, user: UserDep, platform: PlatformDep) -> Joined:
    """Accept an invitation, signed in with the address it was sent to (403 otherwise);
    410 when it was answered, withdrawn or has expired."""
    with platform.transaction() as db:
        db.add(user)
        member = invitations.accept(db, body.token, user, platform.clock.now())
        return Joined(
            organisation_id=member.organisation_id,
            organisation_name=organisation_name(db, member.organisation_id),
            role=str(member.role),
        )


@router.post("/decline", status_code=204)
def decline(body: InvitationToken, platform: PlatformDep) -> Response:
    """Decline an invitation (no sign-in needed: the link reached the address)."""
    with platform.transaction() as db:
        invitations.decline(db, body.token, platform.clock.now())
    return Response(status_code=204)
