"""The billing API: the customer's owners see their contract, set their billing address
and fetch their invoices; the operator's billing staff issue, credit and record payments,
each action audited; everyone else finds nothing there."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.billing.einvoice import embedded_xml
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from tests.conftest import STANDARD_PLAN, Account, audit_actions, join, make_staff

ADDRESS = {
    "street": "Königsallee 1",
    "postcode": "40212",
    "city": "Düsseldorf",
    "country": "DE",
    "vat_id": "DE 136 695 976",
    "language": "de",
}
PLAN = STANDARD_PLAN
LINES = {
    "lines": [
        {
            "description": "Plan Standard, December 2026",
            "quantity": "1",
            "unit": "MON",
            "unit_price": "490",
        },
        {
            "description": "Interpreter hours over the plan",
            "quantity": "3.5",
            "unit": "HUR",
            "unit_price": "45",
        },
    ],
    "period_start": "2026-12-01",
    "period_end": "2026-12-31",
}


@pytest.fixture
def desk(platform: Platform, sign_up: Any) -> tuple[Account, Account]:
    """A customer's owner, and a billing clerk of the operator with a plan to sell."""
    owner: Account = sign_up("olga", "Olga Konferenzen")
    clerk: Account = sign_up("bill", "Operator")
    make_staff(platform, clerk, StaffRole.BILLING)
    created = clerk.client.post("/api/staff/plans", json=PLAN)
    assert created.status_code == 201, created.text
    return owner, clerk


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_customer_is_put_on_a_plan_and_invoiced(
    platform: Platform, desk: tuple[Account, Account]
) -> None:
    owner, clerk = desk
    org = owner.organisation_id
    assert _ok(owner.client.get(f"/api/organisations/{org}/billing")) == {
        "contract": None,
        "address": None,
    }
    contract = _ok(
        clerk.client.post(
            f"/api/staff/organisations/{org}/contracts",
            json={"plan": "standard", "starts_on": "2026-12-01", "term_months": 12},
        ),
        201,
    )
    assert contract["current_term_ends_on"] == "2027-11-30" and contract["renews"]
    address = _ok(owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS))
    assert address["vat_id"] == "DE136695976"
    billing = _ok(owner.client.get(f"/api/organisations/{org}/billing"))
    assert billing["contract"]["plan"]["included_listener_hours"] == 500

    invoice = _ok(clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES), 201)
    assert invoice["gross_total"] == "770.53"  # 647.50 net + 123.03 VAT (19 %, rounded half up)
    assert invoice["status"] == "open" and invoice["outstanding"] == "770.53"
    listed = _ok(owner.client.get(f"/api/organisations/{org}/invoices"))
    assert [x["number"] for x in listed] == [invoice["number"]]

    pdf = owner.client.get(f"/api/organisations/{org}/invoices/{invoice['number']}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert invoice["number"] in text and "770,53" in text  # written in German
    assert b"<rsm:CrossIndustryInvoice" in embedded_xml(pdf.content)

    paid = _ok(
        clerk.client.post(
            f"/api/staff/invoices/{invoice['id']}/payments",
            json={
                "amount": "770.53",
                "received_on": platform.clock.now().date().isoformat(),
                "processor": "SEPA transfer",
                "reference": "RF18 5390 0754 7034",
            },
        ),
        201,
    )
    assert paid["invoice"] == invoice["number"]
    assert _ok(owner.client.get(f"/api/organisations/{org}/invoices"))[0]["status"] == "paid"


def test_a_credit_note_and_the_overdue_queue(
    platform: Platform, desk: tuple[Account, Account], clock: FrozenClock
) -> None:
    owner, clerk = desk
    org = owner.organisation_id
    platform.settings.payment_days = 7  # due within the sign-in sessions' 14 days
    _ok(owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS))
    first = _ok(clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES), 201)
    second = _ok(clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES), 201)
    note = _ok(clerk.client.post(f"/api/staff/invoices/{second['id']}/credit-notes", json={}), 201)
    assert note["kind"] == "credit_note" and note["corrects"] == second["number"]
    clock.advance(timedelta(days=8))
    overdue = _ok(clerk.client.get("/api/staff/invoices", params={"status": "overdue"}))
    assert [x["number"] for x in overdue] == [first["number"]]
    credited = _ok(clerk.client.get("/api/staff/invoices", params={"status": "credited"}))
    assert [x["number"] for x in credited] == [second["number"]]
    again = clerk.client.post(f"/api/staff/invoices/{second['id']}/credit-notes", json={})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_staff_actions_are_audited_under_a_pseudonym(
    platform: Platform, desk: tuple[Account, Account]
) -> None:
    owner, clerk = desk
    org = owner.organisation_id
    _ok(owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS))
    invoice = _ok(clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES), 201)
    with platform.sessions() as db:
        entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    actions = [(e.action, e.target) for e in entries if e.action.startswith("billing.")]
    assert ("billing.plan.create", "plan:1") in actions
    assert ("billing.invoice.issue", f"invoice:{invoice['id']}") in actions
    issued = next(e for e in entries if e.action == "billing.invoice.issue")
    assert clerk.email not in issued.actor and str(clerk.user_id) != issued.actor


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 404), (StaffRole.SUPPORT, 404), (StaffRole.DPO, 404), (StaffRole.ADMIN, 201)],
)
def test_only_billing_staff_reach_the_desk(
    platform: Platform, sign_up: Any, role: StaffRole | None, status: int
) -> None:
    someone: Account = sign_up("sam", "Sam Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    response = someone.client.post("/api/staff/plans", json=PLAN)
    assert response.status_code == status, response.text
    if status == 404:
        assert response.headers["content-type"] == "application/problem+json"


def test_members_who_are_not_owners_get_403(
    platform: Platform, desk: tuple[Account, Account], sign_up: Any
) -> None:
    owner, _clerk = desk
    ivan: Account = sign_up("ivan", "Ivan Freelance")
    join(owner, ivan, "organiser")
    org = owner.organisation_id
    assert ivan.client.get(f"/api/organisations/{org}/invoices").status_code == 403
    refused = ivan.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "Germany"}, "country"),
        ({"country": "XX"}, "country"),
        ({"vat_id": "DE136695977"}, "vat_id"),
        ({"language": "pt"}, "language"),
        ({"street": ""}, "street"),
        ({"city": "Köln\x00"}, "city"),
    ],
)
def test_a_bad_address_is_refused_with_its_field(
    desk: tuple[Account, Account], change: dict[str, str], field: str
) -> None:
    owner, _clerk = desk
    org = owner.organisation_id
    refused = owner.client.put(
        f"/api/organisations/{org}/billing/address", json={**ADDRESS, **change}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]]
    assert _ok(owner.client.get(f"/api/organisations/{org}/billing"))["address"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"lines": []}, 422),
        ({"lines": [{**LINES["lines"][0], "unit": "KGM"}]}, 422),
        ({"lines": [{**LINES["lines"][0], "quantity": "-1"}]}, 422),
        ({"lines": [{**LINES["lines"][0], "quantity": "0.0001"}]}, 422),
        ({"lines": [{**LINES["lines"][0], "unit_price": "1e9"}]}, 422),
        ({"lines": LINES["lines"], "period_start": "2026-12-01"}, 422),
        ({"lines": LINES["lines"], "period_start": "2026-12-31", "period_end": "2026-12-01"}, 422),
        ({"lines": [{**LINES["lines"][0], "description": "x" * 301}]}, 422),
    ],
)
def test_a_bad_invoice_is_refused_and_takes_no_number(
    desk: tuple[Account, Account], body: dict[str, Any], status: int
) -> None:
    owner, clerk = desk
    org = owner.organisation_id
    _ok(owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS))
    refused = clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=body)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    issued = _ok(clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES), 201)
    assert issued["number"].endswith("-00001")


def test_a_retired_plan_keeps_its_contracts_and_takes_no_new_one(
    platform: Platform, desk: tuple[Account, Account], sign_up: Any
) -> None:
    owner, clerk = desk
    started = clerk.client.post(
        f"/api/staff/organisations/{owner.organisation_id}/contracts",
        json={"plan": "standard", "starts_on": "2026-11-01"},
    )
    _ok(started, 201)
    retired = _ok(clerk.client.post("/api/staff/plans/standard/retire"))
    assert retired["code"] == "standard"
    assert _ok(clerk.client.get("/api/staff/plans")) == []
    kept = _ok(owner.client.get(f"/api/organisations/{owner.organisation_id}/billing"))
    assert kept["contract"]["plan"]["code"] == "standard"
    newcomer: Account = sign_up("nora", "Nora Events")
    refused = clerk.client.post(
        f"/api/staff/organisations/{newcomer.organisation_id}/contracts",
        json={"plan": "standard", "starts_on": "2026-12-01"},
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "That plan is no longer offered."
    assert "billing.plan.retire" in audit_actions(platform)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/staff/plans/standard/retire", 409),  # retired twice
        ("/api/staff/plans/gold/retire", 404),
        ("/api/staff/plans/Gold!/retire", 422),
        (f"/api/staff/plans/{'a' * 41}/retire", 422),
    ],
)
def test_a_bad_retirement_is_refused_with_a_problem(
    platform: Platform, desk: tuple[Account, Account], path: str, status: int
) -> None:
    _owner, clerk = desk
    _ok(clerk.client.post("/api/staff/plans/standard/retire"))
    before = audit_actions(platform)
    refused = clerk.client.post(path)
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert audit_actions(platform) == before


def test_bad_staff_requests_get_clear_problems(desk: tuple[Account, Account]) -> None:
    owner, clerk = desk
    org = owner.organisation_id
    no_address = clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES)
    assert no_address.status_code == 409
    unknown_plan = clerk.client.post(
        f"/api/staff/organisations/{org}/contracts",
        json={"plan": "platinum", "starts_on": "2026-12-01"},
    )
    assert unknown_plan.status_code == 422
    assert unknown_plan.json()["errors"][0]["field"] == "plan"
    taken = clerk.client.post("/api/staff/plans", json=PLAN)
    assert taken.status_code == 409
    for url in ("/api/staff/invoices/999.pdf", "/api/staff/contracts/999/close"):
        method = "GET" if url.endswith(".pdf") else "POST"
        missing = clerk.client.request(method, url, json={"reason": "gone"})
        assert missing.status_code == 404, url
    bad_number = owner.client.get(f"/api/organisations/{org}/invoices/latest.pdf")
    assert bad_number.status_code == 422
    card = clerk.client.post(f"/api/staff/organisations/{org}/invoices", json=LINES)
    assert card.status_code == 409  # still no address: nothing was issued
