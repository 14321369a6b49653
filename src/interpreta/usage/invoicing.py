"""A month's invoice from its usage: the plan's monthly fee and what was used beyond the
plan, at the plan's prices, in the customer's invoice language.

One invoice per customer and month: a second is refused (a correction is a credit note
and a new invoice by hand). The invoice is issued in the caller's transaction, so a
failure leaves no number taken and nothing half-written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.billing import contracts, invoices
from interpreta.billing.invoices import LineInput
from interpreta.billing.models import BillingAddress, Invoice, InvoiceKind, Plan
from interpreta.config import Settings
from interpreta.errors import conflict
from interpreta.i18n.catalogues import N_, gettext
from interpreta.i18n.locales import long_month, speaking
from interpreta.usage import allowance, metering
from interpreta.usage.models import Measure

__all__ = ["bill_month", "lines_for"]

_BEYOND = {
    Measure.LISTENER_HOURS: (N_("Listener hours beyond the plan"), "HUR"),
    Measure.INTERPRETER_HOURS: (N_("Interpreter hours beyond the plan"), "HUR"),
    Measure.RECORDING_GB: (N_("Recording storage beyond the plan (GB)"), "GBM"),
}


def lines_for(plan: Plan, month: date, used: list[allowance.Allowance]) -> list[LineInput]:
    """The plan's fee for `month` and a line for each measure used beyond the plan."""
    fee = gettext("Plan %(plan)s, %(month)s", plan=plan.name, month=long_month(month))
    lines = [LineInput(fee, Decimal(1), "MON", plan.monthly_fee)]
    for item in used:
        if item.measure in _BEYOND and item.over > 0 and item.unit_price:
            text, unit = _BEYOND[item.measure]
            lines.append(LineInput(gettext(text), item.over, unit, item.unit_price))
    return lines


def bill_month(
    db: Session, settings: Settings, organisation: Organisation, month: date, now: datetime
) -> Invoice:
    """Issue `organisation`'s invoice for `month` (its first day): the fee of the plan of
    the contract that ran that month and the usage beyond it. Events due for metering
    are metered first, so none of the month is left out.

    :raises Problem: 409 without a contract that month, when the month is not over or
        was invoiced already, when the plan is priced in another currency than the
        invoices, or without a billing address.
    """
    last = contracts.add_months(month, 1) - timedelta(days=1)
    if last >= now.date():
        raise conflict(gettext("Bill a month once it is over."), "month")
    # one month's invoice at a time per customer (two clerks at once: the second waits)
    db.execute(select(Organisation.id).where(Organisation.id == organisation.id).with_for_update())
    contract = contracts.for_period(db, organisation.id, month, last)
    if contract is None:
        raise conflict(gettext("The customer had no contract that month."), "month")
    if contract.plan.currency != settings.invoice_currency:
        raise conflict(
            gettext(
                "The plan is priced in %(plan)s, the invoices in %(invoices)s.",
                plan=contract.plan.currency,
                invoices=settings.invoice_currency,
            ),
            "month",
        )
    invoiced = select(Invoice.id).where(
        Invoice.organisation_id == organisation.id,
        Invoice.kind == InvoiceKind.INVOICE,
        Invoice.period_start == month,
        Invoice.period_end == last,
    )
    if db.scalar(invoiced.limit(1)) is not None:
        raise conflict(gettext("That month is invoiced already."), "month")
    metering.meter_customer(db, organisation.id, now)
    used = allowance.against_plan(
        metering.monthly(db, organisation.id, month).totals, contract.plan
    )
    address = db.get(BillingAddress, organisation.id)
    with speaking(address.language if address is not None else settings.operator_language):
        lines = lines_for(contract.plan, month, used)
    return invoices.issue(db, settings, organisation, lines, now=now, period=(month, last))
