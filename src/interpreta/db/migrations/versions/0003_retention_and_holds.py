"""legal holds and anonymised event statistics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:05:00

Adds ``legal_holds`` (P15: records kept past their rule until released) and
``event_statistics`` (P17: anonymised figures that survive participation data).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("released_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_target"), ["target"], unique=False)
    op.create_table(
        "event_statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("computed_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_statistics")),
    )
    with op.batch_alter_table("event_statistics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_statistics_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("event_statistics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_statistics_event_id"))
    op.drop_table("event_statistics")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_target"))
    op.drop_table("legal_holds")
