"""Webhook endpoints and their deliveries.

Neither holds personal data: an endpoint is a customer's server address, and a delivery
names an event by its ID, code, status and times (never its title or participants). The
signing secret is not stored: it is derived from the platform's key (see
:mod:`~interpreta.webhooks.endpoints`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from interpreta.datamap.declarations import not_personal
from interpreta.db.base import Base, UTCDateTime, enum_type


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Given up after the last retry."""


class WebhookEndpoint(Base):
    """An organisation's HTTPS endpoint and the events it wants."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the customer whose endpoint it is"),
    )
    url: Mapped[str] = mapped_column(
        String(500), info=not_personal("the customer's HTTPS endpoint")
    )
    events: Mapped[str] = mapped_column(
        String(500), info=not_personal("the event types it wants, comma-separated")
    )
    secret_version: Mapped[int] = mapped_column(
        Integer, default=1, info=not_personal("which derived signing secret is in use")
    )
    active: Mapped[bool] = mapped_column(
        Boolean, default=True, info=not_personal("whether deliveries are sent")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the endpoint was registered")
    )

    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(Base):
    """One event told to one endpoint, with its attempts."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=not_personal("row number"))
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        index=True,
        info=not_personal("the endpoint told"),
    )
    message_id: Mapped[str] = mapped_column(
        String(40), unique=True, info=not_personal("the delivery's Webhook-Id")
    )
    event_type: Mapped[str] = mapped_column(
        String(40), info=not_personal("what happened (event.created ...)")
    )
    payload: Mapped[str] = mapped_column(
        Text, info=not_personal("the JSON sent: an event's ID, code, status and times")
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, 10), info=not_personal("where the delivery stands")
    )
    attempts: Mapped[int] = mapped_column(
        Integer, default=0, info=not_personal("how often it was tried")
    )
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, index=True, info=not_personal("when it is tried next")
    )
    last_status_code: Mapped[int | None] = mapped_column(
        Integer, info=not_personal("the endpoint's last HTTP status")
    )
    last_error: Mapped[str | None] = mapped_column(
        String(300), info=not_personal("why the last attempt failed")
    )
    delivered_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=not_personal("when the endpoint took it")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, info=not_personal("when the event happened")
    )

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
