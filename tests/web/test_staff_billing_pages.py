"""The billing desk's pages: billing staff see the receivables and a customer's
contract, usage and invoices, record payments, credit invoices, invoice a month and
start and close contracts through the forms, each change audited; nobody else reaches
them, and a refused form changes nothing."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.billing.models import Contract, Invoice, Payment, Plan
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from tests.conftest import STANDARD_PLAN, Account, audit_actions, make_staff
from tests.web.conftest import row_count

LINE = {"description": "Plan Standard", "quantity": "1", "unit": "MON", "unit_price": "490"}


def _done(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def desk(platform: Platform, sign_up: Any) -> tuple[Account, Account, dict[str, Any]]:
    """A customer with an address and an invoice, and a billing clerk of the operator
    who offers the Standard plan."""
    carla: Account = sign_up("carla", "Carla Events")
    bill: Account = sign_up("bill", "Operator")
    make_staff(platform, bill, StaffRole.BILLING)
    _done(bill.client.post("/api/staff/plans", json=STANDARD_PLAN))
    _done(
        carla.client.put(
            f"/api/organisations/{carla.organisation_id}/billing/address",
            json={"street": "Hohe Straße 1", "postcode": "50667", "city": "Köln", "country": "DE"},
        )
    )
    invoice = _done(
        bill.client.post(
            f"/api/staff/organisations/{carla.organisation_id}/invoices", json={"lines": [LINE]}
        )
    )
    return carla, bill, invoice


def _state(platform: Platform) -> tuple[int, int, int, int, list[str]]:
    counts = (row_count(platform, m) for m in (Invoice, Payment, Contract, Plan))
    return (*counts, audit_actions(platform))  # type: ignore[return-value]


def test_the_receivables_and_a_payment(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carla, bill, _first = desk
    monkeypatch.setattr(platform.settings, "payment_days", 3)  # due before the session ends
    invoice = _done(
        bill.client.post(
            f"/api/staff/organisations/{carla.organisation_id}/invoices", json={"lines": [LINE]}
        )
    )
    receivables = bill.client.get("/staff/billing")
    assert receivables.status_code == 200 and invoice["number"] in receivables.text
    assert "Carla Events" in receivables.text
    assert f'href="/api/staff/invoices/{invoice["id"]}.pdf"' in receivables.text
    assert 'href="/staff/support"' not in receivables.text
    pdf = bill.client.get(f"/api/staff/invoices/{invoice['id']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    assert invoice["number"] not in bill.client.get("/staff/billing?status=overdue").text
    clock.advance(timedelta(days=4))
    overdue = bill.client.get("/staff/billing?status=overdue")
    assert invoice["number"] in overdue.text and "1 day late" in overdue.text

    customer = f"/staff/billing/organisations/{carla.organisation_id}"
    paid = bill.client.post(
        f"{customer}/invoices/{invoice['id']}/payments",
        data={
            "amount": invoice["gross_total"],
            "received_on": clock.now().date().isoformat(),
            "processor": "Stripe",
            "reference": "pi_3Nabc",
        },
        follow_redirects=True,
    )
    assert paid.status_code == 200 and f"{invoice['number']}</a> · paid" in paid.text
    assert invoice["number"] in bill.client.get("/staff/billing?status=paid").text
    assert "billing.payment.record" in audit_actions(platform)


def test_a_customer_s_contract_usage_and_invoices(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]], clock: FrozenClock
) -> None:
    carla, bill, invoice = desk
    customer = f"/staff/billing/organisations/{carla.organisation_id}"
    page = bill.client.get(customer)
    assert page.status_code == 200 and "No contract in force." in page.text
    started = bill.client.post(
        f"{customer}/contracts",
        data={"plan": "standard", "starts_on": "2026-10-01", "term_months": "12", "renews": "true"},
        follow_redirects=True,
    )
    assert started.status_code == 200 and "Standard (standard)" in started.text

    last_month = bill.client.get(f"{customer}?month=2026-10")
    assert "Usage in 2026-10" in last_month.text and "Against the plan standard" in last_month.text
    billed = bill.client.post(
        f"{customer}/usage/invoice", data={"month": "2026-10"}, follow_redirects=True
    )
    assert billed.status_code == 200, billed.text[:500]
    assert row_count(platform, Invoice) == 2
    again = bill.client.post(f"{customer}/usage/invoice", data={"month": "2026-10"})
    assert again.status_code == 409 and "form-error" in again.text

    credited = bill.client.post(
        f"{customer}/invoices/{invoice['id']}/credit-note", follow_redirects=True
    )
    assert credited.status_code == 200 and "credit note" in credited.text
    assert f"corrects {invoice['number']}" not in credited.text  # shown as a fact, not a link
    assert "Corrects" in credited.text

    with platform.sessions() as db:
        contract = db.scalar(select(Contract.id))
    closed = bill.client.post(
        f"{customer}/contracts/{contract}/close",
        data={"reason": "moved to another provider"},
        follow_redirects=True,
    )
    assert closed.status_code == 200 and "Ends" in closed.text
    assert {
        "billing.contract.start",
        "billing.invoice.issue",
        "billing.invoice.credit",
        "billing.contract.close",
    } <= set(audit_actions(platform))


@pytest.mark.parametrize("role", [None, StaffRole.SUPPORT, StaffRole.SALES, StaffRole.DPO])
def test_only_billing_staff_reach_the_pages(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    sign_up: Any,
    role: StaffRole | None,
) -> None:
    carla, _bill, invoice = desk
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    customer = f"/staff/billing/organisations/{carla.organisation_id}"
    for path in ("/staff/billing", customer):
        refused = someone.client.get(path)
        assert refused.status_code == 404 and "This page does not exist." in refused.text
    before = _state(platform)
    for path, form in (
        (f"{customer}/contracts", {"plan": "standard", "starts_on": "2026-10-01"}),
        (f"{customer}/usage/invoice", {"month": "2026-10"}),
        (f"{customer}/invoices/{invoice['id']}/credit-note", {}),
        (
            f"{customer}/invoices/{invoice['id']}/payments",
            {"amount": "1", "received_on": "2026-11-01", "processor": "x", "reference": "y"},
        ),
    ):
        assert someone.client.post(path, data=form).status_code == 404
    assert someone.client.post("/staff/billing/plans", data=PREMIUM).status_code == 404
    assert someone.client.post("/staff/billing/plans/standard/retire").status_code == 404
    assert _state(platform) == before


PREMIUM = {
    **{name: str(value) for name, value in STANDARD_PLAN.items()},
    "code": "premium-2027",
    "name": "Premium 2027",
    "currency": "EUR",
    "monthly_fee": "1290.00",
    "included_languages": "12",
    "first_response_hours": "2",
}
"""A new plan as the desk's form sends it."""


def test_a_plan_is_offered_from_the_desk(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]]
) -> None:
    _carla, bill, _invoice = desk
    page = bill.client.get("/staff/billing")
    assert "1 plan offered" in page.text and 'action="/staff/billing/plans"' in page.text
    offered = bill.client.post("/staff/billing/plans", data=PREMIUM, follow_redirects=True)
    assert offered.status_code == 200 and "2 plans offered" in offered.text
    assert "Premium 2027" in offered.text and "1290.00 EUR" in offered.text
    assert "12 languages" in offered.text and "first response within 2 h" in offered.text
    assert audit_actions(platform).count("billing.plan.create") == 2
    plans = _done(bill.client.get("/api/staff/plans"))
    assert [p["code"] for p in plans] == ["premium-2027", "standard"]

    assert 'action="/staff/billing/plans/standard/retire"' in offered.text
    retired = bill.client.post("/staff/billing/plans/standard/retire", follow_redirects=True)
    assert retired.status_code == 200 and "1 plan offered" in retired.text
    assert 'action="/staff/billing/plans/standard/retire"' not in retired.text
    assert audit_actions(platform).count("billing.plan.retire") == 1
    before = _state(platform)
    again = bill.client.post("/staff/billing/plans/standard/retire")
    assert again.status_code == 409 and "That plan is no longer offered." in again.text
    for code in ("gold", "Gold!", "a" * 41):
        missing = bill.client.post(f"/staff/billing/plans/{code}/retire")
        assert missing.status_code == 404 and "No such plan." in missing.text, code
    assert _state(platform) == before


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"code": "standard"}, 409, "A plan with that code exists."),
        ({"code": "Premium!"}, 422, "code"),
        ({"currency": "euro"}, 422, "currency"),
        ({"monthly_fee": "a lot"}, 422, "monthly_fee"),
        ({"included_languages": "0"}, 422, "included_languages"),
        ({"resolution_hours": ""}, 422, "resolution_hours"),
    ],
)
def test_a_refused_plan_keeps_what_was_typed_and_changes_nothing(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    _carla, bill, _invoice = desk
    before = _state(platform)
    refused = bill.client.post("/staff/billing/plans", data={**PREMIUM, **change})
    assert refused.status_code == status, refused.text[:500]
    assert "form-error" in refused.text and message in refused.text
    typed = {**PREMIUM, **change}
    for field in ("name", "monthly_fee", *change):
        assert f'name="{field}"' in refused.text
        assert f'value="{html.escape(typed[field])}"' in refused.text, field
    assert _state(platform) == before


PAYMENT = {"amount": "10", "received_on": "2026-11-20", "processor": "Stripe", "reference": "r1"}


@pytest.mark.parametrize(
    ("path", "form", "status", "message"),
    [
        ("/invoices/{invoice}/payments", {**PAYMENT, "amount": "ten"}, 422, "amount"),
        ("/invoices/{invoice}/payments", {**PAYMENT, "amount": "-5"}, 422, "amount"),
        (
            "/invoices/{invoice}/payments",
            {**PAYMENT, "received_on": "2026-02-30"},
            422,
            "received_on",
        ),
        ("/invoices/{invoice}/payments", {**PAYMENT, "reference": ""}, 422, "reference"),
        ("/invoices/999/payments", PAYMENT, 404, "No such invoice."),
        ("/invoices/999/credit-note", {}, 404, "No such invoice."),
        ("/usage/invoice", {"month": "2026-13"}, 422, "month"),
        ("/usage/invoice", {"month": "2026-10"}, 409, "contract"),
        ("/usage/invoice", {"month": "2099-01"}, 409, "over"),
        ("/contracts", {"plan": "gold", "starts_on": "2026-10-01"}, 422, "No plan has that code."),
        ("/contracts", {"plan": "standard", "starts_on": "soon"}, 422, "starts_on"),
        (
            "/contracts",
            {"plan": "standard", "starts_on": "2026-10-01", "term_months": "0"},
            422,
            "term_months",
        ),
        ("/contracts/999/close", {"reason": "x"}, 404, "No such contract."),
        ("/contracts", {"plan": "standard", "starts_on": "9999-12-31"}, 422, "starts_on"),
        ("/contracts", {"plan": "standard", "starts_on": "0"}, 422, "starts_on"),
        (
            "/invoices/{invoice}/payments",
            {**PAYMENT, "received_on": "1999-12-31"},
            422,
            "received_on",
        ),
    ],
)
def test_a_refused_form_shows_why_and_changes_nothing(
    platform: Platform,
    desk: tuple[Account, Account, dict[str, Any]],
    path: str,
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    carla, bill, invoice = desk
    before = _state(platform)
    url = f"/staff/billing/organisations/{carla.organisation_id}" + path.format(
        invoice=invoice["id"]
    )
    refused = bill.client.post(url, data=form)
    assert refused.status_code == status, refused.text[:500]
    assert "form-error" in refused.text and message in refused.text
    assert _state(platform) == before


def test_a_refused_customer_form_keeps_what_was_typed_but_a_card_number(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]]
) -> None:
    carla, bill, invoice = desk
    customer = f"/staff/billing/organisations/{carla.organisation_id}"
    card = "4111 1111 1111 1111"
    paid = bill.client.post(
        f"{customer}/invoices/{invoice['id']}/payments",
        data={**PAYMENT, "amount": "12.34", "processor": "Adyen", "reference": card},
    )
    assert paid.status_code == 422 and "form-error" in paid.text
    assert 'value="12.34"' in paid.text and 'value="Adyen"' in paid.text
    assert card not in paid.text
    started = bill.client.post(
        f"{customer}/contracts",
        data={"plan": "standard", "starts_on": "2026-10-01", "term_months": "61"},
    )
    assert started.status_code == 422 and 'value="61"' in started.text
    assert 'value="2026-10-01"' in started.text
    assert 'name="renews" value="true">' in started.text  # left unticked, shown unticked
    _done(
        bill.client.post(
            f"/api/staff/organisations/{carla.organisation_id}/contracts",
            json={"plan": "standard", "starts_on": "2026-10-01"},
        )
    )
    with platform.sessions() as db:
        contract_id = db.scalar(select(Contract.id))
    closed = bill.client.post(
        f"{customer}/contracts/{contract_id}/close",
        data={"reason": "moving to KUDO", "ends_on": "2026-02-30", "close_account": "true"},
    )
    assert closed.status_code == 422 and 'value="moving to KUDO"' in closed.text
    assert 'name="close_account" value="true" checked' in closed.text


def test_a_form_under_one_customer_never_acts_on_another_s_invoice(
    platform: Platform, desk: tuple[Account, Account, dict[str, Any]], sign_up: Any
) -> None:
    _carla, bill, invoice = desk
    other: Account = sign_up("otto", "Otto GmbH")
    before = _state(platform)
    wrong = f"/staff/billing/organisations/{other.organisation_id}/invoices/{invoice['id']}"
    assert bill.client.post(f"{wrong}/credit-note").status_code == 404
    assert bill.client.post(f"{wrong}/payments", data=PAYMENT).status_code == 404
    assert _state(platform) == before
    assert bill.client.get("/staff/billing/organisations/999999").status_code == 404
    found = bill.client.get("/staff/billing?q=otto")
    assert "Otto GmbH" in found.text and "Carla Events" not in found.text.split("Customers")[1]
