"""Queuing event notices and delivering them: signed, retried with back-off.

A notice is queued in the transaction that changed the event (nothing is sent for a
change that rolled back), one delivery per endpoint that wants it. :func:`send_due`
(run by the server every ``INTERPRETA_WEBHOOK_INTERVAL_SECONDS``) posts each due one as
JSON with the Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``). A 2xx answer
delivers it; anything else, or no answer within 10 seconds, is tried again after 1
minute, 5 minutes, 30 minutes, 2 hours, 8 hours and 24 hours, and then given up. Each
delivery is claimed (its next attempt moved on) before it is sent, so two nodes never
send it at once. Deliveries are kept 30 days.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from interpreta.outbound import OutboundRefused
from interpreta.webhooks.endpoints import signing_key
from interpreta.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

__all__ = ["BACKOFF", "KEPT", "Sent", "queue", "queue_to", "send_due", "signature"]

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
"""How long after each failed attempt the next one is made; then it is given up."""
KEPT = timedelta(days=30)
"""How long delivered and given-up deliveries stay listed."""
TIMEOUT = 10.0
"""Seconds an endpoint has to answer."""
BATCH = 50

ClientFor = Callable[[WebhookEndpoint], httpx.Client]
"""Gives the HTTP client a delivery to `endpoint` goes through (the guarded one)."""


def queue(
    db: Session, organisation_id: int, event_type: str, data: Mapping[str, Any], now: datetime
) -> int:
    """Queue `event_type` with `data` for every active endpoint of the organisation
    that wants it, in `db`'s transaction; how many deliveries."""
    endpoints = db.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organisation_id == organisation_id, WebhookEndpoint.active
        )
    ).all()
    count = 0
    for endpoint in endpoints:
        if event_type in endpoint.events.split(","):
            queue_to(db, endpoint, event_type, data, now)
            count += 1
    return count


def queue_to(
    db: Session,
    endpoint: WebhookEndpoint,
    event_type: str,
    data: Mapping[str, Any],
    now: datetime,
) -> WebhookDelivery:
    """Queue one notice to `endpoint` (a test's ``ping`` too), due at once."""
    body = {"type": event_type, "timestamp": now.isoformat(), "data": dict(data)}
    queued = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id="msg_" + secrets.token_urlsafe(18),
        event_type=event_type,
        payload=json.dumps(body, separators=(",", ":"), sort_keys=True),
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(queued)
    db.flush()
    return queued


def signature(key: bytes, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header's value for a delivery (Standard Webhooks v1)."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@dataclass
class Sent:
    """What a run of :func:`send_due` did."""

    delivered: int = 0
    retried: int = 0
    given_up: int = 0


def send_due(
    transaction: Callable[[], AbstractContextManager[Session]],
    client_for: ClientFor,
    session_key: bytes,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
) -> Sent:
    """Send the deliveries due at `now`: each is claimed in a transaction of its own
    (committed, so two nodes never send it twice), sent outside any transaction (a slow
    endpoint holds no lock), and its outcome recorded in a third. Those past
    :data:`KEPT` are dropped. `clock` dates each attempt (default: `now`)."""
    sent = Sent()
    with transaction() as db:
        db.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status != DeliveryStatus.PENDING,
                WebhookDelivery.created_at < now - KEPT,
            )
        )
        due = db.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(BATCH)
        ).all()
    for delivery_id in due:
        with transaction() as db:
            claimed = db.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + BACKOFF[0])
            )
            if getattr(claimed, "rowcount", 0) != 1:
                continue  # another node took it
            delivery = db.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            attempt = _Attempt.of(delivery, session_key, (clock or (lambda: now))())
        code, error = attempt.send(client_for)
        with transaction() as db:
            delivery = db.get(WebhookDelivery, delivery_id)
            if delivery is not None:
                _record(delivery, code, error, attempt.at, sent)
    return sent


@dataclass(frozen=True)
class _Attempt:
    """One attempt, read from its delivery: where, what and how it is signed."""

    endpoint: WebhookEndpoint
    url: str
    active: bool
    payload: str
    headers: dict[str, str]
    at: datetime

    @classmethod
    def of(cls, delivery: WebhookDelivery, session_key: bytes, at: datetime) -> _Attempt:
        endpoint = delivery.endpoint
        timestamp = int(at.timestamp())
        key = signing_key(session_key, endpoint)
        return cls(
            endpoint=endpoint,
            url=endpoint.url,
            active=endpoint.active,
            payload=delivery.payload,
            headers={
                "content-type": "application/json",
                "user-agent": "Interpreta-Webhooks/1",
                "webhook-id": delivery.message_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature(
                    key, delivery.message_id, timestamp, delivery.payload
                ),
            },
            at=at,
        )

    def send(self, client_for: ClientFor) -> tuple[int | None, str | None]:
        """Post it; the endpoint's status code, and why it failed (None: delivered)."""
        if not self.active:
            return None, "the endpoint is switched off"
        try:
            with client_for(self.endpoint) as client:
                response = client.post(
                    self.url, content=self.payload.encode(), headers=self.headers
                )
        except OutboundRefused as refused:
            return None, f"refused by the outbound guard: {refused.reason}"
        except Exception as failure:  # any failure is a failed attempt, never a poison
            return None, f"{type(failure).__name__}: {failure}"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"


def _record(
    delivery: WebhookDelivery, code: int | None, error: str | None, at: datetime, sent: Sent
) -> None:
    """Write an attempt's outcome, and when the next one is due."""
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = None if error is None else error[:300]
    if error is None:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = None
        sent.delivered += 1
    elif delivery.attempts > len(BACKOFF):
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        sent.given_up += 1
    else:
        delivery.next_attempt_at = at + BACKOFF[delivery.attempts - 1]
        sent.retried += 1
