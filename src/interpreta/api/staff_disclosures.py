"""The DPO's register of disclosures made without consent (P20): record one, list them,
and release one that a confidentiality order held back once the person may be told.

DPO and admin staff (two-factor sign-in on) only; everyone else gets 404. Every record
and release is written to the audit trail under the staff member's pseudonym.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field

from interpreta.api import staff_audit
from interpreta.api.dependencies import (
    PRIVACY_STAFF,
    PlatformDep,
    UserDep,
    require_staff,
    row_or_404,
    within,
)
from interpreta.api.inputs import Day, Input, PathId
from interpreta.datamap.activities import DISCLOSURES
from interpreta.i18n.catalogues import N_
from interpreta.privacy import disclosures
from interpreta.privacy.disclosures import Disclosure, Ground

router = APIRouter(
    prefix="/api/staff/disclosures", tags=["staff: privacy"], dependencies=[within(DISCLOSURES)]
)


class DisclosureIn(Input):
    """A disclosure made without the person's consent."""

    subject_email: EmailStr = Field(description="the address of the person disclosed about")
    recipient: str = Field(min_length=1, max_length=200)
    ground: Ground
    reference: str = Field(
        min_length=1, max_length=300, description="the order, request or case number"
    )
    data_disclosed: str = Field(min_length=1, max_length=5000)
    disclosed_on: Day
    withheld_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description="set only when the law forbids telling the person yet",
    )


class DisclosureOut(BaseModel):
    """A disclosure as recorded."""

    id: int
    subject_email: str
    recipient: str
    ground: str
    reference: str
    data_disclosed: str
    disclosed_on: date
    withheld_reason: str | None
    recorded_at: datetime
    released_at: datetime | None


def _out(disclosure: Disclosure) -> DisclosureOut:
    return DisclosureOut(
        id=disclosure.id,
        subject_email=disclosure.subject_email,
        recipient=disclosure.recipient,
        ground=str(disclosure.ground),
        reference=disclosure.reference,
        data_disclosed=disclosure.data_disclosed,
        disclosed_on=disclosure.disclosed_on,
        withheld_reason=disclosure.withheld_reason,
        recorded_at=disclosure.recorded_at,
        released_at=disclosure.released_at,
    )


@router.get("", response_model=list[DisclosureOut])
def register(user: UserDep, platform: PlatformDep) -> list[DisclosureOut]:
    """Every recorded disclosure, newest first."""
    require_staff(user, PRIVACY_STAFF)
    with platform.sessions() as db:
        return [_out(d) for d in disclosures.register(db)]


@router.post("", status_code=201, response_model=DisclosureOut)
def record(body: DisclosureIn, user: UserDep, platform: PlatformDep) -> DisclosureOut:
    """Record a disclosure; the person sees it in their access report unless it is
    withheld."""
    require_staff(user, PRIVACY_STAFF)
    with platform.transaction() as db:
        disclosure = disclosures.record(
            db,
            subject_email=str(body.subject_email),
            recipient=body.recipient,
            ground=body.ground,
            reference=body.reference,
            data_disclosed=body.data_disclosed,
            disclosed_on=body.disclosed_on,
            withheld_reason=body.withheld_reason,
            now=platform.clock.now(),
        )
        staff_audit.record(
            db,
            platform,
            user,
            "privacy.disclosure.record",
            f"disclosure:{disclosure.id}",
            ground=str(disclosure.ground),
            withheld=disclosure.withheld_reason is not None,
        )
        return _out(disclosure)


@router.post("/{disclosure_id}/release", response_model=DisclosureOut)
def release(disclosure_id: PathId, user: UserDep, platform: PlatformDep) -> DisclosureOut:
    """The person may now be told: the disclosure joins their answers."""
    require_staff(user, PRIVACY_STAFF)
    with platform.transaction() as db:
        found = row_or_404(db, Disclosure, disclosure_id, N_("disclosure"))
        disclosure = disclosures.release(db, found, platform.clock.now())
        staff_audit.record(
            db, platform, user, "privacy.disclosure.release", f"disclosure:{disclosure.id}"
        )
        return _out(disclosure)
