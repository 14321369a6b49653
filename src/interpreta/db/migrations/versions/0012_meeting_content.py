"""meeting content

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:05:00

Chat, polls, Q&A and shared files in events (issue 13): ``chat_messages``,
``polls``, ``poll_options``, ``poll_votes``, ``questions``, ``question_votes`` and
``shared_files``. Their text and files are meeting content, encrypted at rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "audience",
            sa.String(length=12),
            nullable=False,
        ),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("body", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("sent_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_chat_messages_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_chat_messages_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["participants.id"],
            name=op.f("fk_chat_messages_recipient_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_messages_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chat_messages_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_chat_messages_recipient_id"), ["recipient_id"], unique=False
        )

    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("question", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("live_results", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=8),
            nullable=False,
        ),
        sa.Column("opened_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("closed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_polls_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_polls_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_polls_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_polls_event_id"), ["event_id"], unique=False)

    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=10),
            nullable=False,
        ),
        sa.Column("asked_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_questions_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_questions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "shared_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("name", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("shared_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_shared_files_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_shared_files_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_files")),
    )
    with op.batch_alter_table("shared_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shared_files_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shared_files_event_id"), ["event_id"], unique=False)

    op.create_table(
        "poll_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_options_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_options")),
    )
    with op.batch_alter_table("poll_options", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_options_poll_id"), ["poll_id"], unique=False)

    op.create_table(
        "question_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_question_votes_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["participants.id"],
            name=op.f("fk_question_votes_voter_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_votes")),
        sa.UniqueConstraint("question_id", "voter_id", name=op.f("uq_question_votes_question_id")),
    )
    with op.batch_alter_table("question_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_votes_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_votes_voter_id"), ["voter_id"], unique=False)

    op.create_table(
        "poll_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["poll_options.id"],
            name=op.f("fk_poll_votes_option_id_poll_options"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["polls.id"], name=op.f("fk_poll_votes_poll_id_polls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"],
            ["participants.id"],
            name=op.f("fk_poll_votes_voter_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_votes")),
        sa.UniqueConstraint("option_id", "voter_id", name=op.f("uq_poll_votes_option_id")),
    )
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_votes_option_id"), ["option_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_votes_poll_id"), ["poll_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_votes_voter_id"), ["voter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("poll_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_votes_voter_id"))
        batch_op.drop_index(batch_op.f("ix_poll_votes_poll_id"))
        batch_op.drop_index(batch_op.f("ix_poll_votes_option_id"))

    op.drop_table("poll_votes")
    with op.batch_alter_table("question_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_votes_voter_id"))
        batch_op.drop_index(batch_op.f("ix_question_votes_question_id"))

    op.drop_table("question_votes")
    with op.batch_alter_table("poll_options", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_options_poll_id"))

    op.drop_table("poll_options")
    with op.batch_alter_table("shared_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shared_files_event_id"))
        batch_op.drop_index(batch_op.f("ix_shared_files_author_id"))

    op.drop_table("shared_files")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_event_id"))
        batch_op.drop_index(batch_op.f("ix_questions_author_id"))

    op.drop_table("questions")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_polls_event_id"))
        batch_op.drop_index(batch_op.f("ix_polls_author_id"))

    op.drop_table("polls")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_chat_messages_event_id"))
        batch_op.drop_index(batch_op.f("ix_chat_messages_author_id"))

    op.drop_table("chat_messages")
