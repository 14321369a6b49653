"""Joining by event code: the public face of an event, read in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from interpreta.events import codes
from interpreta.events.models import Channel, Event, EventLanguage, Topic


def public_info(db: Session, code: str) -> dict[str, Any] | None:
    """What anyone holding the event code may see: the event, its topics and channels.

    None when no event (not yet purged) has this code.
    """
    code = codes.normalise(code)
    if not codes.is_well_formed(code):
        return None
    rows = db.execute(
        select(
            Event.id,
            Event.title,
            Event.description,
            Event.starts_at,
            Event.ends_at,
            Event.timezone,
            Event.status,
            Event.listener_details,
            Topic.id,
            Topic.name,
            Channel.id,
            Channel.kind,
            Channel.language_code,
            EventLanguage.name,
            Event.mode,
            Event.waiting_room,
            Event.registration,
            Channel.machine,
        )
        .join(Topic, Topic.event_id == Event.id)
        .join(Channel, Channel.topic_id == Topic.id)
        .outerjoin(
            EventLanguage,
            and_(EventLanguage.event_id == Event.id, EventLanguage.code == Channel.language_code),
        )
        .where(Event.code == code, Event.purged_at.is_(None))
        # the floor (no language row) first, on every backend
        .order_by(Topic.position, Topic.id, EventLanguage.position.nulls_first(), Channel.id)
    ).all()
    if not rows:
        return None
    first = rows[0]
    topics: dict[int, dict[str, Any]] = {}
    for row in rows:
        topic = topics.setdefault(row[8], {"id": row[8], "name": row[9], "channels": []})
        kind = str(row[11])
        topic["channels"].append(
            {
                "id": row[10],
                "kind": kind,
                "language_code": row[12],
                "name": "Floor" if kind == "floor" else row[13],
                "machine": bool(row[17]),
            }
        )
    return {
        "code": code,
        "title": first[1],
        "description": first[2],
        "starts_at": first[3].isoformat(),
        "ends_at": first[4].isoformat(),
        "timezone": first[5],
        "status": str(first[6]),
        "listener_details": str(first[7]),
        "mode": str(first[14]),
        "waiting_room": bool(first[15]),
        "registration": str(first[16]),
        "topics": list(topics.values()),
    }
