"""recording media type

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 05:05:00

A recording is a channel's sound (Ogg Opus, as every recording so far) or the video of a
topic's stage (WebM, or Matroska for H.264). Its format, not personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "media_type", sa.String(length=40), server_default="audio/ogg", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_column("media_type")
