"""recordings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:55:00

Recordings of an event's channels (issue 13): ``recordings`` (one per channel),
``recording_chunks`` (the sound, Ogg Opus, encrypted chunk by chunk) and
``recording_voices`` (who was heard when).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_recordings_channel_id_channels"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_recordings_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recordings_event_id"), ["event_id"], unique=False)

    op.create_table(
        "recording_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_recording_chunks_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_chunks")),
        sa.UniqueConstraint("recording_id", "seq", name=op.f("uq_recording_chunks_recording_id")),
    )
    with op.batch_alter_table("recording_chunks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recording_chunks_recording_id"), ["recording_id"], unique=False
        )

    op.create_table(
        "recording_voices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("from_ms", sa.Integer(), nullable=False),
        sa.Column("to_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_recording_voices_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name=op.f("fk_recording_voices_recording_id_recordings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_voices")),
    )
    with op.batch_alter_table("recording_voices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recording_voices_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recording_voices_recording_id"), ["recording_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recording_voices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_voices_recording_id"))
        batch_op.drop_index(batch_op.f("ix_recording_voices_participant_id"))

    op.drop_table("recording_voices")
    with op.batch_alter_table("recording_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_chunks_recording_id"))

    op.drop_table("recording_chunks")
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordings_event_id"))

    op.drop_table("recordings")
