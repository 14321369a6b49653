"""A customer ready to bill: an organisation with its billing contact and address, on a
plan, as the billing tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from interpreta.accounts.models import Organisation
from interpreta.billing import contracts, invoices
from interpreta.billing.invoices import LineInput
from interpreta.billing.models import Contract, Invoice, Plan
from interpreta.platform import Platform

CONTACT = "Lea Dvořák"
CONTACT_EMAIL = "lea.billing@example.org"


@dataclass
class Customer:
    """The organisation billed in a test, and what it was given."""

    platform: Platform
    organisation_id: int
    plan_id: int

    def address(self, country: str = "DE", vat_id: str | None = None, language: str = "en") -> None:
        """Give the customer a billing address in `country`."""
        with self.platform.transaction() as db:
            contracts.set_billing_address(
                db,
                self.organisation(db),
                street="Ulica Piotrkowska 12",
                postcode="90-001",
                city="Łódź" if country == "PL" else "Köln",
                country=country,
                vat_id=vat_id,
                language=language,
                now=self.platform.clock.now(),
            )

    def organisation(self, db: Session) -> Organisation:
        """The customer's organisation in `db`."""
        found = db.get(Organisation, self.organisation_id)
        assert found is not None
        return found

    def contract(self, starts_on: date, term_months: int = 12, renews: bool = True) -> int:
        """Put the customer on the plan from `starts_on`; the contract's id."""
        with self.platform.transaction() as db:
            plan = db.get(Plan, self.plan_id)
            assert plan is not None
            contract = contracts.start(
                db,
                self.organisation(db),
                plan,
                starts_on=starts_on,
                term_months=term_months,
                renews=renews,
                now=self.platform.clock.now(),
            )
            return contract.id

    def close(self, contract_id: int, ends_on: date | None = None, account: bool = False) -> None:
        """Close the contract (and the account)."""
        with self.platform.transaction() as db:
            contract = db.get(Contract, contract_id)
            assert contract is not None
            contracts.close(
                db,
                self.organisation(db),
                contract,
                reason="moved to another provider",
                ends_on=ends_on,
                close_account=account,
                now=self.platform.clock.now(),
            )

    def invoice(self, *lines: LineInput) -> int:
        """Issue an invoice for `lines` (a month of the plan by default); its id."""
        billed = lines or (
            LineInput("Plan Standard, December 2026", Decimal(1), "MON", Decimal("490")),
        )
        with self.platform.transaction() as db:
            issued = invoices.issue(
                db,
                self.platform.settings,
                self.organisation(db),
                billed,
                now=self.platform.clock.now(),
            )
            return issued.id

    def issued(self, invoice_id: int) -> Invoice:
        """Invoice `invoice_id` as stored, with its lines and payments loaded."""
        with self.platform.sessions() as db:
            found = db.get(Invoice, invoice_id)
            assert found is not None
            _ = list(found.lines), list(found.payments)
            db.expunge_all()
            return found


@pytest.fixture
def customer(platform: Platform) -> Customer:
    """An organisation with a billing contact, on the Standard plan, no address yet."""
    now = platform.clock.now()
    with platform.transaction() as db:
        organisation = Organisation(
            name="Konferenzdolmetscher Köln GmbH",
            billing_contact_name=CONTACT,
            billing_contact_email=CONTACT_EMAIL,
            plan="standard",
            created_at=now,
        )
        db.add(organisation)
        db.flush()
        plan = contracts.create_plan(
            db,
            code="standard",
            name="Standard",
            currency="EUR",
            monthly_fee=Decimal("490.00"),
            included=(500, 20, 4, 10),
            prices=(Decimal("0.40"), Decimal("45.00"), Decimal("0.25")),
            support_hours=(8, 40),
            now=now,
        )
        db.flush()
        return Customer(platform, organisation.id, plan.id)
