"""The operator's CRM for sales and account managers: a customer's contacts, notes of
conversations and deals, and the pipeline of open deals.

Sales and admin staff (two-factor sign-in on) only; support and billing staff get 404,
as everyone else does. Every change is written to the audit trail under the staff
member's pseudonym; the trail names rows, never what a note says.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.api import staff_audit
from interpreta.api.dependencies import (
    SALES_STAFF,
    PlatformDep,
    UserDep,
    require_staff,
    row_or_404,
    within,
)
from interpreta.api.inputs import Day, Input, PathId, RowId
from interpreta.billing.models import Plan
from interpreta.crm import contacts, deals
from interpreta.crm.contacts import MAX_NOTE
from interpreta.crm.models import CrmContact, CrmNote, Deal, DealStage
from interpreta.datamap.activities import CUSTOMER_RELATIONSHIP
from interpreta.errors import invalid
from interpreta.i18n.catalogues import N_, gettext

router = APIRouter(
    prefix="/api/staff", tags=["staff: CRM"], dependencies=[within(CUSTOMER_RELATIONSHIP)]
)

Stage = Literal["lead", "qualified", "proposal", "negotiation", "won", "lost"]


class ContactIn(Input):
    """A person at the customer."""

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()./-]{3,40}$")
    job_title: str | None = Field(default=None, min_length=1, max_length=100)


class ContactPatch(Input):
    """Changes to a contact (only the fields sent)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()./-]{3,40}$")
    job_title: str | None = Field(default=None, min_length=1, max_length=100)


class ContactOut(BaseModel):
    """A contact as recorded."""

    id: int
    name: str
    email: str
    phone: str | None
    job_title: str | None
    updated_at: datetime


class NoteIn(Input):
    """A note of a conversation, about one contact or the whole account."""

    body: str = Field(min_length=1, max_length=MAX_NOTE)
    contact_id: RowId | None = None


class NoteOut(BaseModel):
    """A note as written."""

    id: int
    contact_id: int | None
    body: str
    written_at: datetime


class DealIn(Input):
    """A new deal (it opens as a lead)."""

    title: str = Field(min_length=1, max_length=200)
    value: Decimal = Field(ge=0, le=100_000_000, max_digits=12, decimal_places=2)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    plan: str | None = Field(default=None, min_length=1, max_length=40)
    contact_id: RowId | None = None
    expected_on: Day | None = None


class DealMove(Input):
    """Move a deal to another stage; a lost deal says why."""

    stage: Stage
    lost_reason: str | None = Field(default=None, min_length=1, max_length=200)


class DealOut(BaseModel):
    """A deal and where it stands."""

    id: int
    title: str
    stage: str
    value: Decimal
    currency: str
    plan_id: int | None
    contact_id: int | None
    expected_on: date | None
    lost_reason: str | None
    opened_at: datetime
    closed_at: datetime | None


class AccountOut(BaseModel):
    """Everything the CRM keeps on one customer."""

    organisation_id: int
    name: str
    status: str
    contacts: list[ContactOut]
    notes: list[NoteOut]
    deals: list[DealOut]


class PipelineOut(BaseModel):
    """Open deals at one stage, in one currency."""

    stage: str
    currency: str
    deals: int
    value: Decimal


def _organisation(db: Session, organisation_id: int) -> Organisation:
    return row_or_404(db, Organisation, organisation_id, N_("organisation"))


def _contact_of(db: Session, contact_id: int | None) -> CrmContact | None:
    if contact_id is None:
        return None
    found = db.get(CrmContact, contact_id)
    if found is None:
        raise invalid("contact_id", gettext("No such contact."))
    return found


def _contact_out(contact: CrmContact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)


def _note_out(note: CrmNote) -> NoteOut:
    return NoteOut.model_validate(note, from_attributes=True)


def _deal_out(deal: Deal) -> DealOut:
    return DealOut(
        id=deal.id,
        title=deal.title,
        stage=str(deal.stage),
        value=deal.value,
        currency=deal.currency,
        plan_id=deal.plan_id,
        contact_id=deal.contact_id,
        expected_on=deal.expected_on,
        lost_reason=deal.lost_reason,
        opened_at=deal.opened_at,
        closed_at=deal.closed_at,
    )


@router.get("/organisations/{organisation_id}/crm", response_model=AccountOut)
def account(organisation_id: PathId, user: UserDep, platform: PlatformDep) -> AccountOut:
    """A customer's contacts, notes (newest first) and deals (open first)."""
    require_staff(user, SALES_STAFF)
    with platform.sessions() as db:
        organisation = _organisation(db, organisation_id)
        return AccountOut(
            organisation_id=organisation.id,
            name=organisation.name,
            status=str(organisation.status),
            contacts=[_contact_out(c) for c in contacts.contacts(db, organisation.id)],
            notes=[_note_out(n) for n in contacts.notes(db, organisation.id)],
            deals=[_deal_out(d) for d in deals.deals(db, organisation.id)],
        )


@router.post(
    "/organisations/{organisation_id}/contacts", status_code=201, response_model=ContactOut
)
def add_contact(
    organisation_id: PathId, body: ContactIn, user: UserDep, platform: PlatformDep
) -> ContactOut:
    """Record a person at the customer."""
    require_staff(user, SALES_STAFF)
    with platform.transaction() as db:
        contact = contacts.add_contact(
            db,
            _organisation(db, organisation_id),
            name=body.name,
            email=str(body.email),
            phone=body.phone,
            job_title=body.job_title,
            now=platform.clock.now(),
        )
        staff_audit.record(db, platform, user, "crm.contact.add", f"crm_contact:{contact.id}")
        return _contact_out(contact)


@router.patch("/contacts/{contact_id}", response_model=ContactOut)
def change_contact(
    contact_id: PathId, body: ContactPatch, user: UserDep, platform: PlatformDep
) -> ContactOut:
    """Change a contact's name, address, phone or job title."""
    require_staff(user, SALES_STAFF)
    changes = body.model_dump(exclude_unset=True)
    with platform.transaction() as db:
        contact = contacts.change_contact(
            db,
            row_or_404(db, CrmContact, contact_id, N_("contact")),
            {k: None if v is None else str(v) for k, v in changes.items()},
            platform.clock.now(),
        )
        staff_audit.record(
            db,
            platform,
            user,
            "crm.contact.change",
            f"crm_contact:{contact.id}",
            fields=sorted(changes),
        )
        return _contact_out(contact)


@router.delete("/contacts/{contact_id}", status_code=204)
def remove_contact(contact_id: PathId, user: UserDep, platform: PlatformDep) -> Response:
    """Remove a contact and the notes about them (their deals stay, without them)."""
    require_staff(user, SALES_STAFF)
    with platform.transaction() as db:
        db.delete(row_or_404(db, CrmContact, contact_id, N_("contact")))
        staff_audit.record(db, platform, user, "crm.contact.remove", f"crm_contact:{contact_id}")
    return Response(status_code=204)


@router.post("/organisations/{organisation_id}/notes", status_code=201, response_model=NoteOut)
def add_note(
    organisation_id: PathId, body: NoteIn, user: UserDep, platform: PlatformDep
) -> NoteOut:
    """Note a conversation with the customer."""
    require_staff(user, SALES_STAFF)
    with platform.transaction() as db:
        note = contacts.add_note(
            db,
            _organisation(db, organisation_id),
            body.body,
            platform.clock.now(),
            contact=_contact_of(db, body.contact_id),
        )
        staff_audit.record(db, platform, user, "crm.note.add", f"crm_note:{note.id}")
        return _note_out(note)


@router.post("/organisations/{organisation_id}/deals", status_code=201, response_model=DealOut)
def open_deal(
    organisation_id: PathId, body: DealIn, user: UserDep, platform: PlatformDep
) -> DealOut:
    """Open a deal with the customer, as a lead."""
    require_staff(user, SALES_STAFF)
    with platform.transaction() as db:
        plan = None
        if body.plan is not None:
            plan = db.scalar(select(Plan).where(Plan.code == body.plan))
            if plan is None:
                raise invalid("plan", gettext("No plan has that code."))
        deal = deals.open_deal(
            db,
            _organisation(db, organisation_id),
            title=body.title,
            value=body.value,
            currency=body.currency,
            now=platform.clock.now(),
            plan=plan,
            contact=_contact_of(db, body.contact_id),
            expected_on=body.expected_on,
        )
        staff_audit.record(db, platform, user, "crm.deal.open", f"deal:{deal.id}")
        return _deal_out(deal)


@router.post("/deals/{deal_id}/stage", response_model=DealOut)
def move_deal(deal_id: PathId, body: DealMove, user: UserDep, platform: PlatformDep) -> DealOut:
    """Move a deal along the pipeline, or close it as won or lost."""
    require_staff(user, SALES_STAFF)
    with platform.transaction() as db:
        deal = deals.move(
            db,
            row_or_404(db, Deal, deal_id, N_("deal")),
            DealStage(body.stage),
            platform.clock.now(),
            lost_reason=body.lost_reason,
        )
        staff_audit.record(db, platform, user, "crm.deal.move", f"deal:{deal.id}", stage=body.stage)
        return _deal_out(deal)


@router.get("/pipeline", response_model=list[PipelineOut])
def pipeline(user: UserDep, platform: PlatformDep) -> list[PipelineOut]:
    """Open deals of every customer, per stage and currency."""
    require_staff(user, SALES_STAFF)
    with platform.sessions() as db:
        return [
            PipelineOut(stage=str(s.stage), currency=s.currency, deals=s.deals, value=s.value)
            for s in deals.pipeline(db)
        ]
