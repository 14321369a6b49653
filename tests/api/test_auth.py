"""Sign-up, sign-in and the session cookie (P21: Secure, HttpOnly, SameSite)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD


def _signup(client: TestClient, email: str = "ann@example.org") -> object:
    return client.post(
        "/api/auth/signup",
        json={"email": email, "name": "Ann", "password": PASSWORD, "organisation_name": "Ann Co"},
    )


def test_p21_signup_sets_a_secure_httponly_samesite_cookie(app_client: TestClient) -> None:
    response = _signup(app_client)
    assert response.status_code == 201  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "interpreta_session=" in cookie
    for flag in ("Secure", "HttpOnly", "SameSite=lax"):
        assert flag in cookie
    me = app_client.get("/api/auth/me").json()
    assert me["email"] == "ann@example.org"
    assert me["organisations"][0]["role"] == "owner"


def test_duplicate_email_is_a_conflict(app_client: TestClient) -> None:
    _signup(app_client)
    response = _signup(app_client, "ANN@example.org ")
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert response.json()["errors"][0]["field"] == "email"  # type: ignore[attr-defined]


def test_login_logout_and_wrong_password(app_client: TestClient) -> None:
    _signup(app_client)
    app_client.post("/api/auth/logout")
    assert app_client.get("/api/auth/me").status_code == 401
    wrong = app_client.post("/api/auth/login", json={"email": "ann@example.org", "password": "x"})
    assert wrong.status_code == 401
    assert wrong.json()["title"] == "Sign-in failed"
    unknown = app_client.post("/api/auth/login", json={"email": "bob@example.org", "password": "x"})
    assert unknown.json() == {**wrong.json()}
    ok = app_client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD})
    assert ok.status_code == 200
    assert app_client.get("/api/auth/me").status_code == 200


def test_a_signed_out_token_no_longer_works(app_client: TestClient) -> None:
    _signup(app_client)
    token = app_client.cookies.get("interpreta_session")
    app_client.post("/api/auth/logout")
    stolen = TestClient(app_client.app, base_url="https://testserver")
    stolen.cookies.set("interpreta_session", token or "")
    assert stolen.get("/api/auth/me").status_code == 401


def test_passwords_are_stored_as_argon2id_hashes(app_client: TestClient, platform: object) -> None:
    from interpreta.accounts.models import User

    _signup(app_client)
    with platform.sessions() as db:  # type: ignore[attr-defined]
        user = db.query(User).one()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
