"""``GET /health``: the load balancer's check of a node."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from interpreta.platform import Platform


def test_a_node_that_reaches_its_database_is_healthy(app_client: TestClient) -> None:
    response = app_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_node_without_its_database_answers_503_so_the_balancer_skips_it(
    app_client: TestClient, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = create_engine("sqlite:////nonexistent-folder/interpreta.db")
    monkeypatch.setattr(platform, "engine", unreachable)
    response = app_client.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Not ready"


def test_health_takes_no_input(app_client: TestClient) -> None:
    assert app_client.post("/health").status_code == 405
    assert app_client.get("/health?verbose=1").status_code == 200
