"""captions

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 08:10:00

An event says which language its floor speaks (none: it mixes them) and whether its
listeners may turn on automatic captions (issue 17). Settings, not personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("floor_language", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("captions", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("captions")
        batch_op.drop_column("floor_language")
