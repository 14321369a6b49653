"""Contracts: terms that renew, one open contract a customer, closure that starts the
retention clocks, and billing addresses checked as they are entered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from interpreta.accounts.models import Organisation, OrganisationStatus
from interpreta.billing import contracts
from interpreta.billing.models import BillingAddress, Contract
from interpreta.clock import FrozenClock
from interpreta.errors import Problem
from interpreta.platform import Platform
from tests.billing.conftest import Customer


def _contract(platform: Platform, contract_id: int) -> Contract:
    with platform.sessions() as db:
        found = db.get(Contract, contract_id)
        assert found is not None
        db.expunge(found)
        return found


def _organisation(platform: Platform, customer: Customer) -> Organisation:
    with platform.sessions() as db:
        found = customer.organisation(db)
        db.expunge(found)
        return found


@pytest.mark.parametrize(
    ("today", "renews", "end"),
    [
        (date(2026, 1, 31), True, date(2026, 12, 31)),
        (date(2026, 12, 31), True, date(2026, 12, 31)),
        (date(2027, 1, 1), True, date(2027, 12, 31)),
        (date(2029, 6, 1), True, date(2029, 12, 31)),
        (date(2029, 6, 1), False, date(2026, 12, 31)),
        (date(2025, 6, 1), True, date(2026, 12, 31)),
    ],
)
def test_a_term_renews_while_the_contract_does(today: date, renews: bool, end: date) -> None:
    contract = Contract(starts_on=date(2026, 1, 1), term_months=12, renews=renews)
    assert contracts.term_end(contract, today) == end


def test_months_end_on_the_months_last_day() -> None:
    assert contracts.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert contracts.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert contracts.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_a_contract_puts_the_customer_on_its_plan(platform: Platform, customer: Customer) -> None:
    contract_id = customer.contract(date(2026, 12, 1), term_months=12, renews=False)
    organisation = _organisation(platform, customer)
    assert (organisation.plan, organisation.contract_start) == ("standard", date(2026, 12, 1))
    assert organisation.contract_end == date(2027, 11, 30)  # a fixed term ends by itself
    assert _contract(platform, contract_id).closed_at is None
    with pytest.raises(Problem) as second:
        customer.contract(date(2027, 1, 1))
    assert second.value.status == 409


def test_closing_ends_the_term_and_starts_the_clocks(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    contract_id = customer.contract(date(2026, 1, 1))
    assert _organisation(platform, customer).contract_end is None  # renews: no end yet
    customer.close(contract_id)
    contract = _contract(platform, contract_id)
    assert contract.ends_on == date(2026, 12, 31)  # the end of the term it is in
    assert contract.closure_reason == "moved to another provider"
    organisation = _organisation(platform, customer)
    assert organisation.contract_end == date(2026, 12, 31)  # P08's clock
    assert organisation.closed_at is None and organisation.status is OrganisationStatus.ACTIVE

    with pytest.raises(Problem) as again:
        customer.close(contract_id)
    assert again.value.status == 409
    clock.advance(timedelta(days=40))
    second = customer.contract(date(2027, 1, 1))
    with pytest.raises(Problem) as early:
        customer.close(second, ends_on=date(2027, 12, 31), account=True)
    assert early.value.status == 422 and early.value.errors[0].field == "close_account"
    customer.close(second, ends_on=clock.now().date(), account=True)
    organisation = _organisation(platform, customer)
    assert organisation.closed_at == clock.now()  # P08's other data and P10's clock
    assert organisation.status is OrganisationStatus.CLOSED
    with pytest.raises(Problem) as closed:
        customer.contract(date(2027, 3, 1))
    assert closed.value.status == 409


def test_a_contract_cannot_end_before_it_starts(platform: Platform, customer: Customer) -> None:
    contract_id = customer.contract(date(2027, 3, 1))
    with pytest.raises(Problem) as refused:
        customer.close(contract_id, ends_on=date(2027, 2, 28))
    assert refused.value.status == 422
    assert _contract(platform, contract_id).closed_at is None  # nothing half-done


def test_a_billing_address_keeps_a_checked_vat_id(platform: Platform, customer: Customer) -> None:
    customer.address("FR", vat_id="fr 40 303 265 045", language="fr")
    with platform.sessions() as db:
        address = db.scalars(select(BillingAddress)).one()
        assert (address.country, address.vat_id, address.language) == (
            "FR",
            "FR40303265045",
            "fr",
        )


@pytest.mark.parametrize(
    ("country", "vat_id", "language", "field"),
    [
        ("XX", None, "en", "country"),
        ("EU", None, "en", "country"),
        ("Germany", None, "en", "country"),
        ("DE", "DE136695977", "en", "vat_id"),
        ("DE", "FR40303265045", "en", "vat_id"),
        ("DE", None, "pt", "language"),
    ],
)
def test_a_bad_billing_address_is_refused(
    platform: Platform,
    customer: Customer,
    country: str,
    vat_id: str | None,
    language: str,
    field: str,
) -> None:
    with pytest.raises(Problem) as refused:
        customer.address(country, vat_id=vat_id, language=language)
    assert refused.value.status == 422
    assert [e.field for e in refused.value.errors] == [field]
    with platform.sessions() as db:
        assert db.scalars(select(BillingAddress)).all() == []


def test_a_contract_closed_to_end_later_runs_until_then(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    """Notice given is not the end: the contract, its plan and its support targets stay
    until the term is over, and the next contract starts after it."""
    contract_id = customer.contract(date(2026, 1, 1))
    customer.close(contract_id)  # the end of its term: 31 December 2026
    with platform.sessions() as db:
        running = contracts.current(db, customer.organisation_id, clock.now().date())
        assert running is not None and running.id == contract_id
        assert contracts.current(db, customer.organisation_id, date(2027, 1, 1)) is None
    with pytest.raises(Problem) as overlapping:
        customer.contract(date(2026, 12, 15))
    assert overlapping.value.status == 409
    assert customer.contract(date(2027, 1, 1)) != contract_id
