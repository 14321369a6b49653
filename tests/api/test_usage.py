"""Usage as the customer and the billing desk see it: each month's events and totals
against the plan, and the month's invoice (the fee and what went beyond the plan)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from interpreta.accounts.models import StaffRole
from interpreta.clock import FrozenClock
from interpreta.events.models import Event, EventStatus
from interpreta.platform import Platform
from interpreta.usage import metering
from tests.api.test_billing import ADDRESS, PLAN
from tests.conftest import Account, join, make_staff
from tests.usage.conftest import hold_event

SMALL = {
    **PLAN,
    "code": "small",
    "included_listener_hours": 2,
    "included_interpreter_hours": 1,
    "included_storage_gb": 1,
}


@pytest.fixture
def customer(platform: Platform, sign_up: Any, clock: FrozenClock) -> tuple[Account, Account]:
    """A customer on the small plan since 1 November, with a billing address, whose
    event of 24 November is metered; and the operator's billing clerk."""
    owner: Account = sign_up("olga", "Olga Konferenzen")
    clerk: Account = sign_up("bill", "Operator")
    make_staff(platform, clerk, StaffRole.BILLING)
    assert clerk.client.post("/api/staff/plans", json=SMALL).status_code == 201
    org = owner.organisation_id
    started = clerk.client.post(
        f"/api/staff/organisations/{org}/contracts",
        json={"plan": "small", "starts_on": "2026-11-01", "term_months": 12},
    )
    assert started.status_code == 201, started.text
    put = owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS)
    assert put.status_code == 200, put.text
    hold_event(platform, org, clock.now())
    clock.advance(timedelta(hours=2) + metering.GRACE)
    metering.meter_due_events(platform.sessions, clock.now())
    return owner, clerk


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_owner_sees_the_month_against_the_plan(customer: tuple[Account, Account]) -> None:
    owner, _clerk = customer
    usage = _ok(owner.client.get(f"/api/organisations/{owner.organisation_id}/usage"))
    assert usage["month"] == "2026-11" and usage["plan"] == "small"
    assert [e["title"] for e in usage["events"]] == ["Summit on water"]
    assert usage["events"][0]["listener_hours"] == "4.000"
    measures = {m["measure"]: m for m in usage["measures"]}
    assert measures["listener_hours"]["over"] == "2.000"
    assert measures["listener_hours"]["amount"] == "0.80"
    assert measures["interpreter_hours"]["amount"] == "45.00"
    assert measures["recording_gb"]["amount"] == "0.13"  # 0.5 GB at 0.25, rounded
    assert measures["languages"]["over"] == "0" and measures["languages"]["amount"] == "0.00"
    assert usage["amount_over_plan"] == "45.93"
    october = owner.client.get(
        f"/api/organisations/{owner.organisation_id}/usage", params={"month": "2026-10"}
    )
    assert _ok(october)["events"] == [] and _ok(october)["plan"] is None


def test_the_desk_invoices_a_month_once_it_is_over(
    customer: tuple[Account, Account], clock: FrozenClock
) -> None:
    owner, clerk = customer
    url = f"/api/staff/organisations/{owner.organisation_id}/usage"
    assert _ok(clerk.client.get(url))["amount_over_plan"] == "45.93"
    early = clerk.client.post(f"{url}/invoice", json={"month": "2026-11"})
    assert early.status_code == 409  # November is not over
    clock.advance(timedelta(days=7))
    invoice = _ok(clerk.client.post(f"{url}/invoice", json={"month": "2026-11"}), 201)
    assert invoice["period_start"] == "2026-11-01" and invoice["period_end"] == "2026-11-30"
    assert invoice["net_total"] == "535.93"  # 490 + 0.80 + 45.00 + 0.13
    again = clerk.client.post(f"{url}/invoice", json={"month": "2026-11"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    pdf = owner.client.get(
        f"/api/organisations/{owner.organisation_id}/invoices/{invoice['number']}.pdf"
    )
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "November 2026" in text and "Dolmetscherstunden" in text  # the address says German


@pytest.mark.parametrize(
    ("month", "status"),
    [
        ("2026-13", 422),
        ("26-11", 422),
        ("0000-01", 422),
        ("9999-12", 422),
        ("2026-10", 409),  # before the contract
        ("2099-12", 409),  # not over
    ],
)
def test_a_bad_month_is_refused(
    customer: tuple[Account, Account], clock: FrozenClock, month: str, status: int
) -> None:
    owner, clerk = customer
    clock.advance(timedelta(days=7))
    url = f"/api/staff/organisations/{owner.organisation_id}/usage/invoice"
    refused = clerk.client.post(url, json={"month": month})
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    shown = owner.client.get(
        f"/api/organisations/{owner.organisation_id}/usage", params={"month": month}
    )
    assert shown.status_code == (422 if status == 422 else 200)
    assert _ok(owner.client.get(f"/api/organisations/{owner.organisation_id}/invoices")) == []


def test_only_owners_and_the_billing_desk_see_usage(
    platform: Platform, customer: tuple[Account, Account], sign_up: Any
) -> None:
    owner, _clerk = customer
    url = f"/api/organisations/{owner.organisation_id}/usage"
    member: Account = sign_up("ivan", "Ivan Freelance")
    join(owner, member)
    assert member.client.get(url).status_code == 403
    stranger: Account = sign_up("otto", "Otto Ltd")
    assert stranger.client.get(url).status_code == 404
    make_staff(platform, stranger, StaffRole.SUPPORT)
    staff_url = f"/api/staff/organisations/{owner.organisation_id}/usage"
    assert stranger.client.get(staff_url).status_code == 404


def test_an_event_not_metered_yet_is_metered_when_its_month_is_invoiced(
    platform: Platform, customer: tuple[Account, Account], clock: FrozenClock
) -> None:
    """An event that ended late on the last day, invoiced before any retention run."""
    owner, clerk = customer
    late = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    held = hold_event(platform, owner.organisation_id, late, on_air=(), recorded=0)
    with platform.transaction() as db:
        event = db.get(Event, held.event_id)
        assert event is not None
        event.status, event.ended_at = EventStatus.ENDED, late + timedelta(hours=2)
    clock.advance(datetime(2026, 12, 1, 0, 5, tzinfo=UTC) - clock.now())
    url = f"/api/staff/organisations/{owner.organisation_id}/usage"
    invoice = _ok(clerk.client.post(f"{url}/invoice", json={"month": "2026-11"}), 201)
    # 4 + 4 listener hours: 6 beyond the plan's 2, at 0.40
    assert invoice["net_total"] == "537.53"  # 490 + 2.40 + 45.00 + 0.13 (beyond the plan)
    shown = _ok(clerk.client.get(url, params={"month": "2026-11"}))
    assert len(shown["events"]) == 2


def test_a_fixed_term_contract_is_not_invoiced_after_its_term(
    platform: Platform, sign_up: Any, clock: FrozenClock
) -> None:
    owner: Account = sign_up("olga", "Olga Konferenzen")
    clerk: Account = sign_up("bill", "Operator")
    make_staff(platform, clerk, StaffRole.BILLING)
    assert clerk.client.post("/api/staff/plans", json=SMALL).status_code == 201
    org = owner.organisation_id
    one_month = {"plan": "small", "starts_on": "2026-09-01", "term_months": 1, "renews": False}
    assert clerk.client.post(f"/api/staff/organisations/{org}/contracts", json=one_month)
    assert owner.client.put(f"/api/organisations/{org}/billing/address", json=ADDRESS)
    url = f"/api/staff/organisations/{org}/usage"
    assert _ok(clerk.client.post(f"{url}/invoice", json={"month": "2026-09"}), 201)
    after = clerk.client.post(f"{url}/invoice", json={"month": "2026-10"})
    assert after.status_code == 409, after.text
    assert _ok(clerk.client.get(url, params={"month": "2026-10"}))["plan"] is None
