"""An organisation's webhooks, for its owners: register an HTTPS endpoint for some event
types, see its secret and its recent deliveries, send a test, rotate the secret, remove
it. An address the outbound guard refuses (private, loopback, not resolving) is a 422.
Managing them is managing the customer account; what they are sent holds no personal data.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.accounts import actions
from interpreta.accounts.models import MemberRole
from interpreta.api.dependencies import PlatformDep, UserDep, within
from interpreta.api.inputs import Input, PathId
from interpreta.datamap.activities import ACCOUNT
from interpreta.errors import not_found
from interpreta.i18n.catalogues import N_
from interpreta.webhooks import delivery, endpoints
from interpreta.webhooks.models import WebhookDelivery, WebhookEndpoint

router = APIRouter(prefix="/api/organisations", tags=["webhooks"], dependencies=[within(ACCOUNT)])


class EndpointIn(Input):
    """An HTTPS endpoint and the event types it wants."""

    url: str = Field(min_length=9, max_length=500)
    events: list[str] = Field(min_length=1, max_length=len(endpoints.EVENT_TYPES))


class DeliveryOut(BaseModel):
    """One delivery and its attempts."""

    id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class EndpointOut(BaseModel):
    """An endpoint, its signing secret and its latest deliveries."""

    id: int
    url: str
    events: list[str]
    active: bool
    secret: str
    created_at: datetime
    deliveries: list[DeliveryOut]


def _out(db: Session, key: bytes, endpoint: WebhookEndpoint) -> EndpointOut:
    latest = db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(20)
    )
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events.split(","),
        active=endpoint.active,
        secret=endpoints.secret(key, endpoint),
        created_at=endpoint.created_at,
        deliveries=[
            DeliveryOut(
                id=d.message_id,
                event_type=d.event_type,
                status=str(d.status),
                attempts=d.attempts,
                next_attempt_at=d.next_attempt_at,
                last_status_code=d.last_status_code,
                last_error=d.last_error,
                delivered_at=d.delivered_at,
                created_at=d.created_at,
            )
            for d in latest
        ],
    )


def _endpoint(db: Session, organisation_id: int, endpoint_id: int) -> WebhookEndpoint:
    found = db.get(WebhookEndpoint, endpoint_id)
    if found is None or found.organisation_id != organisation_id:
        raise not_found(N_("webhook"))
    return found


@router.get("/{organisation_id}/webhooks", response_model=list[EndpointOut])
def list_endpoints(
    organisation_id: PathId, user: UserDep, platform: PlatformDep
) -> list[EndpointOut]:
    """The organisation's endpoints (owners)."""
    key = platform.secrets.session_key
    with platform.sessions() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        found = db.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == organisation_id)
            .order_by(WebhookEndpoint.id)
        )
        return [_out(db, key, e) for e in found]


@router.post("/{organisation_id}/webhooks", status_code=201, response_model=EndpointOut)
def register_endpoint(
    organisation_id: PathId, body: EndpointIn, user: UserDep, platform: PlatformDep
) -> EndpointOut:
    """Register an HTTPS endpoint for some event types (owners)."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        count = db.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == organisation_id)
        )
        endpoint = endpoints.register(
            db,
            platform.outbound_guard,
            organisation_id=organisation_id,
            url=body.url.strip(),
            events=body.events,
            count=int(count or 0),
            now=platform.clock.now(),
        )
        return _out(db, platform.secrets.session_key, endpoint)


@router.post("/{organisation_id}/webhooks/{endpoint_id}/test", status_code=202)
def test_endpoint(
    organisation_id: PathId, endpoint_id: PathId, user: UserDep, platform: PlatformDep
) -> Response:
    """Queue a ``ping`` to the endpoint, sent like any delivery (owners)."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        endpoint = _endpoint(db, organisation_id, endpoint_id)
        delivery.queue_to(db, endpoint, "ping", {"endpoint": endpoint.id}, platform.clock.now())
    return Response(status_code=202)


@router.post("/{organisation_id}/webhooks/{endpoint_id}/secret", response_model=EndpointOut)
def rotate_secret(
    organisation_id: PathId, endpoint_id: PathId, user: UserDep, platform: PlatformDep
) -> EndpointOut:
    """A new signing secret; the old one stops at once (owners)."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        endpoint = _endpoint(db, organisation_id, endpoint_id)
        endpoint.secret_version += 1
        return _out(db, platform.secrets.session_key, endpoint)


@router.delete("/{organisation_id}/webhooks/{endpoint_id}", status_code=204)
def remove_endpoint(
    organisation_id: PathId, endpoint_id: PathId, user: UserDep, platform: PlatformDep
) -> Response:
    """Remove an endpoint and its deliveries (owners)."""
    with platform.transaction() as db:
        actions.require_member(db, organisation_id, user, MemberRole.OWNER)
        db.delete(_endpoint(db, organisation_id, endpoint_id))
    return Response(status_code=204)
