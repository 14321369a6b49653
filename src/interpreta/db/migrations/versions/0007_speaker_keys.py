"""speaker keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:20:00

Adds ``events.speaker_key``: the secret of each event's speaker link, stored and
rotatable (it was derived from the deployment's secret, so it could not be
changed for one event). Existing events get a fresh random key.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("speaker_key", sa.String(length=32), nullable=True))
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("speaker_key", sa.String))
    connection = op.get_bind()
    for (event_id,) in connection.execute(sa.select(events.c.id)).all():
        connection.execute(
            events.update()
            .where(events.c.id == event_id)
            .values(speaker_key=secrets.token_urlsafe(18))
        )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("speaker_key", existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("speaker_key")
