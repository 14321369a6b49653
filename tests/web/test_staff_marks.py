"""The DPO's page of restrictions and objections: overriding grounds for an objection (P32)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from interpreta.datamap.activities import PRIVACY_REQUESTS, SECURITY_AUDIT, STATISTICS
from interpreta.platform import Platform
from interpreta.privacy import audit
from interpreta.privacy.marks import MarkKind, ProcessingMark
from interpreta.privacy.models import AuditEntry
from interpreta.privacy.processing import processing
from interpreta.privacy.rights import restrict
from interpreta.privacy.rights.subjects import Identity
from tests.conftest import Account, make_staff


def _mark(
    platform: Platform, kind: MarkKind, *, user_id: int | None = None, email: str | None = None
) -> int:
    with platform.transaction() as db, processing(PRIVACY_REQUESTS, session=db):
        identity = Identity.of(user_id=user_id, email=email)
        return restrict.place(db, identity, kind, now=platform.clock.now(), reason="my reasons").id


def _lift(platform: Platform, user_id: int, kind: MarkKind) -> None:
    with platform.transaction() as db, processing(PRIVACY_REQUESTS, session=db):
        restrict.lift(db, Identity.of(user_id=user_id), kind, now=platform.clock.now())


def _blocked(platform: Platform, user_id: int) -> bool:
    with platform.sessions() as db, processing(PRIVACY_REQUESTS):
        return restrict.blocked(db, Identity.of(user_id=user_id), STATISTICS)


def _stored(platform: Platform, mark_id: int) -> ProcessingMark:
    with platform.sessions() as db:
        mark = db.get(ProcessingMark, mark_id)
        assert mark is not None
        return mark


def _entries(platform: Platform) -> list[AuditEntry]:
    with platform.sessions() as db:
        query = select(AuditEntry).where(AuditEntry.action == "mark.overriding_grounds")
        return list(db.scalars(query.order_by(AuditEntry.seq)))


@pytest.fixture
def dpo(platform: Platform, sign_up: Any) -> Account:
    """A signed-in member of staff with the DPO role."""
    account: Account = sign_up("dora")
    make_staff(platform, account)
    return account


def test_p32_the_marks_page_is_for_the_dpo_only(
    platform: Platform, sign_up: Any, dpo: Account
) -> None:
    customer: Account = sign_up("carl")
    objection = _mark(platform, MarkKind.OBJECTION, user_id=customer.user_id)
    refused = customer.client.get("/staff/marks")
    assert refused.status_code == 404 and "This page does not exist." in refused.text
    posted = customer.client.post(
        f"/staff/marks/{objection}/grounds", data={"grounds": "fraud"}, follow_redirects=False
    )
    assert posted.status_code == 404
    assert _stored(platform, objection).overriding_grounds is None and _entries(platform) == []
    page = dpo.client.get("/staff/marks")
    assert page.status_code == 200 and "Restrictions and objections" in page.text
    assert f'action="/staff/marks/{objection}/grounds"' in page.text
    assert 'href="/staff/breaches"' in page.text
    assert 'href="/staff/marks"' in dpo.client.get("/staff/breaches").text


def test_p32_the_page_lists_marks_in_force_without_email_addresses(
    platform: Platform, dpo: Account
) -> None:
    by_email = _mark(platform, MarkKind.MARKETING_OBJECTION, email="quiet@example.org")
    restriction = _mark(platform, MarkKind.RESTRICTION, user_id=41)
    lifted = _mark(platform, MarkKind.OBJECTION, user_id=42)
    _lift(platform, 42, MarkKind.OBJECTION)
    page = dpo.client.get("/staff/marks").text
    assert f"#{by_email} marketing objection" in page and f"#{restriction} restriction" in page
    assert f"#{lifted} " not in page
    assert "user 41" in page and "storage and legal duties" in page
    assert "quiet@example.org" not in page and _stored(platform, by_email).email_digest not in page
    assert "my reasons" not in page
    assert "/grounds" not in page  # only an objection takes overriding grounds


def test_p32_the_dpo_records_overriding_grounds_and_it_is_audited(
    platform: Platform, sign_up: Any, dpo: Account
) -> None:
    person: Account = sign_up("olga")
    objection = _mark(platform, MarkKind.OBJECTION, user_id=person.user_id)
    assert _blocked(platform, person.user_id)
    posted = dpo.client.post(
        f"/staff/marks/{objection}/grounds",
        data={"grounds": "  Fraud investigation case 12  "},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/staff/marks?recorded={objection}"
    page = dpo.client.get(posted.headers["location"])
    assert f"Overriding grounds recorded for mark #{objection}." in page.text
    assert f'action="/staff/marks/{objection}/grounds"' not in page.text
    assert _stored(platform, objection).overriding_grounds == "Fraud investigation case 12"
    assert not _blocked(platform, person.user_id)
    (entry,) = _entries(platform)
    with platform.sessions() as db, processing(SECURITY_AUDIT):
        names = platform.keyring.pseudonyms(db.connection())
        assert entry.actor == names.user(dpo.user_id)
        assert entry.subject == names.user(person.user_id)
        assert entry.target == f"mark:{objection}"
        assert "Fraud" not in str(entry.detail) and audit.verify(db).ok


@pytest.mark.parametrize("grounds", ["", "   ", "x" * 2001])
def test_p32_empty_or_overlong_grounds_are_refused_and_nothing_changes(
    platform: Platform, dpo: Account, grounds: str
) -> None:
    objection = _mark(platform, MarkKind.OBJECTION, user_id=7)
    posted = dpo.client.post(f"/staff/marks/{objection}/grounds", data={"grounds": grounds})
    assert posted.status_code == 422
    assert 'role="alert"' in posted.text and "grounds" in posted.text
    assert _stored(platform, objection).overriding_grounds is None and _entries(platform) == []


def test_p32_unknown_marks_are_404_and_other_marks_are_refused(
    platform: Platform, dpo: Account
) -> None:
    unknown = dpo.client.post("/staff/marks/999/grounds", data={"grounds": "fraud"})
    assert unknown.status_code == 404 and "No such processing mark." in unknown.text
    restriction = _mark(platform, MarkKind.RESTRICTION, user_id=8)
    refused = dpo.client.post(f"/staff/marks/{restriction}/grounds", data={"grounds": "fraud"})
    assert refused.status_code == 409 and "only to an objection" in refused.text
    assert _stored(platform, restriction).overriding_grounds is None
    objection = _mark(platform, MarkKind.OBJECTION, user_id=9)
    _lift(platform, 9, MarkKind.OBJECTION)
    lifted = dpo.client.post(f"/staff/marks/{objection}/grounds", data={"grounds": "fraud"})
    assert lifted.status_code == 409 and "was lifted" in lifted.text
    assert _stored(platform, objection).overriding_grounds is None
    assert _entries(platform) == []


def test_p32_grounds_already_recorded_are_not_overwritten(platform: Platform, dpo: Account) -> None:
    objection = _mark(platform, MarkKind.OBJECTION, email="obj@example.org")
    first = dpo.client.post(f"/staff/marks/{objection}/grounds", data={"grounds": "first"})
    assert first.status_code == 200  # followed the redirect to the page
    again = dpo.client.post(f"/staff/marks/{objection}/grounds", data={"grounds": "second"})
    assert again.status_code == 409 and "already recorded" in again.text
    assert _stored(platform, objection).overriding_grounds == "first"
    (entry,) = _entries(platform)
    assert entry.subject is None  # a mark by email digest names nobody in the trail


def test_cross_site_posts_are_refused(platform: Platform, dpo: Account) -> None:
    objection = _mark(platform, MarkKind.OBJECTION, user_id=5)
    posted = dpo.client.post(
        f"/staff/marks/{objection}/grounds",
        data={"grounds": "fraud"},
        headers={"Origin": "https://evil.example"},
    )
    assert posted.status_code == 403
    assert _stored(platform, objection).overriding_grounds is None


def test_staff_pages_mark_the_current_one(dpo: Account) -> None:
    page = dpo.client.get("/staff/marks").text
    assert '<a href="/staff/marks" aria-current="page">' in page
