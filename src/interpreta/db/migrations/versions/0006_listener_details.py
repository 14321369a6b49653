"""listener details

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:50:00

Adds ``events.listener_details``: what the organiser asks listeners for when they
join (nothing, their name, or their name and email address), so the participant
name and email columns are collected where users expect it (minimisation, P03).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column(
                "listener_details",
                sa.Enum(
                    "none",
                    "name",
                    "name_and_email",
                    name="listenerdetails",
                    native_enum=False,
                    create_constraint=False,
                    length=16,
                ),
                server_default="none",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("listener_details")
