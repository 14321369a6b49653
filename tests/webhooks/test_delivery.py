"""Deliveries, to a real HTTP server on loopback: signed as Standard Webhooks says,
retried with back-off after a failure, given up after the last retry, kept 30 days.

The guarded client refuses loopback by design (an endpoint is user-supplied), so these
tests hand the dispatcher a plain client to a server of their own; what the guard
refuses is tested in test_endpoints.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from interpreta.webhooks import delivery, endpoints
from interpreta.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


class Receiver:
    """An HTTP server that records what it is sent and answers the statuses it is told."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local receiver, shut down after the test."""
    found = Receiver()
    yield found
    found.server.shutdown()


def _endpoint(platform: Platform, receiver: Receiver) -> int:
    """An endpoint (inserted as registered) pointing at the local receiver."""
    with platform.transaction() as db:
        from interpreta.accounts.models import Organisation

        organisation = Organisation(
            name="Hook Events", plan="standard", created_at=platform.clock.now()
        )
        db.add(organisation)
        db.flush()
        endpoint = WebhookEndpoint(
            organisation_id=organisation.id,
            url=receiver.url,
            events="event.created,event.ended",
            secret_version=1,
            active=True,
            created_at=platform.clock.now(),
        )
        db.add(endpoint)
        db.flush()
        delivery.queue(
            db,
            organisation.id,
            "event.created",
            {"event": {"id": 7, "code": "ABC1234", "status": "draft"}},
            platform.clock.now(),
        )
        delivery.queue(
            db, organisation.id, "event.updated", {"event": {"id": 7}}, platform.clock.now()
        )
        return endpoint.id


def _send(platform: Platform) -> delivery.Sent:
    return delivery.send_due(
        platform.transaction,
        lambda _endpoint: httpx.Client(timeout=delivery.TIMEOUT),
        platform.secrets.session_key,
        platform.clock.now(),
    )


def _deliveries(platform: Platform) -> list[WebhookDelivery]:
    with platform.sessions() as db:
        found = db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        db.expunge_all()
        return list(found)


def test_a_delivery_is_signed_and_its_secret_verifies(
    platform: Platform, receiver: Receiver
) -> None:
    endpoint_id = _endpoint(platform, receiver)
    assert [d.event_type for d in _deliveries(platform)] == ["event.created"]  # wanted only
    assert _send(platform).delivered == 1
    ((headers, body),) = receiver.received
    assert json.loads(body)["data"]["event"]["code"] == "ABC1234"
    with platform.sessions() as db:
        endpoint = db.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        secret = endpoints.secret(platform.secrets.session_key, endpoint)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    (done,) = _deliveries(platform)
    assert done.status is DeliveryStatus.DELIVERED and done.attempts == 1


def test_a_failure_is_retried_with_back_off_then_given_up(
    platform: Platform, receiver: Receiver, clock: FrozenClock
) -> None:
    _endpoint(platform, receiver)
    receiver.answers = [500] * 10
    assert _send(platform).retried == 1
    (first,) = _deliveries(platform)
    assert first.next_attempt_at == clock.now() + delivery.BACKOFF[0]
    assert (first.last_status_code, first.last_error) == (500, "HTTP 500")
    assert _send(platform).retried == 0  # not due yet
    for wait in delivery.BACKOFF[:-1]:
        clock.advance(wait)
        assert _send(platform).retried == 1
    clock.advance(delivery.BACKOFF[-1])
    assert _send(platform).given_up == 1
    (gone,) = _deliveries(platform)
    assert gone.status is DeliveryStatus.FAILED and gone.attempts == len(delivery.BACKOFF) + 1
    assert len(receiver.received) == len(delivery.BACKOFF) + 1
    clock.advance(delivery.KEPT + timedelta(days=1))
    _send(platform)
    assert _deliveries(platform) == []


def test_a_retry_that_succeeds_is_delivered(
    platform: Platform, receiver: Receiver, clock: FrozenClock
) -> None:
    _endpoint(platform, receiver)
    receiver.answers = [503]
    _send(platform)
    clock.advance(delivery.BACKOFF[0])
    assert _send(platform).delivered == 1
    (done,) = _deliveries(platform)
    assert done.status is DeliveryStatus.DELIVERED and done.attempts == 2
