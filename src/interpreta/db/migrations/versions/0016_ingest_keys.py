"""ingest keys

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 09:30:00

Adds ``events.ingest_key``: the secret with which a room's mixing desk, OBS or a
hardware encoder feeds an event's floor (the WHIP bearer token and the RTMP stream
key), stored and rotatable like the speaker key. Existing events get a fresh random
key.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("ingest_key", sa.String(length=32), nullable=True))
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("ingest_key", sa.String))
    connection = op.get_bind()
    for (event_id,) in connection.execute(sa.select(events.c.id)).all():
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(ingest_key=secrets.token_urlsafe(18))
        )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("ingest_key", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("ingest_key")
