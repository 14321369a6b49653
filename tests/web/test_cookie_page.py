"""The cookie page lists the inventory and takes an answer without JavaScript."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from interpreta.datamap.storage import BANNER_VERSION, INVENTORY
from interpreta.platform import Platform
from interpreta.visitors.models import CookieConsent


def test_the_page_lists_every_item_and_the_banner_shows_until_answered(
    app_client: TestClient,
) -> None:
    page = app_client.get("/cookies")
    assert page.status_code == 200
    for item in INVENTORY:
        assert item.name in page.text
    assert 'id="consent-banner" aria-labelledby' in page.text  # shown, not hidden
    answer = app_client.post(
        "/cookies",
        data={"preferences": "no", "version": BANNER_VERSION, "next": "/privacy"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/privacy"
    assert (
        'id="consent-banner" aria-labelledby="consent-heading" hidden' in app_client.get("/").text
    )


def test_a_bad_answer_or_a_foreign_destination_changes_nothing_else(
    platform: Platform, app_client: TestClient
) -> None:
    for data in ({"preferences": "maybe", "version": BANNER_VERSION}, {"version": BANNER_VERSION}):
        answer = app_client.post("/cookies", data=data)
        assert answer.status_code == 422 and "set-cookie" not in answer.headers
    stale = app_client.post("/cookies", data={"preferences": "yes", "version": "1999-01"})
    assert stale.status_code == 409
    with platform.sessions() as db:
        assert db.scalars(select(CookieConsent)).all() == []
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = app_client.post(
            "/cookies",
            data={"preferences": "yes", "version": BANNER_VERSION, "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/cookies?saved=1", target
