"""breach register

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 16:10:00

Adds ``breaches`` and ``breach_notifications`` (P25: breaches with the 72-hour
authority deadline and the notifications sent).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discovered_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("categories", sa.String(length=400), nullable=False),
        sa.Column("people_affected", sa.Integer(), nullable=False),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("processor_scope", sa.Boolean(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )
    op.create_table(
        "breach_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("breach_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=10), nullable=False),
        sa.Column("sent_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breaches.id"],
            name=op.f("fk_breach_notifications_breach_id_breaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_notifications")),
    )
    with op.batch_alter_table("breach_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breach_notifications_breach_id"), ["breach_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("breach_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_notifications_breach_id"))
    op.drop_table("breach_notifications")
    op.drop_table("breaches")
