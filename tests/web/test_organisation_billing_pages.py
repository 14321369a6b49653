"""A customer's billing page: its owners see the contract, a month's usage against the
plan, the invoices with their documents, and set the billing address through the form
(a refused one keeps what was typed and changes nothing); other members are told only
owners see billing, anyone else gets the ordinary 404."""

from __future__ import annotations

from typing import Any

import pytest

from interpreta.accounts.models import StaffRole
from interpreta.billing.models import BillingAddress
from interpreta.platform import Platform
from tests.conftest import STANDARD_PLAN, Account, join, make_staff
from tests.web.conftest import form_error

ADDRESS = {
    "street": "Hohe Straße 1",
    "postcode": "50667",
    "city": "Köln",
    "country": "DE",
    "vat_id": "",
    "language": "de",
}
LINE = {"description": "Plan Standard", "quantity": "1", "unit": "MON", "unit_price": "490"}


def _done(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def customer(platform: Platform, sign_up: Any) -> tuple[Account, dict[str, Any]]:
    """Carla's organisation on the Standard plan since October, with an address and an
    invoice issued by the operator's billing clerk."""
    carla: Account = sign_up("carla", "Carla Events")
    bill: Account = sign_up("bill", "Operator")
    make_staff(platform, bill, StaffRole.BILLING)
    _done(bill.client.post("/api/staff/plans", json=STANDARD_PLAN))
    org = carla.organisation_id
    _done(
        bill.client.post(
            f"/api/staff/organisations/{org}/contracts",
            json={"plan": "standard", "starts_on": "2026-10-01"},
        )
    )
    _done(
        carla.client.put(
            f"/api/organisations/{org}/billing/address",
            json={k: v for k, v in ADDRESS.items() if v},
        )
    )
    invoice = _done(
        bill.client.post(f"/api/staff/organisations/{org}/invoices", json={"lines": [LINE]})
    )
    return carla, invoice


def _address(platform: Platform, organisation_id: int) -> tuple[str, str, str]:
    with platform.sessions() as db:
        found = db.get(BillingAddress, organisation_id)
        assert found is not None
        return found.street, found.city, found.country


def test_an_owner_sees_contract_usage_and_invoices_and_sets_the_address(
    platform: Platform, customer: tuple[Account, dict[str, Any]]
) -> None:
    carla, invoice = customer
    url = f"/organisations/{carla.organisation_id}/billing"
    events = carla.client.get("/events")
    assert f'href="{url}"' in events.text
    page = carla.client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert "Standard, 490.00 EUR a month" in page.text
    assert "500 listener hours" in page.text and "Against the plan standard" in page.text
    pdf_link = f"/api/organisations/{carla.organisation_id}/invoices/{invoice['number']}.pdf"
    assert f'href="{pdf_link}"' in page.text
    assert carla.client.get(pdf_link).content.startswith(b"%PDF")
    assert (
        'value="Hohe Straße 1"' in page.text
        and '<option value="de" lang="de" selected>' in page.text
    )
    october = carla.client.get(f"{url}?month=2026-10")
    assert "Usage in 2026-10" in october.text

    saved = carla.client.post(
        f"{url}/address",
        data={**ADDRESS, "street": "Breite Straße 7", "country": "de"},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "The billing address is saved." in saved.text
    assert _address(platform, carla.organisation_id) == ("Breite Straße 7", "Köln", "DE")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Deutschland"}, "country: String should have at most 2 characters"),
        ({"street": ""}, "street: String should have at least 1 character"),
        ({"vat_id": "DE123"}, "VAT ID"),
        ({"language": "tlh"}, "language"),
    ],
)
def test_a_refused_address_keeps_what_was_typed_and_changes_nothing(
    platform: Platform,
    customer: tuple[Account, dict[str, Any]],
    change: dict[str, str],
    said: str,
) -> None:
    carla, _invoice = customer
    before = _address(platform, carla.organisation_id)
    typed = {**ADDRESS, "city": "Bonn", **change}
    refused = carla.client.post(
        f"/organisations/{carla.organisation_id}/billing/address", data=typed
    )
    assert refused.status_code == 422, refused.text[:500]
    assert said in form_error(refused.text)
    assert 'value="Bonn"' in refused.text
    assert _address(platform, carla.organisation_id) == before


def test_only_owners_see_billing(
    platform: Platform, customer: tuple[Account, dict[str, Any]], sign_up: Any, app_client: Any
) -> None:
    carla, _invoice = customer
    url = f"/organisations/{carla.organisation_id}/billing"
    ivan: Account = sign_up("ivan", "Ivan Freelance")
    join(carla, ivan, role="organiser")
    member = ivan.client.get(url)
    assert member.status_code == 403
    assert "owners see its billing." in member.text and "Not yours to see" in member.text
    assert f'href="{url}"' not in ivan.client.get("/events").text
    otto: Account = sign_up("otto", "Otto Ltd")
    assert otto.client.get(url).status_code == 404
    before = _address(platform, carla.organisation_id)
    for someone in (ivan, otto):
        posted = someone.client.post(f"{url}/address", data={**ADDRESS, "street": "Hijack 1"})
        assert posted.status_code in (403, 404)
    assert _address(platform, carla.organisation_id) == before
    away = app_client.get(url, follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
