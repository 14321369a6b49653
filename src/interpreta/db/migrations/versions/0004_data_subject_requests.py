"""data-subject requests, their parts, one-time email links, processing marks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 16:30:00.000000

Written by hand (tables of ``interpreta.privacy.rights.models`` only); runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dsr_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("subject_email", sa.String(length=320), nullable=True),
        sa.Column("subject_digest", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("logged_by_user_id", sa.Integer(), nullable=True),
        sa.Column("received_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("due_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("extended_due_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_requests")),
    )
    op.create_index(op.f("ix_dsr_requests_due_at"), "dsr_requests", ["due_at"])
    op.create_index(op.f("ix_dsr_requests_subject_digest"), "dsr_requests", ["subject_digest"])
    op.create_index(op.f("ix_dsr_requests_subject_user_id"), "dsr_requests", ["subject_user_id"])
    op.create_table(
        "dsr_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("handled_by_user_id", sa.Integer(), nullable=True),
        sa.Column("handled_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["dsr_requests.id"],
            name=op.f("fk_dsr_parts_request_id_dsr_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_parts")),
    )
    op.create_index(op.f("ix_dsr_parts_organisation_id"), "dsr_parts", ["organisation_id"])
    op.create_index(op.f("ix_dsr_parts_request_id"), "dsr_parts", ["request_id"])
    op.create_table(
        "dsr_email_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["dsr_requests.id"],
            name=op.f("fk_dsr_email_tokens_request_id_dsr_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_email_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dsr_email_tokens_token_hash")),
    )
    op.create_index(op.f("ix_dsr_email_tokens_request_id"), "dsr_email_tokens", ["request_id"])
    op.create_table(
        "processing_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email_digest", sa.String(length=64), nullable=True),
        sa.Column("purposes", sa.String(length=400), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("overriding_grounds", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("lifted_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_marks")),
    )
    op.create_index(op.f("ix_processing_marks_email_digest"), "processing_marks", ["email_digest"])
    op.create_index(op.f("ix_processing_marks_user_id"), "processing_marks", ["user_id"])


def downgrade() -> None:
    op.drop_table("processing_marks")
    op.drop_table("dsr_email_tokens")
    op.drop_table("dsr_parts")
    op.drop_table("dsr_requests")
