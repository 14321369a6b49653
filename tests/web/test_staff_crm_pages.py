"""The sales desk's pages: the pipeline and the customers, and one customer's contacts,
notes and deals kept through the forms, each change audited as from the API; bad input
and a closed account refused on the page; nobody but sales (and admin) staff reaches it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from interpreta.accounts.actions import close_organisation
from interpreta.accounts.models import Organisation, StaffRole
from interpreta.crm.models import CrmContact, CrmNote, Deal, DealStage
from interpreta.platform import Platform
from interpreta.privacy.models import AuditEntry
from tests.conftest import Account, make_staff

ANNA = {
    "name": "Anna Berger",
    "email": "Anna.Berger@Example.org",
    "phone": "+49 221 555 01",
    "job_title": "",
}


@pytest.fixture
def desk(platform: Platform, sign_up: Any) -> tuple[Account, Account]:
    """A customer, and a salesperson of the operator."""
    rita: Account = sign_up("rita", "Rita Events")
    sally: Account = sign_up("sally", "Operator")
    make_staff(platform, sally, StaffRole.SALES)
    return rita, sally


def _account(organisation_id: int) -> str:
    return f"/staff/crm/organisations/{organisation_id}"


def _rows(platform: Platform) -> tuple[int, int, int, int]:
    """How many contacts, notes, deals and CRM audit entries there are."""
    with platform.sessions() as db:
        return (
            db.scalar(select(func.count()).select_from(CrmContact)) or 0,
            db.scalar(select(func.count()).select_from(CrmNote)) or 0,
            db.scalar(select(func.count()).select_from(Deal)) or 0,
            db.scalar(select(func.count()).where(AuditEntry.action.like("crm.%"))) or 0,
        )


def _actions(platform: Platform) -> list[tuple[str, str]]:
    with platform.sessions() as db:
        query = select(AuditEntry.action, AuditEntry.target).where(AuditEntry.action.like("crm.%"))
        return [(a, t) for a, t in db.execute(query.order_by(AuditEntry.seq))]


def _contact_id(platform: Platform, name: str) -> int:
    with platform.sessions() as db:
        found = db.scalar(select(CrmContact.id).where(CrmContact.name == name))
        assert found is not None
        return found


def _deal(platform: Platform, title: str) -> Deal:
    with platform.sessions() as db:
        found = db.scalar(select(Deal).where(Deal.title == title))
        assert found is not None
        return found


def _posted(client: Any, url: str, data: dict[str, str], where: str) -> None:
    """Post a form that succeeds: a 303 back to the account page at `where`."""
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith(where)


def _refused(response: Any, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<p class="form-error" role="alert">' in response.text
    assert message in response.text


def test_the_sales_desk_lists_the_pipeline_and_the_customers(
    desk: tuple[Account, Account],
) -> None:
    rita, sally = desk
    page = sally.client.get("/staff/crm")
    assert page.status_code == 200
    assert "<h1>Customers and deals</h1>" in page.text and "No deal is open." in page.text
    assert f'href="{_account(rita.organisation_id)}">Rita Events</a>' in page.text
    assert f'href="{_account(sally.organisation_id)}">Operator</a>' in page.text
    assert '<a href="/staff/crm" aria-current="page">' in page.text
    found = sally.client.get("/staff/crm", params={"q": "rITA"}).text
    assert "Rita Events</a>" in found and "Operator</a>" not in found
    nothing = sally.client.get("/staff/crm", params={"q": "50%_"}).text
    assert "Rita Events</a>" not in nothing and "in its name." in nothing
    too_long = sally.client.get("/staff/crm", params={"q": "x" * 101})
    _refused(too_long, 422, "at most 100 characters")


@pytest.mark.parametrize("role", [None, StaffRole.SUPPORT, StaffRole.BILLING, StaffRole.DPO])
def test_only_sales_staff_reach_the_crm_pages_and_nothing_is_written(
    platform: Platform,
    sign_up: Any,
    desk: tuple[Account, Account],
    role: StaffRole | None,
) -> None:
    rita, sally = desk
    base = _account(rita.organisation_id)
    _posted(sally.client, f"{base}/contacts", ANNA, "#contacts")
    anna = _contact_id(platform, "Anna Berger")
    _posted(sally.client, f"{base}/deals", {"title": "Plan", "value": "10"}, "#deals")
    deal = _deal(platform, "Plan").id
    before = _rows(platform)
    someone: Account = sign_up("bob", "Bob Ltd")
    if role is not None:
        make_staff(platform, someone, role)
    for url in ("/staff/crm", base):
        refused = someone.client.get(url)
        assert refused.status_code == 404 and "This page does not exist." in refused.text
        assert "Anna Berger" not in refused.text
    for url, data in [
        (f"{base}/contacts", {"name": "Ben", "email": "ben@example.org"}),
        (f"{base}/notes", {"body": "Hello"}),
        (f"{base}/deals", {"title": "Extra", "value": "1"}),
        (f"{base}/deals/{deal}/stage", {"stage": "won"}),
        (f"{base}/contacts/{anna}/remove", {}),
    ]:
        refused = someone.client.post(url, data=data, follow_redirects=False)
        assert refused.status_code == 404, url
    assert _rows(platform) == before
    assert _deal(platform, "Plan").stage is DealStage.LEAD


def test_an_admin_opens_the_crm_pages(
    platform: Platform, sign_up: Any, desk: tuple[Account, Account]
) -> None:
    rita, _sally = desk
    admin: Account = sign_up("ada", "Operator admin")
    make_staff(platform, admin, StaffRole.ADMIN)
    assert admin.client.get("/staff/crm").status_code == 200
    assert admin.client.get(_account(rita.organisation_id)).status_code == 200


def test_sales_keep_contacts_notes_and_deals_through_the_forms(
    platform: Platform, desk: tuple[Account, Account]
) -> None:
    rita, sally = desk
    base = _account(rita.organisation_id)
    empty = sally.client.get(base)
    assert empty.status_code == 200 and "<h1>Rita Events</h1>" in empty.text
    assert "No contact yet." in empty.text and "No deal yet." in empty.text

    _posted(sally.client, f"{base}/contacts", ANNA, "#contacts")
    anna = _contact_id(platform, "Anna Berger")
    page = sally.client.get(base).text
    assert "anna.berger@example.org" in page and "+49 221 555 01" in page
    assert f'action="{base}/contacts/{anna}/remove"' in page

    note = {"body": "Anna wants Italian and Spanish in March.", "contact_id": str(anna)}
    _posted(sally.client, f"{base}/notes", note, "#notes")
    _posted(sally.client, f"{base}/notes", {"body": "Budget approved.", "contact_id": ""}, "#notes")
    page = sally.client.get(base).text
    assert "about Anna Berger" in page
    assert page.index("Budget approved.") < page.index("Anna wants Italian")  # newest first

    deal = {
        "title": "Annual plan 2027",
        "value": "5880.00",
        "currency": "EUR",
        "plan": "",
        "contact_id": str(anna),
        "expected_on": "2027-01-15",
    }
    _posted(sally.client, f"{base}/deals", deal, "#deals")
    _posted(sally.client, f"{base}/deals", {"title": "Extra booth", "value": "900"}, "#deals")
    annual, extra = _deal(platform, "Annual plan 2027"), _deal(platform, "Extra booth")
    assert annual.contact_id == anna and str(annual.expected_on) == "2027-01-15"
    page = sally.client.get(base).text
    assert "5880.00 EUR" in page and "900.00 EUR" in page and "2027-01-15" in page
    pipeline = sally.client.get("/staff/crm").text
    assert "<td>lead</td>" in pipeline and "6780.00" in pipeline

    stage = f"{base}/deals/{annual.id}/stage"
    _posted(sally.client, stage, {"stage": "proposal", "lost_reason": ""}, f"#deal-{annual.id}")
    _posted(sally.client, stage, {"stage": "won", "lost_reason": ""}, f"#deal-{annual.id}")
    lost = {"stage": "lost", "lost_reason": "chose a competitor"}
    _posted(sally.client, f"{base}/deals/{extra.id}/stage", lost, f"#deal-{extra.id}")
    assert _deal(platform, "Annual plan 2027").stage is DealStage.WON
    assert _deal(platform, "Extra booth").stage is DealStage.LOST
    page = sally.client.get(base).text
    assert "chose a competitor" in page and "(closed 2026-11-24)" in page
    assert "/stage" not in page  # closed deals take no move
    assert "No deal is open." in sally.client.get("/staff/crm").text

    _posted(sally.client, f"{base}/contacts/{anna}/remove", {}, "#contacts")
    page = sally.client.get(base).text
    assert "Anna Berger" not in page and "Anna wants Italian" not in page
    assert "Budget approved." in page and "Annual plan 2027" in page  # the deal stays
    assert _rows(platform)[:3] == (0, 1, 2)

    note_ids = [t for a, t in _actions(platform) if a == "crm.note.add"]
    assert [a for a, _t in _actions(platform)] == [
        "crm.contact.add",
        "crm.note.add",
        "crm.note.add",
        "crm.deal.open",
        "crm.deal.open",
        "crm.deal.move",
        "crm.deal.move",
        "crm.deal.move",
        "crm.contact.remove",
    ]
    assert ("crm.contact.remove", f"crm_contact:{anna}") in _actions(platform)
    assert len(note_ids) == 2 and all(t.startswith("crm_note:") for t in note_ids)
    with platform.sessions() as db:
        details = " ".join(db.scalars(select(AuditEntry.detail)))
    assert "Anna" not in details and "Italian" not in details  # rows, never what was said


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("contacts", {"name": "", "email": "a@example.org"}, "name:"),
        ("contacts", {"name": "   ", "email": "a@example.org"}, "This field cannot be empty."),
        ("contacts", {"name": "Anna", "email": "not an address"}, "email:"),
        ("contacts", {"name": "Anna", "email": "a@example.org", "phone": "call me"}, "phone:"),
        ("contacts", {}, "name:"),
        ("notes", {"body": ""}, "at least 1 character"),
        ("notes", {"body": "Hello", "contact_id": "999"}, "No such contact."),
        ("notes", {"body": "Hello", "contact_id": "abc"}, "contact_id:"),
        ("deals", {"title": "Plan", "value": "-1"}, "value:"),
        ("deals", {"title": "Plan", "value": ""}, "value:"),
        ("deals", {"title": "Plan", "value": "10", "currency": "euro"}, "currency:"),
        ("deals", {"title": "Plan", "value": "10", "expected_on": "2027-13-45"}, "expected_on:"),
        ("deals", {"title": "Plan", "value": "10", "plan": "platinum"}, "No plan has that code."),
        ("deals", {"title": "Plan", "value": "10", "contact_id": "999"}, "No such contact."),
    ],
)
def test_bad_input_is_shown_on_the_page_and_nothing_is_written(
    platform: Platform,
    desk: tuple[Account, Account],
    path: str,
    data: dict[str, str],
    message: str,
) -> None:
    rita, sally = desk
    base = _account(rita.organisation_id)
    before = _rows(platform)
    refused = sally.client.post(f"{base}/{path}", data=data, follow_redirects=False)
    _refused(refused, 422, message)
    assert "<h1>Rita Events</h1>" in refused.text
    if data.get("title"):
        assert 'value="Plan"' in refused.text  # what was entered is kept
    assert _rows(platform) == before


def test_a_deal_moves_only_as_the_pipeline_allows(
    platform: Platform, sign_up: Any, desk: tuple[Account, Account]
) -> None:
    rita, sally = desk
    base = _account(rita.organisation_id)
    _posted(sally.client, f"{base}/deals", {"title": "Plan", "value": "10"}, "#deals")
    deal = _deal(platform, "Plan").id
    stage = f"{base}/deals/{deal}/stage"
    before = _rows(platform)
    no_reason = sally.client.post(stage, data={"stage": "lost", "lost_reason": "  "})
    _refused(no_reason, 422, "Say why the deal was lost.")
    unknown = sally.client.post(stage, data={"stage": "closed"})
    _refused(unknown, 422, "stage:")
    otto: Account = sign_up("otto", "Otto Ltd")
    elsewhere = sally.client.post(
        f"{_account(otto.organisation_id)}/deals/{deal}/stage", data={"stage": "won"}
    )
    _refused(elsewhere, 404, "No such deal.")
    missing = sally.client.post(f"{base}/contacts/999/remove")
    _refused(missing, 404, "No such contact.")
    assert _rows(platform) == before and _deal(platform, "Plan").stage is DealStage.LEAD
    _posted(sally.client, stage, {"stage": "won"}, f"#deal-{deal}")
    over = sally.client.post(stage, data={"stage": "lead"})
    _refused(over, 409, "The deal is closed; open a new one.")
    assert _deal(platform, "Plan").stage is DealStage.WON


def test_an_unknown_customer_is_not_found(desk: tuple[Account, Account]) -> None:
    _rita, sally = desk
    page = sally.client.get(_account(999))
    assert page.status_code == 404 and "No such organisation." in page.text
    posted = sally.client.post(f"{_account(999)}/notes", data={"body": "Hello"})
    assert posted.status_code == 404 and "No such organisation." in posted.text


def test_a_closed_account_shows_but_takes_no_new_records(
    platform: Platform, desk: tuple[Account, Account]
) -> None:
    rita, sally = desk
    base = _account(rita.organisation_id)
    _posted(sally.client, f"{base}/contacts", ANNA, "#contacts")
    with platform.transaction() as db:
        organisation = db.get(Organisation, rita.organisation_id)
        assert organisation is not None
        close_organisation(organisation, platform.clock.now())
    page = sally.client.get(base)
    assert page.status_code == 200 and "Anna Berger" in page.text
    assert "<dd>closed</dd>" in page.text and "The customer account is closed:" in page.text
    before = _rows(platform)
    for path, data in [
        ("contacts", {"name": "Ben", "email": "ben@example.org"}),
        ("notes", {"body": "Still there?"}),
        ("deals", {"title": "Win back", "value": "1"}),
    ]:
        refused = sally.client.post(f"{base}/{path}", data=data)
        _refused(refused, 409, "The customer account is closed.")
    assert _rows(platform) == before


def test_cross_site_posts_are_refused(platform: Platform, desk: tuple[Account, Account]) -> None:
    rita, sally = desk
    posted = sally.client.post(
        f"{_account(rita.organisation_id)}/contacts",
        data={"name": "Eve", "email": "eve@example.org"},
        headers={"Origin": "https://evil.example"},
    )
    assert posted.status_code == 403
    assert _rows(platform) == (0, 0, 0, 0)
