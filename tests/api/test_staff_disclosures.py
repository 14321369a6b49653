"""The DPO's disclosure register over the API: recorded, listed, released, audited; bad
records refused with their field; nobody but the DPO (and admins) reaches it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from interpreta.accounts.models import StaffRole
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from tests.conftest import Account, make_staff

DISCLOSED = {
    "subject_email": "Rita@Example.org",
    "recipient": "Staatsanwaltschaft Köln",
    "ground": "law",
    "reference": "502 Gs 123/26",
    "data_disclosed": "sign-in times and IP addresses",
    "disclosed_on": "2026-11-20",
}


@pytest.fixture
def dpo(platform: Platform, sign_up: Any) -> Account:
    """The operator's DPO."""
    dora: Account = sign_up("dora", "Operator")
    make_staff(platform, dora, StaffRole.DPO)
    return dora


def test_the_dpo_records_lists_and_releases(platform: Platform, dpo: Account) -> None:
    open_one = dpo.client.post("/api/staff/disclosures", json=DISCLOSED)
    assert open_one.status_code == 201, open_one.text
    assert open_one.json()["subject_email"] == "rita@example.org"
    held = dpo.client.post(
        "/api/staff/disclosures", json={**DISCLOSED, "withheld_reason": "court order"}
    ).json()
    listed = dpo.client.get("/api/staff/disclosures").json()
    assert [d["id"] for d in listed] == [held["id"], open_one.json()["id"]]
    released = dpo.client.post(f"/api/staff/disclosures/{held['id']}/release")
    assert released.status_code == 200 and released.json()["released_at"] is not None
    assert released.json()["withheld_reason"] == "court order"  # the register keeps it
    again = dpo.client.post(f"/api/staff/disclosures/{held['id']}/release")
    assert again.status_code == 409
    assert dpo.client.post("/api/staff/disclosures/999/release").status_code == 404
    with platform.sessions() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {"privacy.disclosure.record", "privacy.disclosure.release"} <= actions


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ground": "curiosity"}, "ground"),
        ({"recipient": ""}, "recipient"),
        ({"recipient": "   "}, "recipient"),
        ({"subject_email": "nobody"}, "subject_email"),
        ({"disclosed_on": "2099-01-01"}, "disclosed_on"),
        ({"data_disclosed": "x" * 5001}, "data_disclosed"),
        ({"withheld_reason": "   "}, "withheld_reason"),
    ],
)
def test_a_bad_record_is_refused_and_nothing_is_kept(
    dpo: Account, change: dict[str, Any], field: str
) -> None:
    refused = dpo.client.post("/api/staff/disclosures", json={**DISCLOSED, **change})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]]
    assert dpo.client.get("/api/staff/disclosures").json() == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 404),
        (StaffRole.SUPPORT, 404),
        (StaffRole.BILLING, 404),
        (StaffRole.SALES, 404),
        (StaffRole.ADMIN, 200),
    ],
)
def test_only_the_dpo_reaches_the_register(
    platform: Platform, sign_up: Any, role: StaffRole | None, status: int
) -> None:
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    assert someone.client.get("/api/staff/disclosures").status_code == status
