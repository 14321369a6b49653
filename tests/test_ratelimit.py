"""Rate limits and sign-in lockout: 429 problem documents with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from interpreta.app import create_app
from interpreta.config import Settings
from interpreta.mail import OutboxMailer
from interpreta.platform import Platform
from interpreta.ratelimit import RateLimits
from tests.conftest import PASSWORD, Account


def _limit(platform: Platform, **rules: str) -> None:
    """Replace the platform's limits with `rules` (fresh counters)."""
    settings = platform.settings.model_copy(update=rules)
    platform.ratelimits = RateLimits(settings, platform.secrets.session_key, platform.clock)


def _refused(response: Any, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 1 <= int(response.headers["retry-after"]) <= window


def test_five_failures_lock_the_account_and_a_success_clears_them(
    platform: Platform, sign_up: Any
) -> None:
    ann: Account = sign_up("ann")
    bea: Account = sign_up("bea")
    _limit(platform, rate_sign_in_failures_per_account="3/15 minutes")
    client = ann.client

    def login(email: str, password: str) -> Any:
        return client.post("/api/auth/login", json={"email": email, "password": password})

    assert login(ann.email, "wrong password").status_code == 401
    assert login(ann.email, PASSWORD).status_code == 200  # a success forgets the failures
    for _ in range(3):
        assert login(ann.email, "wrong password").status_code == 401
    _refused(login(ann.email, PASSWORD), 15 * 60)  # locked, even with the right password
    _refused(login(" ANN@example.org ", PASSWORD), 15 * 60)  # however the address is typed
    assert login(bea.email, PASSWORD).status_code == 200  # other accounts are not


def test_one_client_may_only_try_so_often(platform: Platform, sign_up: Any) -> None:
    ann: Account = sign_up("ann")
    _limit(platform, rate_sign_in_attempts_per_client="4/minute")
    for _ in range(4):
        answer = ann.client.post(
            "/api/auth/login", json={"email": "nobody@example.org", "password": "x"}
        )
        assert answer.status_code == 401
    _refused(
        ann.client.post("/api/auth/login", json={"email": ann.email, "password": PASSWORD}), 60
    )


def test_sign_ups_per_client_are_limited(platform: Platform) -> None:
    _limit(platform, rate_sign_ups_per_client="2/hour")
    with TestClient(create_app(platform), base_url="https://testserver") as client:
        for n in range(3):
            answer = client.post(
                "/api/auth/signup",
                json={
                    "email": f"new{n}@example.org",
                    "name": "New",
                    "password": PASSWORD,
                    "organisation_name": "Org",
                },
            )
            if n < 2:
                assert answer.status_code == 201
            else:
                _refused(answer, 3600)


def test_public_requests_cannot_flood_an_inbox(
    platform: Platform, settings: Settings, tmp_path: Any
) -> None:
    outbox = tmp_path / "outbox"
    platform.mailer = OutboxMailer(outbox, settings.smtp_from)  # type: ignore[attr-defined]
    _limit(platform, rate_requests_per_address="3/day", rate_requests_per_client="5/hour")
    with TestClient(create_app(platform), base_url="https://testserver") as client:

        def ask(email: str) -> Any:
            return client.post(
                "/api/privacy/public-requests", json={"email": email, "kind": "access"}
            )

        for _ in range(3):
            assert ask("victim@example.org").status_code == 202
        _refused(ask("Victim@Example.org"), 24 * 3600)
        assert len(list(outbox.glob("*.eml"))) == 3  # the fourth mail never left
        assert ask("other@example.org").status_code == 202
        _refused(ask("third@example.org"), 3600)  # the client's hourly limit


def test_counters_name_no_one(platform: Platform) -> None:
    limits = platform.ratelimits
    key = limits.person("ann@example.org")
    assert "ann" not in key and key == limits.person(" ANN@example.org")
    limits.count(limits.rules.sign_in_failures_per_account, "sign-in-failures", key)
    stored = str(vars(limits.storage))
    assert "ann@example.org" not in stored


def test_an_unknown_storage_is_refused(settings: Settings) -> None:
    from interpreta.clock import SystemClock

    with pytest.raises(Exception, match=r"(?i)storage|scheme"):
        RateLimits(
            settings.model_copy(update={"rate_limit_storage": "nowhere://"}),
            b"k" * 32,
            SystemClock(),
        )


def test_nodes_sharing_redis_share_the_counters(settings: Settings, redis_server: Any) -> None:
    """Two nodes with the same Redis storage count together: the limit holds across them."""
    from interpreta.clock import SystemClock

    storage = f"redis+unix://{redis_server.socket_path}"
    shared = settings.model_copy(
        update={"rate_limit_storage": storage, "rate_sign_in_attempts_per_client": "3/minute"}
    )
    node_a, node_b = (RateLimits(shared, b"k" * 32, SystemClock()) for _ in range(2))
    rule = node_a.rules.sign_in_attempts_per_client
    client = f"203.0.113.{id(node_a) % 250}"
    node_a.hit(rule, "sign-in", client, "sign-in attempts")
    node_b.hit(rule, "sign-in", client, "sign-in attempts")
    node_a.hit(rule, "sign-in", client, "sign-in attempts")
    with pytest.raises(Exception, match="Too many sign-in attempts") as refused:
        node_b.hit(rule, "sign-in", client, "sign-in attempts")
    assert getattr(refused.value, "status", None) == 429
    node_a.clear(rule, "sign-in", client)
