"""The demo the run command creates: once, live, with logins that work."""

from __future__ import annotations

from fastapi.testclient import TestClient

from interpreta import demo
from interpreta.app import create_app
from interpreta.platform import Platform


def test_demo_is_created_once_and_its_logins_sign_in(platform: Platform) -> None:
    first = demo.seed(platform)
    again = demo.seed(platform)
    assert first.event_code and again.event_code == first.event_code
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        assert client.get(f"/api/join/{first.event_code}").status_code == 200
        for email, password, _role in first.logins:
            answer = client.post("/api/auth/login", json={"email": email, "password": password})
            assert answer.status_code == 200, (email, answer.text)
