"""The billing records and the people they name: the billing contact's access export,
an erasure that keeps the invoices and says why (P11, P30), and each rule's clock on the
real tables (P08, P10, P11)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from interpreta.billing import invoices
from interpreta.billing.models import BillingAddress, Contract, Invoice, InvoiceLine, Payment
from interpreta.clock import FrozenClock
from interpreta.datamap import retention_rules as rules
from interpreta.platform import Platform
from tests.billing.conftest import CONTACT, CONTACT_EMAIL, Customer
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person

CONTACT_PERSON = Person(0, None, CONTACT_EMAIL)
TABLES = (Contract, BillingAddress, Invoice, InvoiceLine, Payment)


def _counts(platform: Platform) -> tuple[int, ...]:
    with platform.sessions() as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES)


def _billed(platform: Platform, customer: Customer) -> int:
    """A contract, an address, an invoice and its payment; the invoice's id."""
    customer.contract(platform.clock.now().date())
    customer.address("DE", vat_id="DE136695976")
    invoice_id = customer.invoice()
    with platform.transaction() as db:
        issued = db.get(Invoice, invoice_id)
        assert issued is not None
        invoices.record_payment(
            db,
            issued,
            amount=Decimal("583.10"),
            received_on=platform.clock.now().date(),
            processor="Stripe",
            reference="pi_contact_test",
            now=platform.clock.now(),
        )
    return invoice_id


def test_the_billing_contact_gets_their_billing_records(
    platform: Platform, customer: Customer
) -> None:
    _billed(platform, customer)
    values, _archive = exported(platform, CONTACT_PERSON)
    for expected in (CONTACT, "Ulica Piotrkowska 12", "DE136695976", "pi_contact_test"):
        assert expected in values, expected
    assert "Plan Standard, December 2026" in values
    assert Decimal("583.10") in {_decimal(v) for v in values}


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def test_an_erasure_keeps_the_invoices_and_says_why(platform: Platform, customer: Customer) -> None:
    invoice_id = _billed(platform, customer)
    reports = erased(platform, CONTACT_PERSON)
    kept = {k["table"]: k["reason"] for report in reports for k in report["kept"]}
    for table in ("invoices", "invoice_lines", "payments"):
        assert table in kept, table
        assert kept[table].startswith("kept because the law obliges us to")
        assert "10 years" in kept[table]
    kept_invoice = customer.issued(invoice_id)
    assert (kept_invoice.buyer_contact, kept_invoice.buyer_email) == (CONTACT, CONTACT_EMAIL)
    assert kept_invoice.payments[0].reference == "pi_contact_test"
    with platform.sessions() as db:
        address = db.scalars(select(BillingAddress)).one_or_none()
        assert address is None or address.street != "Ulica Piotrkowska 12"


def _until(clock: FrozenClock, moment: datetime) -> None:
    """Move the clock to `moment`."""
    clock.advance(moment - clock.now())


def test_p08_p10_p11_each_record_goes_on_its_own_clock(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    _billed(platform, customer)
    issued_at = clock.now()
    engine = platform.retention_engine()
    with platform.sessions() as db:
        contract_id = db.scalars(select(Contract.id)).one()
    clock.advance(timedelta(days=400))
    customer.close(contract_id, ends_on=clock.now().date(), account=True)
    closed_at = clock.now()
    engine.run(clock.now())
    assert _counts(platform) == (1, 1, 1, 1, 1)

    _until(clock, rules.ACCOUNT_DATA.due(closed_at) + timedelta(hours=1))  # P08: 30 days
    engine.run(clock.now())
    with platform.sessions() as db:
        address = db.scalars(select(BillingAddress)).one_or_none()
        assert address is None or address.street != "Ulica Piotrkowska 12"
    assert _counts(platform)[0] == 1 and _counts(platform)[2:] == (1, 1, 1)

    _until(clock, rules.COMMERCIAL.due(closed_at) - timedelta(days=1))  # P10: five years
    engine.run(clock.now())
    assert _counts(platform)[0] == 1
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    assert _counts(platform)[0] == 0
    assert _counts(platform)[2:] == (1, 1, 1)  # the invoice: ten years from its issue

    _until(clock, rules.INVOICES.due(issued_at) - timedelta(days=1))  # P11: ten years
    engine.run(clock.now())
    assert _counts(platform)[2:] == (1, 1, 1)
    clock.advance(timedelta(days=2))
    engine.run(clock.now())
    assert _counts(platform)[2:] == (0, 0, 0)
