"""The CRM API: sales staff keep a customer's contacts, notes and deals, and read the
pipeline, each change audited; support and billing staff never reach it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.actions import close_organisation
from interpreta.accounts.models import Organisation, StaffRole
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from tests.conftest import Account, make_staff

ANNA = {"name": "Anna Berger", "email": "Anna.Berger@Example.org", "phone": "+49 221 555 01"}


@pytest.fixture
def sales(platform: Platform, sign_up: Any) -> tuple[Account, Account]:
    """A customer, and a salesperson of the operator."""
    rita: Account = sign_up("rita", "Rita Events")
    sally: Account = sign_up("sally", "Operator")
    make_staff(platform, sally, StaffRole.SALES)
    return rita, sally


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_sales_keep_contacts_notes_and_deals(
    platform: Platform, sales: tuple[Account, Account]
) -> None:
    rita, sally = sales
    base = f"/api/staff/organisations/{rita.organisation_id}"
    anna = _ok(sally.client.post(f"{base}/contacts", json=ANNA), 201)
    assert anna["email"] == "anna.berger@example.org"
    changed = _ok(
        sally.client.patch(f"/api/staff/contacts/{anna['id']}", json={"job_title": "CFO"})
    )
    assert changed["job_title"] == "CFO" and changed["phone"] == ANNA["phone"]
    note = {"body": "Anna wants Italian and Spanish in March.", "contact_id": anna["id"]}
    _ok(sally.client.post(f"{base}/notes", json=note), 201)
    _ok(sally.client.post(f"{base}/notes", json={"body": "Budget approved for 2027."}), 201)
    deal = _ok(
        sally.client.post(
            f"{base}/deals",
            json={"title": "Annual plan 2027", "value": "5880.00", "contact_id": anna["id"]},
        ),
        201,
    )
    assert deal["stage"] == "lead" and deal["closed_at"] is None
    _ok(sally.client.post(f"/api/staff/deals/{deal['id']}/stage", json={"stage": "proposal"}))
    second = _ok(
        sally.client.post(f"{base}/deals", json={"title": "Extra booth", "value": 900}), 201
    )
    pipeline = _ok(sally.client.get("/api/staff/pipeline"))
    assert [(s["stage"], s["deals"], s["value"]) for s in pipeline] == [
        ("lead", 1, "900.00"),
        ("proposal", 1, "5880.00"),
    ]
    lost = {"stage": "lost", "lost_reason": "chose a competitor"}
    _ok(sally.client.post(f"/api/staff/deals/{second['id']}/stage", json=lost))
    account = _ok(sally.client.get(f"{base}/crm"))
    assert [c["name"] for c in account["contacts"]] == ["Anna Berger"]
    assert [n["body"] for n in account["notes"]] == [
        "Budget approved for 2027.",
        "Anna wants Italian and Spanish in March.",
    ]  # newest first
    assert [d["title"] for d in account["deals"]] == ["Annual plan 2027", "Extra booth"]

    assert sally.client.delete(f"/api/staff/contacts/{anna['id']}").status_code == 204
    account = _ok(sally.client.get(f"{base}/crm"))
    assert account["contacts"] == []
    assert [n["body"] for n in account["notes"]] == ["Budget approved for 2027."]
    assert account["deals"][0]["contact_id"] is None  # the deal stays, without her
    with platform.sessions() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {
        "crm.contact.add",
        "crm.contact.change",
        "crm.note.add",
        "crm.deal.open",
        "crm.deal.move",
        "crm.contact.remove",
    } <= actions


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 404),
        (StaffRole.SUPPORT, 404),
        (StaffRole.BILLING, 404),
        (StaffRole.DPO, 404),
        (StaffRole.ADMIN, 200),
    ],
)
def test_only_sales_staff_reach_the_crm(
    platform: Platform, sign_up: Any, role: StaffRole | None, status: int
) -> None:
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    assert someone.client.get("/api/staff/pipeline").status_code == status
    crm = someone.client.get(f"/api/staff/organisations/{someone.organisation_id}/crm")
    assert crm.status_code == status


def test_sales_staff_never_reach_tickets_or_invoices(sales: tuple[Account, Account]) -> None:
    _rita, sally = sales
    for url in ("/api/staff/tickets", "/api/staff/invoices", "/api/staff/plans"):
        assert sally.client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("contacts", {"name": "", "email": "a@example.org"}, "name"),
        ("contacts", {"name": "   ", "email": "a@example.org"}, "name"),
        ("deals", {"title": "  ", "value": 1}, "title"),
        ("contacts", {"name": "Anna", "email": "not an address"}, "email"),
        ("contacts", {"name": "Anna", "email": "a@example.org", "phone": "call me"}, "phone"),
        ("notes", {"body": ""}, "body"),
        ("notes", {"body": "x", "contact_id": 999}, "contact_id"),
        ("deals", {"title": "Plan", "value": -1}, "value"),
        ("deals", {"title": "Plan", "value": 10, "currency": "euro"}, "currency"),
        ("deals", {"title": "Plan", "value": 10, "plan": "platinum"}, "plan"),
    ],
)
def test_bad_crm_input_is_refused_and_nothing_is_kept(
    sales: tuple[Account, Account], path: str, body: dict[str, Any], field: str
) -> None:
    rita, sally = sales
    base = f"/api/staff/organisations/{rita.organisation_id}"
    refused = sally.client.post(f"{base}/{path}", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]]
    account = _ok(sally.client.get(f"{base}/crm"))
    assert account["contacts"] == account["notes"] == account["deals"] == []


def test_conflicting_crm_requests_are_refused(sales: tuple[Account, Account], sign_up: Any) -> None:
    rita, sally = sales
    base = f"/api/staff/organisations/{rita.organisation_id}"
    anna = _ok(sally.client.post(f"{base}/contacts", json=ANNA), 201)
    again = sally.client.post(f"{base}/contacts", json={**ANNA, "email": "anna.berger@example.org"})
    assert again.status_code == 409
    otto: Account = sign_up("otto", "Otto Ltd")
    elsewhere = f"/api/staff/organisations/{otto.organisation_id}"
    wrong = sally.client.post(f"{elsewhere}/notes", json={"body": "x", "contact_id": anna["id"]})
    assert wrong.status_code == 422  # a contact of another customer
    deal = _ok(sally.client.post(f"{base}/deals", json={"title": "Plan", "value": 10}), 201)
    stage = f"/api/staff/deals/{deal['id']}/stage"
    assert sally.client.post(stage, json={"stage": "lead"}).status_code == 409  # there already
    assert sally.client.post(stage, json={"stage": "lost"}).status_code == 422  # no reason
    assert sally.client.post(stage, json={"stage": "won"}).status_code == 200
    assert sally.client.post(stage, json={"stage": "lead"}).status_code == 409  # over
    assert sally.client.post(stage, json={"stage": "closed"}).status_code == 422
    assert sally.client.get("/api/staff/organisations/999/crm").status_code == 404
    assert sally.client.patch("/api/staff/contacts/999", json={"name": "X"}).status_code == 404
    assert (
        sally.client.patch(f"/api/staff/contacts/{anna['id']}", json={"name": None}).status_code
        == 422
    )
    blank = _ok(
        sally.client.patch(
            f"/api/staff/contacts/{anna['id']}", json={"phone": "   ", "job_title": "  "}
        )
    )
    assert blank["phone"] is None and blank["job_title"] is None  # blanks are not kept


def test_a_closed_account_takes_no_new_crm_records(
    platform: Platform, sales: tuple[Account, Account]
) -> None:
    rita, sally = sales
    base = f"/api/staff/organisations/{rita.organisation_id}"
    anna = _ok(sally.client.post(f"{base}/contacts", json=ANNA), 201)
    with platform.transaction() as db:
        organisation = db.get(Organisation, rita.organisation_id)
        assert organisation is not None
        close_organisation(organisation, platform.clock.now())
    for method, url, body in [
        ("POST", f"{base}/contacts", {"name": "Ben", "email": "ben@example.org"}),
        ("POST", f"{base}/notes", {"body": "Still there?"}),
        ("POST", f"{base}/deals", {"title": "Win back", "value": 1}),
        ("PATCH", f"/api/staff/contacts/{anna['id']}", {"job_title": "CEO"}),
    ]:
        refused = sally.client.request(method, url, json=body)
        assert refused.status_code == 409, (url, refused.text)
    account = _ok(sally.client.get(f"{base}/crm"))
    assert len(account["contacts"]) == 1 and account["notes"] == account["deals"] == []
