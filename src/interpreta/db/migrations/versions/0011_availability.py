"""availability

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:45:00

Availability is measured (P23): ``probe_results`` keeps each synthetic join's
result, ``maintenance_windows`` the announced maintenance left out of the uptime.
Neither holds personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "probe_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("prober", sa.String(length=40), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("failed_at", sa.String(length=20), nullable=True),
        sa.Column("milliseconds", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_results")),
    )
    op.create_index(op.f("ix_probe_results_at"), "probe_results", ["at"], unique=False)
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("ends_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("announced_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(
        op.f("ix_maintenance_windows_starts_at"), "maintenance_windows", ["starts_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_maintenance_windows_starts_at"), table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index(op.f("ix_probe_results_at"), table_name="probe_results")
    op.drop_table("probe_results")
