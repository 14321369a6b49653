"""A month's usage against the plan's allowance: what the plan includes, what was used
beyond it, and what that costs at the plan's prices (before VAT)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from interpreta.billing.invoices import money
from interpreta.billing.models import Plan
from interpreta.usage.models import Measure

__all__ = ["Allowance", "against_plan"]


@dataclass(frozen=True)
class Allowance:
    """One measure of a month: used, included, beyond the plan, and its price."""

    measure: Measure
    used: Decimal
    included: Decimal | None
    over: Decimal
    unit_price: Decimal | None
    amount: Decimal
    """What the usage beyond the plan costs, net (0 when the plan prices it at nothing
    or there is no plan)."""


def _limits(plan: Plan) -> dict[Measure, tuple[Decimal, Decimal | None]]:
    return {
        Measure.LISTENER_HOURS: (Decimal(plan.included_listener_hours), plan.listener_hour_price),
        Measure.INTERPRETER_HOURS: (
            Decimal(plan.included_interpreter_hours),
            plan.interpreter_hour_price,
        ),
        Measure.LANGUAGES: (Decimal(plan.included_languages), None),
        Measure.RECORDING_GB: (Decimal(plan.included_storage_gb), plan.storage_gb_price),
    }


def against_plan(totals: dict[Measure, Decimal], plan: Plan | None) -> list[Allowance]:
    """Each measure of `totals` against `plan` (None: no contract, nothing included)."""
    limits = {} if plan is None else _limits(plan)
    found = []
    for measure in Measure:
        used = totals.get(measure, Decimal(0))
        included, price = limits.get(measure, (None, None))
        over = used if included is None else max(Decimal(0), used - included)
        amount = money(over * price) if price is not None else Decimal("0.00")
        found.append(Allowance(measure, used, included, over, price, amount))
    return found
