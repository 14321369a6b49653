"""The operator's billing desk: plans, contracts, invoices, credit notes and payments,
and the receivables queue (what is open and what is overdue).

Only staff with the billing or admin role (two-factor sign-in on) reach it; everyone
else gets 404, as if it did not exist. Every change is written to the audit trail under
the staff member's pseudonym.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from interpreta.accounts.models import Organisation
from interpreta.api import staff_audit
from interpreta.api.billing import (
    MONTH,
    ContractOut,
    InvoiceOut,
    Month,
    PlanOut,
    UsageOut,
    contract_out,
    invoice_out,
    invoices_out,
    pdf_response,
    usage_out,
)
from interpreta.api.dependencies import (
    BILLING_STAFF,
    PlatformDep,
    UserDep,
    require_staff,
    row_or_404,
    within,
)
from interpreta.api.inputs import Day, Input, PathId, RowId
from interpreta.billing import contracts, invoices
from interpreta.billing.invoices import UNITS, LineInput
from interpreta.billing.models import Contract, Invoice, InvoiceKind, Plan
from interpreta.datamap.activities import ACCOUNTING, BILLING
from interpreta.errors import invalid, not_found
from interpreta.i18n.catalogues import N_, gettext
from interpreta.usage import invoicing

router = APIRouter(prefix="/api/staff", tags=["staff: billing"], dependencies=[within(BILLING)])

PLAN_CODE = r"^[a-z0-9][a-z0-9-]*$"
"""A plan's code: lower-case letters, digits and dashes (at most 40)."""

Amount = Annotated[Decimal, Field(ge=0, le=1_000_000, max_digits=14, decimal_places=4)]


class PlanIn(Input):
    """A new plan."""

    code: str = Field(min_length=1, max_length=40, pattern=PLAN_CODE)
    name: str = Field(min_length=1, max_length=100)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    monthly_fee: Decimal = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=2)
    included_listener_hours: int = Field(ge=0, le=10_000_000)
    included_interpreter_hours: int = Field(ge=0, le=1_000_000)
    included_languages: int = Field(ge=1, le=100)
    included_storage_gb: int = Field(ge=0, le=1_000_000)
    listener_hour_price: Amount
    interpreter_hour_price: Amount
    storage_gb_price: Amount
    first_response_hours: int = Field(ge=1, le=720)
    resolution_hours: int = Field(ge=1, le=2_000)


class ContractIn(Input):
    """Put the customer on a plan."""

    plan: str = Field(min_length=1, max_length=40)
    starts_on: Day
    term_months: int = Field(default=12, ge=1, le=60)
    renews: bool = True


class ClosureIn(Input):
    """Close a contract: at the end of its current term unless a day is given."""

    reason: str = Field(min_length=1, max_length=200)
    ends_on: Day | None = None
    close_account: bool = False


class LineIn(Input):
    """A line to bill."""

    description: str = Field(min_length=1, max_length=300)
    quantity: Decimal = Field(gt=0, le=1_000_000, max_digits=10, decimal_places=3)
    unit: Literal["HUR", "MON", "C62", "GBM"] = Field(
        description=f"UN/ECE unit code, one of {', '.join(UNITS)}"
    )
    unit_price: Amount


class InvoiceIn(Input):
    """An invoice to issue now."""

    lines: list[LineIn] = Field(min_length=1, max_length=200)
    period_start: Day | None = None
    period_end: Day | None = None


class CreditIn(Input):
    """A credit note: for every line of the invoice, or those named."""

    line_ids: list[RowId] | None = Field(default=None, min_length=1, max_length=200)


class PaymentIn(Input):
    """A payment received, by its processor's reference (never a card or account number)."""

    amount: Decimal = Field(gt=0, le=100_000_000, max_digits=14, decimal_places=2)
    received_on: Day
    processor: str = Field(min_length=1, max_length=40)
    reference: str = Field(min_length=1, max_length=100)


class MonthIn(Input):
    """A month that is over, to invoice."""

    month: str = Field(pattern=MONTH, description="YYYY-MM")


class PaymentOut(BaseModel):
    """A payment as recorded."""

    id: int
    invoice: str
    amount: Decimal
    received_on: date
    processor: str
    reference: str


def _organisation(db: Session, organisation_id: int) -> Organisation:
    return row_or_404(db, Organisation, organisation_id, N_("organisation"))


def _invoice(db: Session, invoice_id: int) -> Invoice:
    return row_or_404(db, Invoice, invoice_id, N_("invoice"))


@router.get("/plans", response_model=list[PlanOut])
def list_plans(user: UserDep, platform: PlatformDep) -> list[PlanOut]:
    """Every plan offered."""
    require_staff(user, BILLING_STAFF)
    with platform.sessions() as db:
        return [
            PlanOut.model_validate(plan, from_attributes=True)
            for plan in db.scalars(select(Plan).where(Plan.active).order_by(Plan.code))
        ]


@router.post("/plans", status_code=201, response_model=PlanOut)
def create_plan(body: PlanIn, user: UserDep, platform: PlatformDep) -> PlanOut:
    """Offer a new plan."""
    require_staff(user, BILLING_STAFF)
    with platform.transaction() as db:
        plan = contracts.create_plan(
            db,
            code=body.code,
            name=body.name,
            currency=body.currency,
            monthly_fee=body.monthly_fee,
            included=(
                body.included_listener_hours,
                body.included_interpreter_hours,
                body.included_languages,
                body.included_storage_gb,
            ),
            prices=(body.listener_hour_price, body.interpreter_hour_price, body.storage_gb_price),
            support_hours=(body.first_response_hours, body.resolution_hours),
            now=platform.clock.now(),
        )
        staff_audit.record(
            db, platform, user, "billing.plan.create", f"plan:{plan.id}", code=plan.code
        )
        return PlanOut.model_validate(plan, from_attributes=True)


PlanCode = Annotated[str, Path(min_length=1, max_length=40, pattern=PLAN_CODE)]


@router.post("/plans/{plan_code}/retire", response_model=PlanOut)
def retire_plan(plan_code: PlanCode, user: UserDep, platform: PlatformDep) -> PlanOut:
    """Offer a plan no more: new contracts cannot take it; those on it keep it."""
    require_staff(user, BILLING_STAFF)
    with platform.transaction() as db:
        plan = db.scalar(select(Plan).where(Plan.code == plan_code))
        if plan is None:
            raise not_found(N_("plan"))
        contracts.retire_plan(plan)
        staff_audit.record(
            db, platform, user, "billing.plan.retire", f"plan:{plan.id}", code=plan.code
        )
        return PlanOut.model_validate(plan, from_attributes=True)


@router.post(
    "/organisations/{organisation_id}/contracts", status_code=201, response_model=ContractOut
)
def start_contract(
    organisation_id: PathId, body: ContractIn, user: UserDep, platform: PlatformDep
) -> ContractOut:
    """Put a customer on a plan."""
    require_staff(user, BILLING_STAFF)
    now = platform.clock.now()
    with platform.transaction() as db:
        organisation = _organisation(db, organisation_id)
        plan = db.scalar(select(Plan).where(Plan.code == body.plan))
        if plan is None:
            raise invalid("plan", gettext("No plan has that code."))
        contract = contracts.start(
            db,
            organisation,
            plan,
            starts_on=body.starts_on,
            term_months=body.term_months,
            renews=body.renews,
            now=now,
        )
        staff_audit.record(db, platform, user, "billing.contract.start", f"contract:{contract.id}")
        return contract_out(contract, now.date())


@router.post("/contracts/{contract_id}/close", response_model=ContractOut)
def close_contract(
    contract_id: PathId, body: ClosureIn, user: UserDep, platform: PlatformDep
) -> ContractOut:
    """Close a contract (and the customer account with it, once it has ended)."""
    require_staff(user, BILLING_STAFF)
    now = platform.clock.now()
    with platform.transaction() as db:
        contract = db.get(Contract, contract_id)
        if contract is None:
            raise not_found(N_("contract"))
        contracts.close(
            db,
            _organisation(db, contract.organisation_id),
            contract,
            reason=body.reason,
            ends_on=body.ends_on,
            close_account=body.close_account,
            now=now,
        )
        staff_audit.record(
            db,
            platform,
            user,
            "billing.contract.close",
            f"contract:{contract.id}",
            account_closed=body.close_account,
        )
        return contract_out(contract, now.date())


@router.post(
    "/organisations/{organisation_id}/invoices",
    status_code=201,
    response_model=InvoiceOut,
    dependencies=[within(ACCOUNTING)],
)
def issue_invoice(
    organisation_id: PathId, body: InvoiceIn, user: UserDep, platform: PlatformDep
) -> InvoiceOut:
    """Issue an invoice now: numbered, rendered and final."""
    require_staff(user, BILLING_STAFF)
    if (body.period_start is None) != (body.period_end is None):
        raise invalid("period_end", gettext("Give both ends of the period, or neither."))
    period = None
    if body.period_start is not None and body.period_end is not None:
        period = (body.period_start, body.period_end)
    now = platform.clock.now()
    lines = [LineInput(x.description, x.quantity, x.unit, x.unit_price) for x in body.lines]
    with platform.transaction() as db:
        invoice = invoices.issue(
            db,
            platform.settings,
            _organisation(db, organisation_id),
            lines,
            now=now,
            period=period,
        )
        staff_audit.record(
            db,
            platform,
            user,
            "billing.invoice.issue",
            f"invoice:{invoice.id}",
            number=invoice.number,
        )
        return invoice_out(db, invoice, now.date())


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=201,
    response_model=InvoiceOut,
    dependencies=[within(ACCOUNTING)],
)
def credit_invoice(
    invoice_id: PathId, body: CreditIn, user: UserDep, platform: PlatformDep
) -> InvoiceOut:
    """Correct an invoice with a credit note (an issued invoice is never edited)."""
    require_staff(user, BILLING_STAFF)
    now = platform.clock.now()
    with platform.transaction() as db:
        note = invoices.credit(
            db, platform.settings, _invoice(db, invoice_id), line_ids=body.line_ids, now=now
        )
        staff_audit.record(
            db,
            platform,
            user,
            "billing.invoice.credit",
            f"invoice:{invoice_id}",
            credit_note=note.number,
        )
        return invoice_out(db, note, now.date())


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=PaymentOut,
    dependencies=[within(ACCOUNTING)],
)
def record_payment(
    invoice_id: PathId, body: PaymentIn, user: UserDep, platform: PlatformDep
) -> PaymentOut:
    """Record a payment received against an invoice."""
    require_staff(user, BILLING_STAFF)
    with platform.transaction() as db:
        invoice = _invoice(db, invoice_id)
        payment = invoices.record_payment(
            db,
            invoice,
            amount=body.amount,
            received_on=body.received_on,
            processor=body.processor,
            reference=body.reference,
            now=platform.clock.now(),
        )
        staff_audit.record(db, platform, user, "billing.payment.record", f"invoice:{invoice.id}")
        return PaymentOut(
            id=payment.id,
            invoice=invoice.number,
            amount=payment.amount,
            received_on=payment.received_on,
            processor=payment.processor,
            reference=payment.reference,
        )


@router.get("/invoices", response_model=list[InvoiceOut], dependencies=[within(ACCOUNTING)])
def receivables(
    user: UserDep,
    platform: PlatformDep,
    status: Annotated[
        Literal["open", "overdue", "paid", "credited", "credit_note", "all"], Query()
    ] = "all",
    organisation_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[InvoiceOut]:
    """Invoices and credit notes, newest first: ``status=overdue`` is the dunning queue."""
    require_staff(user, BILLING_STAFF)
    today = platform.clock.now().date()
    with platform.sessions() as db:
        query = (
            select(Invoice)
            .options(defer(Invoice.pdf))
            .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        )
        if organisation_id is not None:
            query = query.where(Invoice.organisation_id == organisation_id)
        if status in ("open", "overdue", "paid", "credited"):
            query = query.where(Invoice.kind == InvoiceKind.INVOICE)
        listed = invoices_out(db, db.scalars(query).all(), today)
    return [x for x in listed if status in ("all", x.status)]


@router.get("/invoices/{invoice_id}.pdf", dependencies=[within(ACCOUNTING)])
def staff_invoice_pdf(invoice_id: PathId, user: UserDep, platform: PlatformDep) -> Any:
    """A document as it was issued."""
    require_staff(user, BILLING_STAFF)
    with platform.sessions() as db:
        return pdf_response(_invoice(db, invoice_id))


@router.get("/organisations/{organisation_id}/usage", response_model=UsageOut)
def usage(
    organisation_id: PathId, user: UserDep, platform: PlatformDep, month: Month = None
) -> UsageOut:
    """A customer's usage in a month, per event and against its plan."""
    require_staff(user, BILLING_STAFF)
    with platform.sessions() as db:
        _organisation(db, organisation_id)
        return usage_out(db, organisation_id, month, platform.clock.now().date())


@router.post(
    "/organisations/{organisation_id}/usage/invoice",
    status_code=201,
    response_model=InvoiceOut,
    dependencies=[within(ACCOUNTING)],
)
def invoice_usage(
    organisation_id: PathId, body: MonthIn, user: UserDep, platform: PlatformDep
) -> InvoiceOut:
    """Invoice a month that is over: the plan's fee and the usage beyond the plan."""
    require_staff(user, BILLING_STAFF)
    now = platform.clock.now()
    with platform.transaction() as db:
        invoice = invoicing.bill_month(
            db,
            platform.settings,
            _organisation(db, organisation_id),
            date.fromisoformat(f"{body.month}-01"),
            now,
        )
        staff_audit.record(
            db,
            platform,
            user,
            "billing.invoice.issue",
            f"invoice:{invoice.id}",
            number=invoice.number,
            month=body.month,
        )
        return invoice_out(db, invoice, now.date())
