"""Registering endpoints, and what each is allowed to reach.

An endpoint is an HTTPS URL of the customer's. Registering it asks the outbound guard
about it as a delivery would: its host must resolve to public addresses only (never
loopback, private, link-local or the like: the URL is user-supplied), so a customer
cannot point the platform at its own network. Every delivery goes through a guard that
knows this one endpoint's host as its only recipient and carries no personal data, so a
redirect to, or a DNS answer for, anywhere else is refused too.

The signing secret is derived, not stored: HMAC-SHA256, under a key derived from the
platform's session key, over the endpoint's organisation, ID, registration time and
secret version (``whsec_`` and base64, as Standard Webhooks writes secrets). Rotating it
raises the version; replacing the platform's session key changes every secret (the
owners read the new ones on their webhooks page).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext
from interpreta.outbound import OutboundGuard, OutboundRefused, Recipient, Transfer
from interpreta.webhooks.models import WebhookEndpoint

__all__ = [
    "EVENT_TYPES",
    "MAX_ENDPOINTS",
    "TRANSFERS",
    "endpoint_guard",
    "register",
    "secret",
    "signing_key",
]

EVENT_TYPES = (
    "event.created",
    "event.updated",
    "event.live",
    "event.ended",
    "event.deleted",
)
"""What an endpoint can be told of."""
MAX_ENDPOINTS = 10
"""Endpoints an organisation may register."""
TRANSFERS = "webhooks"
"""What the outbound guard calls transfers to endpoints (in its checks and its log).
They carry no personal data, so they are no processing activity of the notice."""


def _destination(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise invalid("url", gettext("Enter an HTTPS address.")) from None
    if parts.scheme != "https" or not parts.hostname:
        raise invalid("url", gettext("Enter an HTTPS address."))
    if parts.username or parts.password or parts.fragment:
        raise invalid("url", gettext("The address may not hold a password or a fragment."))
    return parts.hostname, port


def endpoint_guard(guard: OutboundGuard, endpoint_id: int | None, url: str) -> OutboundGuard:
    """A guard whose only recipient is the endpoint's host, for event notices (no
    personal data), resolving names as `guard` does."""
    host, _port = _destination(url)
    recipient = Recipient(
        name=f"webhook endpoint {endpoint_id or 'new'}",
        hosts=(host,),
        categories=frozenset(),
        activities=frozenset({TRANSFERS}),
    )
    return guard.with_recipients([recipient])


def register(
    db: Session,
    guard: OutboundGuard,
    *,
    organisation_id: int,
    url: str,
    events: Iterable[str],
    count: int,
    now: datetime,
) -> WebhookEndpoint:
    """Register `url` for `events` of the organisation (which has `count` already).

    :raises Problem: 422 for an address that is not HTTPS, resolves to a private or
        loopback address, or does not resolve; an unknown event type; too many endpoints.
    """
    wanted = sorted(set(events))
    unknown = [e for e in wanted if e not in EVENT_TYPES]
    if not wanted or unknown:
        raise invalid("events", gettext("Choose among the event types offered."))
    if count >= MAX_ENDPOINTS:
        raise invalid("url", gettext("An organisation has at most 10 endpoints."))
    host, port = _destination(url)
    try:
        endpoint_guard(guard, None, url).check(
            Transfer(
                activity=TRANSFERS,
                categories=frozenset(),
                destination=host,
                port=port,
                user_supplied=True,
            )
        )
    except OutboundRefused:
        raise invalid(
            "url",
            gettext("That address cannot be reached from here, or is a private one."),
        ) from None
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id,
        url=url,
        events=",".join(wanted),
        secret_version=1,
        active=True,
        created_at=now,
    )
    db.add(endpoint)
    db.flush()
    return endpoint


def signing_key(session_key: bytes, endpoint: WebhookEndpoint) -> bytes:
    """The key deliveries to `endpoint` are signed with: from a key of its own derived
    from the platform's (so the session key signs nothing directly), over the endpoint's
    organisation, ID, registration time and secret version (a row ID used again after a
    deletion never inherits another customer's secret)."""
    webhook_key = hmac.new(session_key, b"interpreta webhook signing keys", hashlib.sha256)
    message = (
        f"{endpoint.organisation_id}:{endpoint.id}:"
        f"{endpoint.created_at.isoformat()}:v{endpoint.secret_version}"
    )
    return hmac.new(webhook_key.digest(), message.encode(), hashlib.sha256).digest()


def secret(session_key: bytes, endpoint: WebhookEndpoint) -> str:
    """The secret the customer verifies signatures with (``whsec_...``)."""
    return "whsec_" + base64.b64encode(signing_key(session_key, endpoint)).decode("ascii")
