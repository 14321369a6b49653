"""``/api/consent``: the banner's answer over REST, kept in a strictly necessary cookie
and recorded (proof of consent, kept through an erasure as the law asks, and said so);
bad input is refused with nothing recorded."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from interpreta.datamap.storage import BANNER_VERSION
from interpreta.platform import Platform
from interpreta.visitors.models import CookieConsent
from tests.privacy.rights.answers import erased, exported
from tests.privacy.rights.seed import Person


def _rows(platform: Platform) -> list[CookieConsent]:
    with platform.sessions() as db:
        return list(db.scalars(select(CookieConsent).order_by(CookieConsent.id)))


def test_p05_answering_sets_the_consent_cookie_and_records_it(
    platform: Platform, app_client: TestClient
) -> None:
    assert app_client.get("/api/consent").json() == {
        "version": BANNER_VERSION,
        "answered": False,
        "preferences": False,
    }
    answer = app_client.post("/api/consent", json={"version": BANNER_VERSION, "preferences": True})
    assert answer.status_code == 200 and answer.json()["preferences"] is True
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("interpreta_consent=")
    assert all(flag in cookie for flag in ("HttpOnly", "Secure", "SameSite=lax", "Max-Age="))
    assert app_client.get("/api/consent").json()["answered"] is True
    app_client.post("/api/consent", json={"version": BANNER_VERSION, "preferences": False})
    rows = _rows(platform)
    assert [(r.preferences, r.withdrawal, r.user_id) for r in rows] == [
        (True, False, None),
        (False, True, None),
    ]
    assert rows[0].visitor_key == rows[1].visitor_key


def test_bad_answers_are_refused_with_nothing_recorded(
    platform: Platform, app_client: TestClient
) -> None:
    bad: list[tuple[Any, int]] = [
        ({"version": BANNER_VERSION, "preferences": "yes"}, 422),
        ({"version": BANNER_VERSION}, 422),
        ({"preferences": True}, 422),
        ({"version": "x" * 40, "preferences": True}, 422),
        ({"version": "1999-01", "preferences": True}, 409),
    ]
    for body, status in bad:
        answer = app_client.post("/api/consent", json=body)
        assert answer.status_code == status, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert "set-cookie" not in answer.headers
    assert _rows(platform) == []


def test_a_signed_in_answer_is_exported_and_an_erasure_keeps_it_as_proof_and_says_so(
    platform: Platform, sign_up: Any
) -> None:
    ann = sign_up("ann")
    ann.client.post("/api/consent", json={"version": BANNER_VERSION, "preferences": True})
    person = Person(0, ann.user_id, ann.email)
    values, _archive = exported(platform, person)
    assert BANNER_VERSION in values and _rows(platform)[0].visitor_key in values
    reports = erased(platform, person)
    kept = [k for r in reports for k in r["kept"] if k["table"] == "cookie_consents"]
    assert kept and "the law obliges us" in kept[0]["reason"]  # Art. 7(1): proof of consent
    assert len(_rows(platform)) == 1
