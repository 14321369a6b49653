"""Registering endpoints, and the guard every delivery goes through: public HTTPS
addresses only, and from a delivery, the endpoint's own host and nothing else (P07)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from interpreta.accounts.models import Organisation
from interpreta.errors import Problem
from interpreta.outbound import OutboundGuard, OutboundRefused, Transfer
from interpreta.platform import Platform
from interpreta.webhooks import endpoints
from interpreta.webhooks.models import WebhookEndpoint

PUBLIC = "93.184.216.34"
"""A public address: registering it asks no DNS and sends nothing."""
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Answers:
    """A resolver that answers what a test says a name resolves to (DNS can change)."""

    def __init__(self, **names: str) -> None:
        self.names = {k.replace("_", "."): v for k, v in names.items()}

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host not in self.names:
            raise OutboundRefused(host, port, endpoints.TRANSFERS, "does not resolve")
        return [self.names[host]]


def _guard(**names: str) -> OutboundGuard:
    return OutboundGuard([], resolver=Answers(**names), logger=logging.getLogger("test"))


def _register(platform: Platform, guard: OutboundGuard, url: str, events: list[str]) -> None:
    with platform.transaction() as db:
        customer = Organisation(name="Hook Events", plan="standard", created_at=NOW)
        db.add(customer)
        db.flush()
        endpoints.register(
            db, guard, organisation_id=customer.id, url=url, events=events, count=0, now=NOW
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.customer.example/in",  # not HTTPS
        "https://127.0.0.1/in",  # loopback
        "https://[::1]/in",
        "https://10.20.30.40/in",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::ffff:192.168.0.1]/in",  # a private address in IPv6 form
        "https://internal.customer.example/in",  # a name resolving to a private address
        "https://nowhere.customer.example/in",  # a name that does not resolve
        "https://user:secret@hooks.customer.example/in",
        "https:///in",
    ],
)
def test_private_loopback_and_unresolvable_addresses_are_refused(
    platform: Platform, url: str
) -> None:
    guard = _guard(hooks_customer_example=PUBLIC, internal_customer_example="10.0.0.7")
    with pytest.raises(Problem) as refused:
        _register(platform, guard, url, ["event.created"])
    assert refused.value.status == 422 and refused.value.errors[0].field == "url"
    with platform.sessions() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_public_https_endpoint_is_registered(platform: Platform) -> None:
    guard = _guard(hooks_customer_example=PUBLIC)
    _register(
        platform, guard, "https://hooks.customer.example/in", ["event.ended", "event.created"]
    )
    with platform.sessions() as db:
        endpoint = db.scalars(select(WebhookEndpoint)).one()
        assert endpoint.events == "event.created,event.ended"
    for bad in ([], ["event.exploded"]):
        with pytest.raises(Problem) as refused:
            _register(platform, guard, f"https://{PUBLIC}/in", bad)
        assert refused.value.errors[0].field == "events"


def test_a_delivery_reaches_its_endpoint_alone() -> None:
    """The guard a delivery uses knows the endpoint's host alone: another host, a host
    whose DNS answer turned private after registration, or personal data are refused
    before any connection is made."""
    answers = Answers(hooks_customer_example=PUBLIC, other_example="93.184.216.35")
    guard = OutboundGuard([], resolver=answers, logger=logging.getLogger("test"))
    own = endpoints.endpoint_guard(guard, 1, "https://hooks.customer.example/in")

    def transfer(host: str, categories: frozenset[str] = frozenset()) -> Transfer:
        return Transfer(endpoints.TRANSFERS, categories, host, 443, user_supplied=True)

    assert own.check(transfer("hooks.customer.example")).address == PUBLIC
    with pytest.raises(OutboundRefused, match="not a registered processor"):
        own.check(transfer("other.example"))
    with pytest.raises(OutboundRefused):
        own.check(transfer("hooks.customer.example", frozenset({"identifiers"})))
    answers.names["hooks.customer.example"] = "10.0.0.9"  # DNS rebinding
    with pytest.raises(OutboundRefused, match="non-public address"):
        own.check(transfer("hooks.customer.example"))
    with own.http_client(endpoints.TRANSFERS, (), user_supplied=True) as client:
        with pytest.raises(OutboundRefused):
            client.post("https://hooks.customer.example/in", content=b"{}")
        with pytest.raises(OutboundRefused):
            client.post("https://other.example/in", content=b"{}")


def test_the_secret_is_derived_and_rotates() -> None:
    endpoint = WebhookEndpoint(id=3, organisation_id=1, created_at=NOW, secret_version=1)
    key = b"k" * 32
    first = endpoints.secret(key, endpoint)
    assert first.startswith("whsec_") and first == endpoints.secret(key, endpoint)
    endpoint.secret_version = 2
    assert endpoints.secret(key, endpoint) != first
    assert endpoints.secret(b"j" * 32, endpoint) != endpoints.secret(key, endpoint)
    again = WebhookEndpoint(id=3, organisation_id=2, created_at=NOW, secret_version=2)
    assert endpoints.secret(key, again) != endpoints.secret(key, endpoint)  # an ID reused
