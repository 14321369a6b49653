"""The API's problem documents in the request's language (Accept-Language, ``?lang=``):
titles, details and field messages, pydantic's validation messages included; English
as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from interpreta.i18n import catalogues
from tests.conftest import PASSWORD

LANGUAGES = ("de", "fr", "es", "it")


def _signup(client: TestClient, lang: str, **changes: str) -> Any:
    body = {"email": "ann@example.org", "name": "Ann", "password": PASSWORD}
    body |= {"organisation_name": "Ann Co", **changes}
    return client.post("/api/auth/signup", json=body, headers={"Accept-Language": lang})


def _translated(lang: str, message: str) -> str:
    """`message` in `lang`, checked to be translated (differs from the English)."""
    text = catalogues.translations(lang).gettext(message)
    assert text != message, f"{message!r} is not translated into {lang}"
    return text


def test_a_sign_up_conflict_is_in_german(app_client: TestClient) -> None:
    assert _signup(app_client, "en").status_code == 201
    app_client.post("/api/auth/logout")
    response = _signup(app_client, "de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    detail = _translated("de", "An account with this email address already exists.")
    assert problem["title"] == _translated("de", "Conflict")
    assert problem["detail"] == detail
    assert problem["errors"] == [{"field": "email", "message": detail}]


def test_pydantic_field_messages_are_translated(app_client: TestClient) -> None:
    response = _signup(app_client, "de", password="short")
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == _translated("de", "Invalid input")
    assert problem["detail"] == _translated("de", "Some fields are missing or wrong.")
    singular = "String should have at least %(num)s character"
    plural = "String should have at least %(num)s characters"
    expected = catalogues.translations("de").ngettext(singular, plural, 10) % {"num": 10}
    assert expected != "String should have at least 10 characters"
    assert {"field": "password", "message": expected} in problem["errors"]

    missing = app_client.post("/api/auth/signup", json={}, headers={"Accept-Language": "de"})
    messages = {e["field"]: e["message"] for e in missing.json()["errors"]}
    assert messages["email"] == _translated("de", "Field required")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_has_its_own_title(app_client: TestClient, lang: str) -> None:
    response = app_client.get(f"/api/auth/me?lang={lang}")
    assert response.status_code == 401
    problem = response.json()
    assert problem["title"] == _translated(lang, "Sign-in required")
    assert problem["detail"] == _translated(lang, "Sign in to do this.")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_404_detail_is_translated(app_client: TestClient, lang: str) -> None:
    assert _signup(app_client, "en").status_code == 201
    response = app_client.delete("/api/account/sessions/999999", headers={"Accept-Language": lang})
    assert response.status_code == 404
    problem = response.json()
    translations = catalogues.translations(lang)
    assert problem["title"] == _translated(lang, "Not found")
    what = _translated(lang, "session")
    assert problem["detail"] == translations.gettext("No such %(what)s.") % {"what": what}
    assert problem["detail"] != "No such session."


def test_english_stays_as_it_was(app_client: TestClient) -> None:
    assert app_client.get("/api/auth/me").json()["title"] == "Sign-in required"
    short = _signup(app_client, "en", password="short").json()
    assert short["title"] == "Invalid input"
    assert short["detail"] == "Some fields are missing or wrong."
    assert {
        "field": "password",
        "message": "String should have at least 10 characters",
    } in short["errors"]
    missing = app_client.post("/api/auth/signup", json={"name": "Ann"}).json()
    assert {"field": "email", "message": "Field required"} in missing["errors"]
    assert _signup(app_client, "en").status_code == 201
    gone = app_client.delete("/api/account/sessions/999999").json()
    assert (gone["title"], gone["detail"]) == ("Not found", "No such session.")
    app_client.post("/api/auth/logout")
    taken = _signup(app_client, "en").json()
    assert (taken["title"], taken["detail"]) == (
        "Conflict",
        "An account with this email address already exists.",
    )
    assert app_client.get("/api/auth/me?lang=en").json()["detail"] == "Sign in to do this."
