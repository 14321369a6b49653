"""What every response carries, and what no request may bring: headers, body size, bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from interpreta.platform import Platform
from tests.conftest import Account


def _csp(response: Any) -> str:
    return str(response.headers["content-security-policy"])


def test_pages_and_api_carry_a_strict_csp_and_no_store(app_client: TestClient) -> None:
    for path in ("/", "/privacy", "/login", "/api/auth/me", "/join/ZZZZZZZ"):
        response = app_client.get(path, headers={"Accept": "text/html"})
        csp = _csp(response)
        assert "script-src 'self';" in csp and "unsafe" not in csp, path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["cache-control"] == "no-store", path
    static = app_client.get("/static/favicon.svg")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_only_the_api_documentation_may_run_its_inline_script(app_client: TestClient) -> None:
    assert "'unsafe-inline'" in _csp(app_client.get("/docs"))
    assert "'unsafe-inline'" not in _csp(app_client.get("/openapi.json"))


def test_personal_exports_and_reports_are_never_cached(sign_up: Any) -> None:
    ann: Account = sign_up("ann")
    for path in ("/api/privacy/me/export.zip", "/api/privacy/me/report", "/privacy/me"):
        response = ann.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    report = ann.client.get("/api/privacy/me/report")
    assert _csp(report) == "default-src 'none'; style-src 'unsafe-inline'"  # no script


def test_microphone_camera_and_screen_are_granted_only_where_they_are_used(
    app_client: TestClient,
) -> None:
    for path, granted in (
        ("/", False),
        ("/join/ZZZZZZZ", True),  # in a meeting, listeners talk and show themselves
        ("/events", False),
        ("/events/7", False),
        ("/events/7/live", True),  # the organiser's camera and screen
        ("/speak/ZZZZZZZ", True),
        ("/interpret/ZZZZZZZ", True),
    ):
        policy = app_client.get(path, follow_redirects=False).headers["permissions-policy"]
        grant = "(self)" if granted else "()"
        for feature in ("microphone", "camera", "display-capture"):
            assert f"{feature}={grant}" in policy, (path, policy)


@pytest.fixture
def small_bodies(platform: Platform) -> Iterator[TestClient]:
    """A client of an app that accepts at most 2 KiB per request body."""
    from interpreta.app import create_app

    platform.settings.max_body_bytes = 2048
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        yield client


def test_a_body_over_the_limit_is_refused_with_413(small_bodies: TestClient) -> None:
    big = b'{"email": "' + b"x" * 4096 + b'"}'
    declared = small_bodies.post(
        "/api/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield big[:1500]
        yield big[1500:]

    streamed = small_bodies.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    fine = small_bodies.post("/api/auth/login", json={"email": "a@example.org", "password": "x"})
    assert fine.status_code in (401, 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/events/99999999999999999999",
        "/api/events/0",
        "/api/organisations/9223372036854775808",
        "/api/organisations/1/members/4294967296",
        "/events/99999999999999999999",
        "/api/privacy/requests/99999999999999999999",
    ],
)
def test_ids_out_of_the_database_range_are_422_not_500(sign_up: Any, path: str) -> None:
    ann: Account = sign_up("ann")
    response = ann.client.get(path) if "members" not in path else ann.client.delete(path)
    assert response.status_code == 422, (path, response.text)
    assert response.headers["content-type"] == "application/problem+json"


def test_control_characters_in_text_are_refused_and_nothing_is_stored(
    app_client: TestClient, sign_up: Any
) -> None:
    answer = app_client.post(
        "/api/auth/signup",
        json={
            "email": "nul@example.org",
            "name": "Null\x00Byte",
            "password": "correct horse battery",
            "organisation_name": "Org",
        },
    )
    assert answer.status_code == 422 and "Control characters" in answer.text
    login = app_client.post(
        "/api/auth/login", json={"email": "nul@example.org", "password": "correct horse battery"}
    )
    assert login.status_code == 401  # no account was made
    ann: Account = sign_up("ann")
    renamed = ann.client.patch(
        f"/api/organisations/{ann.organisation_id}", json={"name": "Esc\x1b[31m"}
    )
    assert renamed.status_code == 422
    multi_line = ann.client.post(
        "/api/privacy/requests", json={"kind": "access", "details": "line one\nline two\tend"}
    )
    assert multi_line.status_code == 201  # tabs and line breaks are text


def test_event_dates_stay_in_a_window_every_time_zone_can_show(sign_up: Any) -> None:
    ann: Account = sign_up("ann")
    url = f"/api/organisations/{ann.organisation_id}/events"
    event = {"title": "T", "timezone": "Pacific/Kiritimati"}
    far = ann.client.post(
        url, json={**event, "starts_at": "9999-12-31T23:00:00Z", "ends_at": "9999-12-31T23:30:00Z"}
    )
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "starts_at"
    long = ann.client.post(
        url, json={**event, "starts_at": "2027-01-01T09:00:00Z", "ends_at": "2029-01-01T09:00:00Z"}
    )
    assert long.status_code == 422 and "at most a year" in long.text
