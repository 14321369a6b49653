"""registration

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 11:40:07

Registration for events (issue 15): each event's registration mode, capacity and the
SEQUENCE of its calendar invitations; the organiser's questions, registrations and their
answers (encrypted); the feedback survey's questions and answers (encrypted).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registration_questions",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "text",
                "choice",
                "multiple",
                "consent",
                "rating",
                name="questionkind",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registration_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_questions")),
    )
    with op.batch_alter_table("registration_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_questions_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "waitlisted",
                "declined",
                "cancelled",
                name="registrationstatus",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("registered_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("link_nonce", sa.String(length=32), nullable=False),
        sa.Column("invited_sequence", sa.Integer(), nullable=True),
        sa.Column("reminded_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("surveyed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registrations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("event_id", "email", name=op.f("uq_registrations_event_id")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrations_event_id"), ["event_id"], unique=False)

    op.create_table(
        "survey_questions",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "text",
                "choice",
                "multiple",
                "consent",
                "rating",
                name="questionkind",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_survey_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
    )
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_questions_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "registration_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["registration_questions.id"],
            name=op.f("fk_registration_answers_question_id_registration_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_answers_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_answers")),
    )
    with op.batch_alter_table("registration_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_answers_registration_id"), ["registration_id"], unique=False
        )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("answered_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_questions.id"],
            name=op.f("fk_survey_answers_question_id_survey_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_survey_answers_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "registration_id", "question_id", name=op.f("uq_survey_answers_registration_id")
        ),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answers_registration_id"), ["registration_id"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "registration",
                sa.Enum(
                    "open",
                    "automatic",
                    "approval",
                    name="registrationmode",
                    native_enum=False,
                    length=12,
                ),
                server_default="open",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "schedule_sequence", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("schedule_sequence")
        batch_op.drop_column("capacity")
        batch_op.drop_column("registration")

    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answers_registration_id"))

    op.drop_table("survey_answers")
    with op.batch_alter_table("registration_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_answers_registration_id"))

    op.drop_table("registration_answers")
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_questions_event_id"))

    op.drop_table("survey_questions")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_event_id"))

    op.drop_table("registrations")
    with op.batch_alter_table("registration_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_questions_event_id"))

    op.drop_table("registration_questions")
