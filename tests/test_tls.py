"""TLS (P21): the server speaks HTTPS with a given certificate, sends HSTS and Secure
cookies, and warns when it would serve plain HTTP beyond loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from interpreta.app import create_app
from interpreta.cli.serve import transport_problem
from interpreta.platform import Platform
from tests.certificates import self_signed
from tests.conftest import PASSWORD
from tests.live_server import serving


def test_p21_https_with_hsts_and_secure_httponly_cookies(
    platform: Platform, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path, "localhost", "127.0.0.1")
    app = create_app(platform)
    with serving(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as base_url:
        assert base_url.startswith("https://")
        with httpx.Client(
            base_url=base_url, verify=ssl.create_default_context(cafile=str(cert))
        ) as client:
            response = client.post(
                "/api/auth/signup",
                json={
                    "email": "t@example.org",
                    "name": "T",
                    "password": PASSWORD,
                    "organisation_name": "T Co",
                },
            )
        assert response.status_code == 201
        assert response.headers["strict-transport-security"].startswith("max-age=")
        cookie = response.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_p21_plain_http_gets_no_hsts(platform: Platform) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(platform), base_url="http://testserver") as plain:
        assert "strict-transport-security" not in plain.get("/").headers


def test_p21_plain_http_beyond_loopback_is_refused_unless_behind_a_tls_proxy() -> None:
    assert transport_problem("127.0.0.1", tls=False, behind_proxy=False) is None
    assert transport_problem("localhost", tls=False, behind_proxy=False) is None
    assert transport_problem("0.0.0.0", tls=True, behind_proxy=False) is None
    assert transport_problem("0.0.0.0", tls=False, behind_proxy=True) is None
    problem = transport_problem("0.0.0.0", tls=False, behind_proxy=False)
    assert problem is not None and "P21" in problem and "INTERPRETA_TLS_PROXY" in problem


def test_p21_serve_exits_instead_of_serving_plain_http(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from interpreta.cli import app

    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)], env={}
    )
    assert result.exit_code == 2 and "refusing to serve plain HTTP" in result.output


@pytest.fixture
def public(platform: Platform) -> Platform:
    """The platform as deployed on a public address: TLS is required."""
    platform.settings.host = "0.0.0.0"
    assert platform.settings.requires_tls
    return platform


def test_p21_where_tls_is_required_plain_http_is_redirected_or_refused(public: Platform) -> None:
    from fastapi.testclient import TestClient

    with TestClient(create_app(public), base_url="http://interpreta.example") as plain:
        moved = plain.get("/privacy?x=1", follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"] == "https://interpreta.example/privacy?x=1"
        refused = plain.post("/api/auth/login", json={"email": "a@example.org", "password": "x"})
        assert refused.status_code == 403 and "HTTPS" in refused.text
    with TestClient(create_app(public), base_url="https://interpreta.example") as secure:
        answer = secure.get("/privacy")
        assert answer.status_code == 200 and "strict-transport-security" in answer.headers


def test_p21_behind_a_proxy_its_https_counts_and_its_http_does_not(public: Platform) -> None:
    """What uvicorn's proxy_headers make of X-Forwarded-Proto is the scope's scheme."""
    from fastapi.testclient import TestClient

    forwarded = create_app(public)
    with TestClient(forwarded, base_url="https://interpreta.example") as via_proxy:
        assert via_proxy.get("/").status_code == 200


def test_p21_signaling_refuses_websockets_without_tls(public: Platform) -> None:
    from fastapi.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    with TestClient(create_app(public), base_url="http://interpreta.example") as plain:
        with pytest.raises(WebSocketDisconnect) as refused, plain.websocket_connect("/api/live/X"):
            pass
        assert refused.value.code == 4403
    with TestClient(create_app(public), base_url="https://interpreta.example") as secure:
        headers = {"origin": "http://interpreta.example"}  # a page loaded over plain HTTP
        with (
            pytest.raises(WebSocketDisconnect) as downgraded,
            secure.websocket_connect("/api/live/X", headers=headers),
        ):
            pass
        assert downgraded.value.code == 4403


def test_p21_mail_goes_over_starttls_unless_told_otherwise() -> None:
    from interpreta.config import Settings

    assert Settings(_env_file=None).smtp_starttls  # type: ignore[call-arg]
