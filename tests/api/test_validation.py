"""Bad input gets a 422 (or 4xx) problem+json with field details, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import EVENT
from tests.conftest import Account


def _problem(response: Any, status: int = 422) -> list[dict[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return list(body.get("errors", []))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"ends_at": "2026-12-01T08:00:00+01:00"}, "ends_at"),
        ({"starts_at": "2026-12-01T09:00:00"}, "starts_at"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"languages": [{"code": "english!"}]}, "code"),
        ({"languages": [{"code": "de"}, {"code": "de"}]}, "code"),
        ({"topics": [""]}, "topics.0"),
    ],
)
def test_invalid_event_fields_are_named(owner: Account, change: dict[str, Any], field: str) -> None:
    response = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events", json={**EVENT, **change}
    )
    status = 409 if change.get("languages") == [{"code": "de"}, {"code": "de"}] else 422
    errors = _problem(response, status)
    assert field in [e["field"] for e in errors], errors


def test_bad_path_parameters_and_malformed_json(owner: Account) -> None:
    _problem(owner.client.get("/api/events/not-a-number"))
    response = owner.client.post(
        f"/api/organisations/{owner.organisation_id}/events",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    _problem(response)


def test_invalid_signup(app_client: Any) -> None:
    response = app_client.post(
        "/api/auth/signup",
        json={"email": "not-an-email", "name": "", "password": "short", "organisation_name": "O"},
    )
    fields = {e["field"] for e in _problem(response)}
    assert {"email", "name", "password"} <= fields


def test_p16_customer_retention_override_must_stay_within_operator_bounds(owner: Account) -> None:
    url = f"/api/organisations/{owner.organisation_id}"
    errors = _problem(owner.client.patch(url, json={"content_retention_days": 5000}))
    assert errors[0]["field"] == "content_retention_days"
    ok = owner.client.patch(url, json={"content_retention_days": 90})
    assert ok.status_code == 200 and ok.json()["content_retention_days"] == 90


def test_unknown_event_code_is_a_404_problem(app_client: Any) -> None:
    _problem(app_client.get("/api/join/ZZZZZZZ"), 404)
    _problem(app_client.get("/api/join/0"), 404)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
event_bodies = st.fixed_dictionaries(
    {},
    optional={
        "title": json_values,
        "starts_at": json_values | st.datetimes().map(lambda d: d.isoformat()),
        "ends_at": json_values | st.datetimes().map(lambda d: d.isoformat()),
        "timezone": json_values | st.sampled_from(["UTC", "Europe/Berlin", "", "Nowhere"]),
        "languages": json_values
        | st.lists(st.fixed_dictionaries({"code": st.text(max_size=5)}), max_size=3),
        "topics": json_values | st.lists(st.text(max_size=5), max_size=3),
        "status": json_values | st.sampled_from(["draft", "live", "ended", "gone"]),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=event_bodies)
def test_no_input_makes_the_event_api_fail_with_a_500(owner: Account, body: dict[str, Any]) -> None:
    create = owner.client.post(f"/api/organisations/{owner.organisation_id}/events", json=body)
    assert create.status_code in (201, 409, 422), create.text
    if create.status_code != 201:
        assert create.headers["content-type"] == "application/problem+json"
        return
    event_id = create.json()["id"]
    patch = owner.client.patch(f"/api/events/{event_id}", json=body)
    assert patch.status_code in (200, 409, 422), patch.text


def test_unknown_pages_get_html_and_unknown_api_paths_problem_json(app_client: Any) -> None:
    page = app_client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    _problem(app_client.get("/api/no/such/thing", headers={"accept": "text/html"}), 404)


def test_cross_site_writes_are_refused(owner: Account) -> None:
    url = f"/api/organisations/{owner.organisation_id}/events"
    evil = owner.client.post(url, json=EVENT, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    assert evil.headers["content-type"] == "application/problem+json"
    same = owner.client.post(url, json=EVENT, headers={"origin": "https://testserver"})
    assert same.status_code == 201
    assert owner.client.get(url, headers={"origin": "https://evil.example"}).status_code == 200


def test_what_listeners_give_is_a_closed_choice(owner: Account) -> None:
    url = f"/api/organisations/{owner.organisation_id}/events"
    errors = _problem(owner.client.post(url, json={**EVENT, "listener_details": "everything"}))
    assert [e["field"] for e in errors] == ["listener_details"]
    created = owner.client.post(url, json={**EVENT, "listener_details": "name"})
    assert created.status_code == 201 and created.json()["listener_details"] == "name"
    event = created.json()["id"]
    changed = owner.client.patch(f"/api/events/{event}", json={"listener_details": "none"})
    assert changed.json()["listener_details"] == "none"
    assert owner.client.get(f"/api/join/{created.json()['code']}").json()["listener_details"] == (
        "none"
    )


def test_the_openapi_document_says_every_operation_may_answer_with_a_problem(
    app_client: Any,
) -> None:
    schema = app_client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422", "429"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
    name = schema["components"]["schemas"]["SignUp"]["properties"]["name"]
    assert name["pattern"].startswith("^[^\\x00")  # control characters are refused, and said


def test_a_wrong_method_names_every_method_the_path_serves(app_client: Any) -> None:
    answer = app_client.options("/api/organisations/1")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, PATCH"
    assert answer.headers["content-type"] == "application/problem+json"
