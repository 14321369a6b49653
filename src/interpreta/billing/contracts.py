"""Plans and contracts: a customer on a plan, its terms renewing, and its closure.

A contract starts on a day and runs for a term (12 months, say); one that renews runs
another term at each end until it is closed. Closing sets its end (by default the end
of the term it is in) and, on the organisation, the contract's end that starts the P08
clock (the account's identity data goes then). Closing the account as well starts the
clocks of P08's other account data and of P10 (commercial data, five years): the
organisation's ``closed_at``. The organisation's ``plan``, ``contract_start`` and
``contract_end`` mirror its current contract, for the pages and the retention anchors
that read them.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from interpreta.accounts.actions import close_organisation
from interpreta.accounts.models import Organisation
from interpreta.billing.document import COUNTRIES
from interpreta.billing.models import BillingAddress, Contract, Plan
from interpreta.billing.vat import InvalidVatId, normalise_vat_id
from interpreta.datamap.activities import BILLING
from interpreta.errors import conflict, invalid
from interpreta.i18n.catalogues import gettext
from interpreta.i18n.locales import supported
from interpreta.privacy.processing import runs_in

__all__ = [
    "add_months",
    "close",
    "create_plan",
    "current",
    "for_period",
    "in_force",
    "retire_plan",
    "set_billing_address",
    "start",
    "term_end",
]


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def term_end(contract: Contract, today: date) -> date:
    """The last day of the term `contract` is in on `today` (of its first term, before it
    starts; of its last, once a contract that does not renew has run out)."""
    terms = 1
    while contract.renews and add_months(contract.starts_on, terms * contract.term_months) <= today:
        terms += 1
    end = add_months(contract.starts_on, terms * contract.term_months)
    return date.fromordinal(end.toordinal() - 1)


def in_force(today: date) -> ColumnElement[bool]:
    """Whether a contract is still running on `today`: not closed, or closed to end on
    or after it (notice given, term not over)."""
    return or_(Contract.closed_at.is_(None), Contract.ends_on >= today)


@runs_in(BILLING)
def current(db: Session, organisation_id: int, today: date) -> Contract | None:
    """The organisation's contract running on `today` (the latest to start), if any."""
    return db.scalar(
        select(Contract)
        .where(Contract.organisation_id == organisation_id, in_force(today))
        .order_by(Contract.starts_on.desc(), Contract.id.desc())
        .limit(1)
    )


@runs_in(BILLING)
def for_period(db: Session, organisation_id: int, first: date, last: date) -> Contract | None:
    """The organisation's contract running during the days `first` to `last` (the latest
    to start, if several did), if any: a month's plan for its usage and invoice. A
    contract that does not renew runs until the end of its term."""
    candidates = db.scalars(
        select(Contract)
        .where(
            Contract.organisation_id == organisation_id,
            Contract.starts_on <= last,
            in_force(first),
        )
        .order_by(Contract.starts_on.desc(), Contract.id.desc())
    )
    return next((c for c in candidates if c.renews or term_end(c, first) >= first), None)


@runs_in(BILLING)
def create_plan(
    db: Session,
    *,
    code: str,
    name: str,
    currency: str,
    monthly_fee: Decimal,
    included: tuple[int, int, int, int],
    prices: tuple[Decimal, Decimal, Decimal],
    support_hours: tuple[int, int],
    now: datetime,
) -> Plan:
    """A new plan: `included` listener hours, interpreter hours, languages and storage GB
    a month; `prices` of a listener hour, an interpreter hour and a GB-month beyond them;
    `support_hours` to the first answer and to resolution, in business hours.

    :raises Problem: 409 when the code is taken.
    """
    if db.scalar(select(Plan.id).where(Plan.code == code)) is not None:
        raise conflict(gettext("A plan with that code exists."), "code")
    plan = Plan(
        code=code,
        name=name,
        currency=currency,
        monthly_fee=monthly_fee,
        included_listener_hours=included[0],
        included_interpreter_hours=included[1],
        included_languages=included[2],
        included_storage_gb=included[3],
        listener_hour_price=prices[0],
        interpreter_hour_price=prices[1],
        storage_gb_price=prices[2],
        first_response_hours=support_hours[0],
        resolution_hours=support_hours[1],
        active=True,
        created_at=now,
    )
    db.add(plan)
    db.flush()
    return plan


def retire_plan(plan: Plan) -> None:
    """Offer `plan` no more: no new contract is put on it, and the contracts on it keep
    it, renewals included (their terms are what was signed).

    :raises Problem: 409 when it is retired already.
    """
    if not plan.active:
        raise conflict(gettext("That plan is no longer offered."), "plan")
    plan.active = False


@runs_in(BILLING)
def start(
    db: Session,
    organisation: Organisation,
    plan: Plan,
    *,
    starts_on: date,
    term_months: int,
    renews: bool,
    now: datetime,
) -> Contract:
    """Put `organisation` on `plan` from `starts_on`.

    :raises Problem: 409 when it has a contract that is not closed, or the account or
        the plan is closed; 422 for a term that is not 1 to 60 months.
    """
    if organisation.closed_at is not None:
        raise conflict(gettext("The customer account is closed."))
    if not plan.active:
        raise conflict(gettext("That plan is no longer offered."), "plan")
    if not 1 <= term_months <= 60:
        raise invalid("term_months", gettext("A term is 1 to 60 months."))
    running = current(db, organisation.id, starts_on)
    if running is not None and (running.closed_at is None or running.ends_on is None):
        raise conflict(gettext("Close the customer's current contract first."))
    if running is not None:
        raise conflict(gettext("Start the new contract after the current one ends."))
    contract = Contract(
        organisation_id=organisation.id,
        plan=plan,
        starts_on=starts_on,
        term_months=term_months,
        renews=renews,
        created_at=now,
    )
    db.add(contract)
    organisation.plan = plan.code
    organisation.contract_start = starts_on
    organisation.contract_end = None if renews else term_end(contract, starts_on)
    db.flush()
    return contract


@runs_in(BILLING)
def close(
    db: Session,
    organisation: Organisation,
    contract: Contract,
    *,
    reason: str,
    now: datetime,
    ends_on: date | None = None,
    close_account: bool = False,
) -> Contract:
    """Close `contract`: it ends on `ends_on` (by default the end of its current term),
    and with it the P08 clock of the account's identity data starts; `close_account`
    closes the customer account too (P08's other data and P10), once the contract has
    ended.

    :raises Problem: 409 when it is closed already; 422 for an end before its start,
        or closing the account before the contract has ended.
    """
    if contract.closed_at is not None:
        raise conflict(gettext("The contract is closed already."))
    end = ends_on or term_end(contract, now.date())
    if end < contract.starts_on:
        raise invalid("ends_on", gettext("A contract cannot end before it starts."))
    if close_account and end > now.date():
        raise invalid("close_account", gettext("Close the account once the contract has ended."))
    contract.ends_on = end
    contract.closure_reason = reason.strip() or None
    contract.closed_at = now
    organisation.contract_end = end
    if close_account:
        close_organisation(organisation, now)
    db.flush()
    return contract


@runs_in(BILLING)
def set_billing_address(
    db: Session,
    organisation: Organisation,
    *,
    street: str,
    postcode: str,
    city: str,
    country: str,
    vat_id: str | None,
    language: str,
    now: datetime,
) -> BillingAddress:
    """Record where `organisation`'s invoices go (issued ones keep the address they were
    sent to).

    :raises Problem: 422 for an unknown country or language, or a VAT ID that is not a
        valid one of the country.
    """
    country = country.strip().upper()
    if country not in COUNTRIES:
        raise invalid("country", gettext("Choose a country by its two-letter code."))
    if supported(language) != language:
        raise invalid("language", gettext("Choose one of the platform's languages."))
    compact = None
    if vat_id and vat_id.strip():
        try:
            compact = normalise_vat_id(vat_id, country)
        except InvalidVatId:
            raise invalid("vat_id", gettext("That is not a valid VAT ID of the country.")) from None
    address = db.get(BillingAddress, organisation.id)
    if address is None:
        address = BillingAddress(organisation_id=organisation.id)
        db.add(address)
    address.street = street.strip()
    address.postcode = postcode.strip()
    address.city = city.strip()
    address.country = country
    address.vat_id = compact
    address.language = language
    address.updated_at = now
    db.flush()
    return address
