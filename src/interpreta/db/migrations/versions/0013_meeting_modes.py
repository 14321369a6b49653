"""meeting modes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:33:00

An event is a webinar (panelists talk, attendees listen: the behaviour so far) or a
meeting (everyone may talk), and may have a waiting room. Settings, not personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sa.String(length=12), server_default="webinar", nullable=False)
        )
        batch_op.add_column(
            sa.Column("waiting_room", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("waiting_room")
        batch_op.drop_column("mode")
