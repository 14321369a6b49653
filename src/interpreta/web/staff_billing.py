"""The billing desk's pages: the receivables (open, overdue, paid, credited) with
payments and credit notes, and a customer's account: its contract, its usage in a month
against the plan, invoicing a month that is over, and its invoices.

Billing and admin staff only (:data:`~interpreta.web.staff_desk.BILLING_STAFF`);
everyone else, support staff included, gets 404. Each form calls the billing API's
operation (:mod:`interpreta.api.staff_billing`), so a change made here is validated and
audited as one made from a client. The invoices' documents are the API's PDFs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from interpreta.accounts.models import Organisation, OrganisationStatus, User
from interpreta.api import staff_billing
from interpreta.api.billing import MONTH, contract_out
from interpreta.api.dependencies import PlatformDep, within
from interpreta.api.inputs import PathId
from interpreta.billing import contracts
from interpreta.billing.models import Contract, Invoice
from interpreta.datamap.activities import ACCOUNTING, BILLING
from interpreta.errors import Problem, not_found
from interpreta.i18n.catalogues import N_
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.usage.models import Measure
from interpreta.web.forms import given
from interpreta.web.staff_desk import (
    BillingUser,
    belongs_to,
    customer_search,
    customers,
    no_such_page,
    render_desk,
    submit,
)

router = APIRouter(include_in_schema=False, dependencies=[within(BILLING)])

QUEUES = {
    "open": N_("Open"),
    "overdue": N_("Overdue"),
    "paid": N_("Paid"),
    "credited": N_("Credited"),
    "credit_note": N_("Credit notes"),
    "all": N_("All"),
}
"""The receivables' queues, by the status the API filters on."""

LABELS = {
    "open": N_("open"),
    "overdue": N_("overdue"),
    "paid": N_("paid"),
    "credited": N_("credited"),
    "credit_note": N_("credit note"),
    Measure.LISTENER_HOURS.value: N_("listener hours"),
    Measure.INTERPRETER_HOURS.value: N_("interpreter hours"),
    Measure.LANGUAGES.value: N_("languages"),
    Measure.RECORDING_GB.value: N_("recordings (GB)"),
}
"""Every value the desk shows in words: an invoice's state, a measure of usage."""


def _names(platform: Platform, organisation_ids: set[int]) -> dict[int, str]:
    if not organisation_ids:
        return {}
    with platform.sessions() as db:
        query = select(Organisation.id, Organisation.name)
        rows = db.execute(query.where(Organisation.id.in_(organisation_ids)))
        return {id: name for id, name in rows}


def _receivables_page(
    request: Request,
    user: User,
    platform: Platform,
    queue: str,
    search: str = "",
    *,
    error: str = "",
    status: int = 200,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    shown = queue if queue in QUEUES else "open"
    with processing(ACCOUNTING):
        listed = staff_billing.receivables(user, platform, shown)  # type: ignore[arg-type]
    return render_desk(
        request,
        "staff_billing.html",
        user,
        status_code=status,
        queue=shown,
        queues=QUEUES,
        invoices=listed,
        names=_names(platform, {i.organisation_id for i in listed if i.organisation_id}),
        customers=customers(platform, search),
        search=search,
        plans=staff_billing.list_plans(user, platform),
        plan_fields=PLAN_FIELDS,
        entered=entered,
        today=platform.clock.now().date(),
        labels=LABELS,
        error=error,
    )


@router.get("/staff/billing", response_class=HTMLResponse)
def billing_desk(
    request: Request,
    user: BillingUser,
    platform: PlatformDep,
    status: str = "open",
    q: str = "",
) -> Response:
    """The receivables in one queue (open by default; ``overdue`` is the dunning queue)
    and the customers, found by name."""
    try:
        search = customer_search(q)
    except Problem as problem:
        return _receivables_page(request, user, platform, status, error=problem.detail, status=422)
    return _receivables_page(request, user, platform, status, search)


PLAN_FIELDS = (
    ("included_listener_hours", N_("Listener hours included"), "1"),
    ("included_interpreter_hours", N_("Interpreter hours included"), "1"),
    ("included_languages", N_("Languages included"), "1"),
    ("included_storage_gb", N_("Recordings storage included (GB)"), "1"),
    ("listener_hour_price", N_("Price of a listener hour beyond the plan"), "0.0001"),
    ("interpreter_hour_price", N_("Price of an interpreter hour beyond the plan"), "0.0001"),
    ("storage_gb_price", N_("Price of a GB-month beyond the plan"), "0.0001"),
    ("first_response_hours", N_("Support's first response within (business hours)"), "1"),
    ("resolution_hours", N_("Support's resolution within (business hours)"), "1"),
)
"""The numbers a new plan is given, beyond its code, name, currency and fee: the field,
its label (marked with ``N_``) and the step its input takes."""


@router.post("/staff/billing/plans", response_class=HTMLResponse)
async def offer_plan(request: Request, user: BillingUser, platform: PlatformDep) -> Response:
    """Offer a new plan (:func:`staff_billing.create_plan`); the desk again with the
    refusal, and what was typed, when it is refused."""
    form = await request.form()
    names = ("code", "name", "currency", "monthly_fee", *(name for name, _, _ in PLAN_FIELDS))
    entered = {name: str(form.get(name) or "").strip() for name in names}

    def change() -> None:
        body = staff_billing.PlanIn.model_validate(entered)
        staff_billing.create_plan(body, user, platform)

    def refused(status: int, message: str) -> Response:
        return _receivables_page(
            request, user, platform, "open", error=message, status=status, entered=entered
        )

    return await run_in_threadpool(submit, change, refused, "/staff/billing#plans-heading")


@router.post("/staff/billing/plans/{plan_code}/retire", response_class=HTMLResponse)
def retire_plan(
    request: Request, plan_code: str, user: BillingUser, platform: PlatformDep
) -> Response:
    """Offer a plan no more (:func:`staff_billing.retire_plan`); the contracts on it
    keep it."""

    def change() -> None:
        if len(plan_code) > 40 or not re.fullmatch(staff_billing.PLAN_CODE, plan_code):
            raise not_found(N_("plan"))
        staff_billing.retire_plan(plan_code, user, platform)

    def refused(status: int, message: str) -> Response:
        return _receivables_page(request, user, platform, "open", error=message, status=status)

    return submit(change, refused, "/staff/billing#plans-heading")


def _customer_page(
    request: Request,
    user: User,
    platform: Platform,
    organisation_id: int,
    month: str = "",
    *,
    error: str = "",
    status: int = 200,
    failed: str = "",
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    asked = month if re.fullmatch(MONTH, month) else None
    today = platform.clock.now().date()
    try:
        usage = staff_billing.usage(organisation_id, user, platform, asked)
    except Problem:  # no such customer
        return no_such_page(request, user)
    with platform.sessions() as db:
        organisation = db.get_one(Organisation, organisation_id)
        contract = contracts.current(db, organisation_id, today)
        shown = None if contract is None else contract_out(contract, today)
        name, closed = organisation.name, organisation.status is OrganisationStatus.CLOSED
    with processing(ACCOUNTING):
        listed = staff_billing.receivables(user, platform, "all", organisation_id)
    return render_desk(
        request,
        "staff_billing_customer.html",
        user,
        status_code=status,
        organisation_id=organisation_id,
        customer=name,
        closed=closed,
        contract=shown,
        plans=staff_billing.list_plans(user, platform),
        usage=usage,
        invoices=listed,
        today=today,
        month_over=usage.month < today.strftime("%Y-%m"),
        labels=LABELS,
        error=error,
        failed=failed,
        entered=entered or {},
    )


@router.get("/staff/billing/organisations/{organisation_id}", response_class=HTMLResponse)
def customer_account(
    request: Request,
    organisation_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
    month: str = "",
) -> Response:
    """A customer's contract, its usage in `month` (``YYYY-MM``; this month by default)
    against its plan, and its invoices."""
    return _customer_page(request, user, platform, organisation_id, month)


def _on_customer(
    request: Request,
    user: User,
    platform: Platform,
    organisation_id: int,
    change: Callable[[], Any],
    month: str = "",
    failed: str = "",
    entered: dict[str, str] | None = None,
) -> Response:
    """Run `change` for the customer; back to their page, or the page with the refusal
    and what was `entered` in the form named `failed`."""

    def refused(status: int, message: str) -> Response:
        return _customer_page(
            request,
            user,
            platform,
            organisation_id,
            month,
            error=message,
            status=status,
            failed=failed,
            entered=entered,
        )

    query = f"?month={month}" if re.fullmatch(MONTH, month) else ""
    return submit(change, refused, f"/staff/billing/organisations/{organisation_id}{query}")


@router.post(
    "/staff/billing/organisations/{organisation_id}/contracts", response_class=HTMLResponse
)
def start_contract(
    request: Request,
    organisation_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
    plan: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    term_months: Annotated[str, Form()] = "12",
    renews: Annotated[str, Form()] = "",
) -> Response:
    """Put the customer on a plan."""

    def change() -> None:
        body = staff_billing.ContractIn.model_validate(
            {
                "plan": plan,
                "starts_on": starts_on,
                "term_months": term_months,
                "renews": bool(renews),
            }
        )
        staff_billing.start_contract(organisation_id, body, user, platform)

    entered = {"plan": plan, "starts_on": starts_on, "term_months": term_months, "renews": renews}
    return _on_customer(
        request, user, platform, organisation_id, change, failed="contract", entered=entered
    )


@router.post(
    "/staff/billing/organisations/{organisation_id}/contracts/{contract_id}/close",
    response_class=HTMLResponse,
)
def close_contract(
    request: Request,
    organisation_id: PathId,
    contract_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
    reason: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    close_account: Annotated[str, Form()] = "",
) -> Response:
    """Close the customer's contract, at the end of its term unless a day is given."""

    def change() -> None:
        body = staff_billing.ClosureIn.model_validate(
            {"reason": reason, "ends_on": given(ends_on), "close_account": bool(close_account)}
        )
        belongs_to(platform, Contract, contract_id, organisation_id, N_("contract"))
        staff_billing.close_contract(contract_id, body, user, platform)

    entered = {"reason": reason, "ends_on": ends_on, "close_account": close_account}
    return _on_customer(
        request, user, platform, organisation_id, change, failed="closure", entered=entered
    )


@router.post(
    "/staff/billing/organisations/{organisation_id}/usage/invoice", response_class=HTMLResponse
)
def invoice_month(
    request: Request,
    organisation_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
    month: Annotated[str, Form()] = "",
) -> Response:
    """Invoice a month that is over: the plan's fee and the usage beyond the plan."""

    def change() -> None:
        body = staff_billing.MonthIn.model_validate({"month": month})
        with processing(ACCOUNTING):
            staff_billing.invoice_usage(organisation_id, body, user, platform)

    return _on_customer(request, user, platform, organisation_id, change, month)


@router.post(
    "/staff/billing/organisations/{organisation_id}/invoices/{invoice_id}/payments",
    response_class=HTMLResponse,
)
def record_payment(
    request: Request,
    organisation_id: PathId,
    invoice_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
    amount: Annotated[str, Form()] = "",
    received_on: Annotated[str, Form()] = "",
    processor: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
) -> Response:
    """Record a payment received against one of the customer's invoices, by the payment
    processor's reference."""

    def change() -> None:
        body = staff_billing.PaymentIn.model_validate(
            {
                "amount": amount.strip(),
                "received_on": received_on,
                "processor": processor,
                "reference": reference,
            }
        )
        with processing(ACCOUNTING):
            belongs_to(platform, Invoice, invoice_id, organisation_id, N_("invoice"))
            staff_billing.record_payment(invoice_id, body, user, platform)

    # the reference is not shown again: a refused one may hold a card number
    entered = {"amount": amount, "received_on": received_on, "processor": processor}
    return _on_customer(
        request,
        user,
        platform,
        organisation_id,
        change,
        failed=f"payment-{invoice_id}",
        entered=entered,
    )


@router.post(
    "/staff/billing/organisations/{organisation_id}/invoices/{invoice_id}/credit-note",
    response_class=HTMLResponse,
)
def credit_invoice(
    request: Request,
    organisation_id: PathId,
    invoice_id: PathId,
    user: BillingUser,
    platform: PlatformDep,
) -> Response:
    """Credit every line of one of the customer's invoices (an issued invoice is never
    edited)."""

    def change() -> None:
        with processing(ACCOUNTING):
            belongs_to(platform, Invoice, invoice_id, organisation_id, N_("invoice"))
            staff_billing.credit_invoice(invoice_id, staff_billing.CreditIn(), user, platform)

    return _on_customer(request, user, platform, organisation_id, change)
