"""transcripts

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 08:45:00

An event may keep a transcript of its automatic captions (``events.keep_transcript``,
a setting); each recognised sentence is a row of ``transcript_segments``: meeting
content, its words encrypted at rest (issue 17).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "keep_transcript", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("speaker_id", sa.Integer(), nullable=True),
        sa.Column("text", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("spoken_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_transcript_segments_channel_id_channels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_transcript_segments_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["participants.id"],
            name=op.f("fk_transcript_segments_speaker_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_segments")),
    )
    with op.batch_alter_table("transcript_segments", schema=None) as batch_op:
        for column in ("channel_id", "event_id", "speaker_id", "spoken_at"):
            batch_op.create_index(
                batch_op.f(f"ix_transcript_segments_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("transcript_segments", schema=None) as batch_op:
        for column in ("spoken_at", "speaker_id", "event_id", "channel_id"):
            batch_op.drop_index(batch_op.f(f"ix_transcript_segments_{column}"))
    op.drop_table("transcript_segments")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("keep_transcript")
