"""Fill a database with many expired participants quickly (benchmarks and crash tests).

Rows go in with bulk Core inserts in large transactions, not through the ORM.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from interpreta.accounts.models import Organisation
from interpreta.events.codes import new_code
from interpreta.events.models import (
    Channel,
    ChannelKind,
    ConnectionSession,
    Event,
    Participant,
    Topic,
    UsageEvent,
)

LONG_AGO = datetime(2024, 1, 10, tzinfo=UTC)


def fill(
    sessions: sessionmaker[Session],
    *,
    participants: int,
    events: int = 10,
    usage_per_session: int = 0,
    chunk: int = 20_000,
    progress: object = None,
) -> list[int]:
    """`participants` listeners (one connection each) spread over `events` long-ended
    events; returns the event ids."""
    with sessions.begin() as db:
        organisation = Organisation(name="Bulk Events Ltd", created_at=LONG_AGO)
        db.add(organisation)
        db.flush()
        event_ids = []
        for n in range(events):
            event = Event(
                organisation_id=organisation.id,
                title=f"Bulk event {n}",
                code=new_code(),
                starts_at=LONG_AGO,
                ends_at=LONG_AGO + timedelta(hours=8),
                timezone="UTC",
                created_at=LONG_AGO,
            )
            db.add(event)
            db.flush()
            topic = Topic(event_id=event.id, name="Main", position=0)
            db.add(topic)
            db.flush()
            db.add(Channel(topic_id=topic.id, kind=ChannelKind.FLOOR))
            event_ids.append(event.id)
    done = 0
    prefix = secrets.token_hex(3)
    while done < participants:
        size = min(chunk, participants - done)
        with sessions.begin() as db:
            first = done
            db.execute(
                insert(Participant),
                [
                    {
                        "event_id": event_ids[(first + i) % events],
                        "role": "listener",
                        "anonymous_id": f"p_{prefix}{first + i:09d}",
                        "email": f"listener{first + i}@bulk.example",
                        "created_at": LONG_AGO,
                    }
                    for i in range(size)
                ],
            )
            low = db.scalar(
                Participant.__table__.select()
                .with_only_columns(Participant.id)
                .where(Participant.anonymous_id == f"p_{prefix}{first:09d}")
            )
            db.execute(
                insert(ConnectionSession),
                [
                    {
                        "participant_id": low + i,
                        "session_id": f"s_{prefix}{first + i:09d}",
                        "browser": "Chrome 140",
                        "os": "Android",
                        "device_type": "phone",
                        "ip_address": "192.0.2.1",
                        "joined_at": LONG_AGO,
                        "left_at": LONG_AGO + timedelta(hours=1),
                    }
                    for i in range(size)
                ],
            )
            if usage_per_session:
                sessions_low = db.scalar(
                    ConnectionSession.__table__.select()
                    .with_only_columns(ConnectionSession.id)
                    .where(ConnectionSession.session_id == f"s_{prefix}{first:09d}")
                )
                db.execute(
                    insert(UsageEvent),
                    [
                        {
                            "connection_session_id": sessions_low + i,
                            "kind": "switch",
                            "detail": "1",
                            "at": LONG_AGO,
                        }
                        for i in range(size)
                        for _ in range(usage_per_session)
                    ],
                )
        done += size
        if callable(progress):
            progress(done)
    return event_ids
