"""booth work

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 08:10:00

The interpreter's console (issue 14): ``glossary_terms``, each event's glossary shared by
its booths (meeting content, encrypted at rest), and ``on_air_stints``, when each
interpreter's microphone was live on which channel (for the customer's invoicing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_language", sa.String(length=16), nullable=False),
        sa.Column("target_language", sa.String(length=16), nullable=False),
        sa.Column("term", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("equivalent", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("note", interpreta.privacy.crypto.EncryptedText(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_glossary_terms_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_glossary_terms_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
    )
    with op.batch_alter_table("glossary_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_glossary_terms_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_glossary_terms_event_id"), ["event_id"], unique=False)

    op.create_table(
        "on_air_stints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("started_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_on_air_stints_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_on_air_stints_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_air_stints")),
    )
    with op.batch_alter_table("on_air_stints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_on_air_stints_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_on_air_stints_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("on_air_stints")
    op.drop_table("glossary_terms")
