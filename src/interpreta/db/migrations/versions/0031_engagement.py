"""engagement estimates

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 12:10:00

A customer may turn engagement estimates on (``organisations.engagement_estimates``, a
setting); each estimate about a participant is a row of ``engagement_estimates``, with
its confidence and its human review (P37, issue 17).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "engagement_estimates",
                sa.Boolean(),
                server_default=sa.text("false"),
                nullable=False,
            )
        )
    op.create_table(
        "engagement_estimates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("evidence_from_ms", sa.Integer(), nullable=True),
        sa.Column("evidence_to_ms", sa.Integer(), nullable=True),
        sa.Column("computed_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("review", sa.String(length=10), nullable=False),
        sa.Column("review_requested", sa.Boolean(), nullable=False),
        sa.Column("reviewed_value", sa.Float(), nullable=True),
        sa.Column("review_note", interpreta.privacy.crypto.EncryptedText(), nullable=True),
        sa.Column("reviewed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_engagement_estimates_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_engagement_estimates_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_engagement_estimates_recording_id_recordings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_estimates")),
        sa.UniqueConstraint(
            "participant_id", "measure", name=op.f("uq_engagement_estimates_participant_id")
        ),
    )
    with op.batch_alter_table("engagement_estimates", schema=None) as batch_op:
        for column in ("event_id", "participant_id"):
            batch_op.create_index(
                batch_op.f(f"ix_engagement_estimates_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("engagement_estimates", schema=None) as batch_op:
        for column in ("participant_id", "event_id"):
            batch_op.drop_index(batch_op.f(f"ix_engagement_estimates_{column}"))
    op.drop_table("engagement_estimates")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("engagement_estimates")
