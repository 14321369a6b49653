"""A customer's billing, as its owners see it: the contract and plan, the usage of each
month against the plan, the billing address, and the invoices and credit notes with their
PDFs (EN 16931 e-invoices inside).

Owners only: other members get 403, outsiders 404. The contract and address are billing
(a contract); the invoices, accounting records kept by law. Issuing, crediting and recording
payments are the operator's billing staff's (:mod:`~interpreta.api.staff_billing`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from interpreta.accounts import actions
from interpreta.accounts.models import MemberRole
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input, PathId
from interpreta.billing import contracts, invoices
from interpreta.billing.models import BillingAddress, Contract, Invoice
from interpreta.datamap.activities import ACCOUNTING, BILLING
from interpreta.errors import not_found
from interpreta.i18n.catalogues import N_
from interpreta.i18n.locales import SUPPORTED
from interpreta.usage import statement as usage_statement
from interpreta.usage.models import Measure

router = APIRouter(prefix="/api/organisations", tags=["billing"], dependencies=[within(BILLING)])

INVOICE_NUMBER = r"^\d{4}-\d{5,6}$"
MONTH = r"^20\d\d-(0[1-9]|1[0-2])$"
"""A month as ``YYYY-MM``, this century."""
"""An invoice number as the series writes it (``2026-00042``)."""


class PlanOut(BaseModel):
    """A plan: its monthly fee, what it includes and what more costs."""

    code: str
    name: str
    currency: str
    monthly_fee: Decimal
    included_listener_hours: int
    included_interpreter_hours: int
    included_languages: int
    included_storage_gb: int
    listener_hour_price: Decimal
    interpreter_hour_price: Decimal
    storage_gb_price: Decimal
    first_response_hours: int
    resolution_hours: int


class ContractOut(BaseModel):
    """A contract: its plan, term and end."""

    id: int
    organisation_id: int
    plan: PlanOut
    starts_on: date
    term_months: int
    renews: bool
    current_term_ends_on: date
    ends_on: date | None
    closed: bool


class AddressIn(Input):
    """Where the invoices go; the VAT ID (checked) makes a business in another EU
    country reverse-charged."""

    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code")
    vat_id: str | None = Field(default=None, max_length=20)
    language: str = Field(default="en", description=f"one of {', '.join(SUPPORTED)}")


class AddressOut(BaseModel):
    """The billing address as recorded."""

    street: str
    postcode: str
    city: str
    country: str
    vat_id: str | None
    language: str


class BillingOut(BaseModel):
    """The customer's contract and billing address."""

    contract: ContractOut | None
    address: AddressOut | None


class InvoiceOut(BaseModel):
    """An invoice or credit note in a list."""

    id: int
    organisation_id: int | None
    """None once the customer's account is gone (the invoice is kept: P11)."""
    number: str
    kind: str
    issued_on: date
    due_on: date | None
    period_start: date | None
    period_end: date | None
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    vat_treatment: str
    status: str
    outstanding: Decimal | None
    corrects: str | None


def plan_out(contract: Contract) -> PlanOut:
    """The contract's plan as the API shows it."""
    plan = contract.plan
    return PlanOut(
        code=plan.code,
        name=plan.name,
        currency=plan.currency,
        monthly_fee=plan.monthly_fee,
        included_listener_hours=plan.included_listener_hours,
        included_interpreter_hours=plan.included_interpreter_hours,
        included_languages=plan.included_languages,
        included_storage_gb=plan.included_storage_gb,
        listener_hour_price=plan.listener_hour_price,
        interpreter_hour_price=plan.interpreter_hour_price,
        storage_gb_price=plan.storage_gb_price,
        first_response_hours=plan.first_response_hours,
        resolution_hours=plan.resolution_hours,
    )


def contract_out(contract: Contract, today: date) -> ContractOut:
    """`contract` as the API shows it."""
    return ContractOut(
        id=contract.id,
        organisation_id=contract.organisation_id,
        plan=plan_out(contract),
        starts_on=contract.starts_on,
        term_months=contract.term_months,
        renews=contract.renews,
        current_term_ends_on=contracts.term_end(contract, today),
        ends_on=contract.ends_on,
        closed=contract.closed_at is not None,
    )


def invoices_out(db: Session, listed: Sequence[Invoice], today: date) -> list[InvoiceOut]:
    """`listed` as the API lists them, with what is still owed on each: a few queries
    for the whole list (:func:`~interpreta.billing.invoices.standings`), not per invoice."""
    standing = invoices.standings(db, listed, today)
    corrected = sorted({i.corrects_id for i in listed if i.corrects_id is not None})
    numbers: dict[int, str] = {}
    for start in range(0, len(corrected), invoices.IN_BATCH):
        batch = corrected[start : start + invoices.IN_BATCH]
        numbers.update(
            db.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(batch))).all()
        )
    return [
        InvoiceOut(
            id=invoice.id,
            organisation_id=invoice.organisation_id,
            number=invoice.number,
            kind=str(invoice.kind),
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            currency=invoice.currency,
            net_total=invoice.net_total,
            vat_total=invoice.vat_total,
            gross_total=invoice.gross_total,
            vat_treatment=str(invoice.vat_treatment),
            status=standing[invoice.id].status,
            outstanding=standing[invoice.id].outstanding,
            corrects=None if invoice.corrects_id is None else numbers.get(invoice.corrects_id),
        )
        for invoice in listed
    ]


def invoice_out(db: Session, invoice: Invoice, today: date) -> InvoiceOut:
    """`invoice` as the API lists it, with what is still owed on it."""
    return invoices_out(db, [invoice], today)[0]


def pdf_response(invoice: Invoice) -> Response:
    """The document as it was issued, for download."""
    return Response(
        invoice.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"',
            "Digest": "sha-256="
            + base64.b64encode(bytes.fromhex(invoice.pdf_sha256)).decode("ascii"),
        },
    )


def _address_out(address: BillingAddress | None) -> AddressOut | None:
    if address is None:
        return None
    return AddressOut(
        street=address.street,
        postcode=address.postcode,
        city=address.city,
        country=address.country,
        vat_id=address.vat_id,
        language=address.language,
    )


@router.get("/{organisation_id}/billing", response_model=BillingOut)
def get_billing(organisation_id: PathId, user: UserDep, platform: PlatformDep) -> BillingOut:
    """The organisation's current contract and its billing address (owners)."""
    today = platform.clock.now().date()
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        contract = contracts.current(db, organisation_id, today)
        return BillingOut(
            contract=None if contract is None else contract_out(contract, today),
            address=_address_out(db.get(BillingAddress, organisation_id)),
        )


@router.put("/{organisation_id}/billing/address", response_model=AddressOut)
def put_address(
    organisation_id: PathId, body: AddressIn, user: UserDep, platform: PlatformDep
) -> AddressOut | None:
    """Set where the invoices go (owners); issued documents keep the address they had."""
    with platform.transaction() as db:
        member = actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        address = contracts.set_billing_address(
            db,
            member.organisation,
            street=body.street,
            postcode=body.postcode,
            city=body.city,
            country=body.country,
            vat_id=body.vat_id,
            language=body.language,
            now=platform.clock.now(),
        )
        return _address_out(address)


@router.get(
    "/{organisation_id}/invoices",
    response_model=list[InvoiceOut],
    dependencies=[within(ACCOUNTING)],
)
def list_invoices(
    organisation_id: PathId, user: UserDep, platform: PlatformDep
) -> list[InvoiceOut]:
    """The organisation's invoices and credit notes, newest first (owners)."""
    today = platform.clock.now().date()
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        found = db.scalars(
            select(Invoice)
            .options(defer(Invoice.pdf))
            .where(Invoice.organisation_id == organisation_id)
            .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        ).all()
        return invoices_out(db, found, today)


@router.get(
    "/{organisation_id}/invoices/{number}.pdf",
    response_class=Response,
    dependencies=[within(ACCOUNTING)],
)
def invoice_pdf(
    organisation_id: PathId,
    number: Annotated[str, Path(pattern=INVOICE_NUMBER)],
    user: UserDep,
    platform: PlatformDep,
) -> Response:
    """One document as issued: a PDF with its Factur-X e-invoice inside (owners)."""
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        invoice = db.scalar(
            select(Invoice).where(
                Invoice.organisation_id == organisation_id, Invoice.number == number
            )
        )
        if invoice is None:
            raise not_found(N_("invoice"))
        return pdf_response(invoice)


class MeasureOut(BaseModel):
    """One measure of a month against the plan."""

    measure: str
    used: Decimal
    included: Decimal | None
    over: Decimal
    unit_price: Decimal | None
    amount: Decimal


class EventUsageOut(BaseModel):
    """What one event used."""

    event_id: int
    title: str
    listener_hours: Decimal
    interpreter_hours: Decimal
    languages: int
    recording_gb: Decimal


class UsageOut(BaseModel):
    """A month's usage: per event, in total against the plan, and what it costs beyond
    the plan (net)."""

    month: str
    plan: str | None
    currency: str | None
    measures: list[MeasureOut]
    events: list[EventUsageOut]
    amount_over_plan: Decimal


Month = Annotated[
    str | None,
    Query(pattern=MONTH, description="YYYY-MM (2000 to 2099); this month by default"),
]


def usage_out(db: Session, organisation_id: int, month: str | None, today: date) -> UsageOut:
    """The usage of `organisation_id`'s events that ended in `month` (this month if
    None), against the plan of the contract that ran that month."""
    first = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    found = usage_statement.statement(db, organisation_id, first)
    zero = Decimal(0)
    return UsageOut(
        month=first.strftime("%Y-%m"),
        plan=None if found.plan is None else found.plan.code,
        currency=None if found.plan is None else found.plan.currency,
        measures=[
            MeasureOut(
                measure=str(m.measure),
                used=m.used,
                included=m.included,
                over=m.over,
                unit_price=m.unit_price,
                amount=m.amount,
            )
            for m in found.measures
        ],
        events=[
            EventUsageOut(
                event_id=e.event_id,
                title=e.title,
                listener_hours=e.used.get(Measure.LISTENER_HOURS, zero),
                interpreter_hours=e.used.get(Measure.INTERPRETER_HOURS, zero),
                languages=int(e.used.get(Measure.LANGUAGES, zero)),
                recording_gb=e.used.get(Measure.RECORDING_GB, zero),
            )
            for e in found.events
        ],
        amount_over_plan=found.amount_over_plan,
    )


@router.get("/{organisation_id}/usage", response_model=UsageOut)
def get_usage(
    organisation_id: PathId, user: UserDep, platform: PlatformDep, month: Month = None
) -> UsageOut:
    """What the organisation's events used in a month, per event and against its plan
    (owners). An event counts once it has ended and been metered (within the retention
    run's interval)."""
    today = platform.clock.now().date()
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        return usage_out(db, organisation_id, month, today)
