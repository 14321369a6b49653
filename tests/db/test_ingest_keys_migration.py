"""Migration 0016 gives every existing event an ingest key of its own."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import select

from interpreta.db.migrate import alembic_config, upgrade
from interpreta.events.models import Event
from interpreta.platform import Platform
from tests.conftest import Account


def test_existing_events_get_distinct_random_keys(platform: Platform, sign_up: Any) -> None:
    owner: Account = sign_up("olivia")
    ids = [owner.create_event(f"Event {n}")["id"] for n in range(3)]
    url = platform.engine.url.render_as_string(hide_password=False)
    try:
        command.downgrade(alembic_config(url), "0015")
        upgrade(platform.engine, "0016")
        with platform.sessions() as db:
            keys = db.scalars(select(Event.ingest_key).where(Event.id.in_(ids))).all()
            speaker_keys = set(db.scalars(select(Event.speaker_key)).all())
    finally:
        upgrade(platform.engine)  # back to the head, whatever happened
    assert len(keys) == 3 and len(set(keys)) == 3
    assert all(len(key) >= 24 for key in keys)
    assert not set(keys) & speaker_keys
