"""The DPO's disclosures register page (P20): disclosures recorded and released through
the forms, each audited as from the API; a bad record refused on the page with nothing
kept; nobody but the DPO (and admins) reaches it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from interpreta.accounts.models import StaffRole
from interpreta.platform import Platform
from interpreta.privacy.disclosures import Disclosure
from interpreta.privacy.models import AuditEntry
from tests.conftest import Account, make_staff

DISCLOSED = {
    "subject_email": "Rita@Example.org",
    "recipient": "Staatsanwaltschaft Köln",
    "ground": "law",
    "reference": "502 Gs 123/26",
    "data_disclosed": "sign-in times and IP addresses",
    "disclosed_on": "2026-11-20",
    "withheld_reason": "",
}


@pytest.fixture
def dpo(platform: Platform, sign_up: Any) -> Account:
    """The operator's DPO."""
    dora: Account = sign_up("dora", "Operator")
    make_staff(platform, dora, StaffRole.DPO)
    return dora


def _stored(platform: Platform) -> list[Disclosure]:
    with platform.sessions() as db:
        return list(db.scalars(select(Disclosure).order_by(Disclosure.id)))


def _audited(platform: Platform) -> list[tuple[str, str]]:
    with platform.sessions() as db:
        query = select(AuditEntry.action, AuditEntry.target).where(
            AuditEntry.action.like("privacy.disclosure.%")
        )
        return [(a, t) for a, t in db.execute(query.order_by(AuditEntry.seq))]


def _count(platform: Platform) -> tuple[int, int]:
    with platform.sessions() as db:
        disclosures = db.scalar(select(func.count()).select_from(Disclosure)) or 0
    return disclosures, len(_audited(platform))


def _recorded(dpo: Account, **change: str) -> None:
    posted = dpo.client.post(
        "/staff/disclosures", data={**DISCLOSED, **change}, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"].startswith("/staff/disclosures#disclosure-")


@pytest.mark.parametrize("role", [None, StaffRole.SUPPORT, StaffRole.BILLING, StaffRole.SALES])
def test_only_the_dpo_reaches_the_register_page_and_nothing_is_written(
    platform: Platform, sign_up: Any, dpo: Account, role: StaffRole | None
) -> None:
    _recorded(dpo, withheld_reason="court order")
    (held,) = _stored(platform)
    before = _count(platform)
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    page = someone.client.get("/staff/disclosures")
    assert page.status_code == 404 and "This page does not exist." in page.text
    assert "Staatsanwaltschaft" not in page.text
    posted = someone.client.post("/staff/disclosures", data=DISCLOSED, follow_redirects=False)
    assert posted.status_code == 404
    released = someone.client.post(f"/staff/disclosures/{held.id}/release", follow_redirects=False)
    assert released.status_code == 404
    assert _count(platform) == before and _stored(platform)[0].released_at is None


def test_an_admin_opens_the_register_page(platform: Platform, sign_up: Any) -> None:
    admin: Account = sign_up("ada", "Operator")
    make_staff(platform, admin, StaffRole.ADMIN)
    page = admin.client.get("/staff/disclosures")
    assert page.status_code == 200 and "<h1>Disclosures</h1>" in page.text


def test_the_dpo_records_and_releases_disclosures_through_the_forms(
    platform: Platform, dpo: Account
) -> None:
    empty = dpo.client.get("/staff/disclosures")
    assert empty.status_code == 200 and "No disclosure on record." in empty.text
    assert '<a href="/staff/disclosures" aria-current="page">' in empty.text
    assert '<option value="fraud">' in empty.text and 'type="date"' in empty.text

    _recorded(dpo)
    _recorded(
        dpo,
        ground="fraud",
        recipient="Bank fraud team",
        disclosed_on="2026-11-22",
        withheld_reason="confidentiality order 7/26",
    )
    shown, held = _stored(platform)
    assert shown.subject_email == "rita@example.org" and shown.withheld_reason is None
    assert held.withheld_reason == "confidentiality order 7/26" and held.released_at is None
    page = dpo.client.get("/staff/disclosures").text
    assert "Staatsanwaltschaft Köln" in page and "502 Gs 123/26" in page
    assert "sign-in times and IP addresses" in page and "rita@example.org" in page
    assert "withheld: confidentiality order 7/26" in page
    assert page.index(f'id="disclosure-{held.id}"') < page.index(f'id="disclosure-{shown.id}"')
    assert f'action="/staff/disclosures/{held.id}/release"' in page
    assert f'action="/staff/disclosures/{shown.id}/release"' not in page
    assert "investigating fraud or abuse" in page

    released = dpo.client.post(f"/staff/disclosures/{held.id}/release", follow_redirects=False)
    assert released.status_code == 303
    assert released.headers["location"] == f"/staff/disclosures#disclosure-{held.id}"
    page = dpo.client.get("/staff/disclosures").text
    assert "released on 2026-11-24" in page and "/release" not in page
    assert _stored(platform)[1].released_at is not None
    assert _audited(platform) == [
        ("privacy.disclosure.record", f"disclosure:{shown.id}"),
        ("privacy.disclosure.record", f"disclosure:{held.id}"),
        ("privacy.disclosure.release", f"disclosure:{held.id}"),
    ]

    again = dpo.client.post(f"/staff/disclosures/{held.id}/release")
    assert again.status_code == 409 and "This disclosure is not withheld." in again.text
    unknown = dpo.client.post("/staff/disclosures/999/release")
    assert unknown.status_code == 404 and "No such disclosure." in unknown.text
    assert len(_audited(platform)) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"disclosed_on": "2026-02-30"}, "disclosed_on:"),
        ({"disclosed_on": ""}, "disclosed_on:"),
        ({"disclosed_on": "2099-01-01"}, "A disclosure cannot be made in the future."),
        ({"ground": "curiosity"}, "ground:"),
        ({"subject_email": "nobody"}, "subject_email:"),
        ({"recipient": "   "}, "This field cannot be empty."),
        ({"reference": ""}, "reference:"),
        ({"data_disclosed": "x" * 5001}, "data_disclosed:"),
        ({"withheld_reason": "x" * 301}, "withheld_reason:"),
    ],
)
def test_a_bad_record_is_shown_on_the_page_and_nothing_is_kept(
    platform: Platform, dpo: Account, change: dict[str, str], message: str
) -> None:
    refused = dpo.client.post("/staff/disclosures", data={**DISCLOSED, **change})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert '<p class="form-error" role="alert">' in refused.text and message in refused.text
    if "reference" not in change:
        assert 'value="502 Gs 123/26"' in refused.text  # what was entered is kept
    assert _count(platform) == (0, 0)


def test_a_form_missing_its_fields_is_refused_on_the_page(platform: Platform, dpo: Account) -> None:
    refused = dpo.client.post("/staff/disclosures", data={})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert _count(platform) == (0, 0)
