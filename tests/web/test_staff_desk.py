"""What the console's desks share: the navigation shows a member of staff the desks
their role opens, ``/staff`` leads to the first, and the customer search takes any
text literally."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import update

from interpreta.accounts.models import StaffRole, User
from interpreta.datamap.activities import BILLING
from interpreta.errors import conflict
from interpreta.platform import Platform
from interpreta.privacy.processing import processing
from interpreta.web.forms import refusal
from interpreta.web.staff_desk import customers
from tests.conftest import Account, make_staff


@pytest.mark.parametrize(
    ("role", "desks"),
    [
        (StaffRole.SUPPORT, ["/staff/support"]),
        (StaffRole.BILLING, ["/staff/billing"]),
        (StaffRole.SALES, ["/staff/crm"]),
        (StaffRole.DPO, ["/staff/breaches", "/staff/marks", "/staff/disclosures"]),
        (
            StaffRole.ADMIN,
            [
                "/staff/support",
                "/staff/billing",
                "/staff/crm",
                "/staff/breaches",
                "/staff/marks",
                "/staff/disclosures",
            ],
        ),
    ],
)
def test_each_role_sees_its_own_desks(
    platform: Platform, sign_up: Any, role: StaffRole, desks: list[str]
) -> None:
    someone: Account = sign_up("stella", "Operator")
    make_staff(platform, someone, role)
    entrance = someone.client.get("/staff", follow_redirects=False)
    assert entrance.status_code == 303 and entrance.headers["location"] == desks[0]
    page = someone.client.get(desks[0])
    assert page.status_code == 200
    shown = [
        d
        for d in (
            "/staff/support",
            "/staff/billing",
            "/staff/crm",
            "/staff/breaches",
            "/staff/marks",
            "/staff/disclosures",
        )
        if f'href="{d}"' in page.text
    ]
    assert shown == desks
    assert f'href="{desks[0]}" aria-current="page"' in page.text


def test_staff_without_two_factor_sign_in_have_no_desk(platform: Platform, sign_up: Any) -> None:
    someone: Account = sign_up("sid", "Operator")
    with platform.transaction() as db:
        db.execute(
            update(User).where(User.id == someone.user_id).values(staff_role=StaffRole.ADMIN)
        )
    assert someone.client.get("/staff", follow_redirects=False).status_code == 404
    assert someone.client.get("/staff/support").status_code == 404


def test_the_customer_search_takes_text_literally(platform: Platform, sign_up: Any) -> None:
    sign_up("ann", "100% Dolmetschen")
    sign_up("ben", "Bennett_Conferences")
    sign_up("cat", "Catalan Events")
    with processing(BILLING):
        found = {text: [c.name for c in customers(platform, text)] for text in ("%", "_", "EVENTS")}
        every = customers(platform)
    assert found == {
        "%": ["100% Dolmetschen"],
        "_": ["Bennett_Conferences"],
        "EVENTS": ["Catalan Events"],
    }
    assert len(every) == 3


class _Form(BaseModel):
    title: str = Field(min_length=1)


def test_a_refusal_names_the_field_or_the_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        _Form.model_validate({"title": ""})
    status, message = refusal(caught.value)
    assert status == 422 and message.startswith("title: ")
    assert refusal(conflict("The month is invoiced already.")) == (
        409,
        "The month is invoiced already.",
    )


@pytest.mark.parametrize("desk", ["/staff/billing", "/staff/crm"])
@pytest.mark.parametrize("search", ["Bad\x00name", "x" * 101])
def test_a_search_no_name_could_match_is_refused(
    platform: Platform, sign_up: Any, desk: str, search: str
) -> None:
    someone: Account = sign_up("stella", "Operator")
    make_staff(platform, someone, StaffRole.ADMIN)
    refused = someone.client.get(desk, params={"q": search})
    assert refused.status_code == 422 and "without control characters" in refused.text
