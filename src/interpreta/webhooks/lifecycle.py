"""What an event's lifecycle tells the organisation's webhooks: its ID, code, status and
times, never its title, its people or its content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from interpreta.events.models import Event, EventStatus
from interpreta.webhooks.delivery import queue

__all__ = ["notify", "notify_update"]


def _data(event: Event) -> dict[str, Any]:
    return {
        "event": {
            "id": event.id,
            "code": event.code,
            "status": str(event.status),
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
        }
    }


def notify(db: Session, event: Event, kind: str, now: datetime) -> int:
    """Queue ``event.<kind>`` for the organisation's endpoints that want it."""
    return queue(db, event.organisation_id, f"event.{kind}", _data(event), now)


def notify_update(db: Session, event: Event, before: EventStatus, now: datetime) -> int:
    """Queue what an update was: it went live, it ended, or it changed."""
    if event.status is not before and event.status is EventStatus.LIVE:
        return notify(db, event, "live", now)
    if event.status is not before and event.status is EventStatus.ENDED:
        return notify(db, event, "ended", now)
    return notify(db, event, "updated", now)
