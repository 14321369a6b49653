"""A customer's month of usage as the customer and the billing desk see it: each event's
usage, the totals against the plan of the contract that ran that month, and what the
usage beyond the plan costs (net)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from interpreta.billing import contracts
from interpreta.billing.models import Plan
from interpreta.usage import allowance, metering

__all__ = ["Statement", "statement"]


@dataclass(frozen=True)
class Statement:
    """One month of a customer's usage."""

    month: date
    """The month's first day."""
    plan: Plan | None
    """The plan of the contract that ran that month (None: no contract)."""
    measures: list[allowance.Allowance]
    events: list[metering.EventUsage]

    @property
    def amount_over_plan(self) -> Decimal:
        """What the usage beyond the plan costs, net."""
        return sum((m.amount for m in self.measures), Decimal("0.00"))


def statement(db: Session, organisation_id: int, month: date) -> Statement:
    """The usage of `organisation_id`'s events that ended in `month` (its first day),
    against the plan of the contract that ran that month."""
    last = contracts.add_months(month, 1) - timedelta(days=1)
    found = metering.monthly(db, organisation_id, month)
    contract = contracts.for_period(db, organisation_id, month, last)
    plan = None if contract is None else contract.plan
    return Statement(month, plan, allowance.against_plan(found.totals, plan), found.events)
