"""newsletter

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 11:09:59

The newsletter (issue 15, P06 and P12): requests waiting for their confirmation,
subscribers with the consent they gave, the operator's issues, and the queue of mails
not yet sent (a subscriber's rows go with the subscriber).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "newsletter_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("queued_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_issues")),
    )
    op.create_table(
        "newsletter_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("requested_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("requested_from", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_requests")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_newsletter_requests_token_digest")),
    )
    with op.batch_alter_table("newsletter_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_newsletter_requests_email"), ["email"], unique=False)

    op.create_table(
        "newsletter_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consent_version", sa.String(length=32), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("requested_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("requested_from", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_from", sa.String(length=64), nullable=True),
        sa.Column("browser", sa.String(length=64), nullable=True),
        sa.Column("device_type", sa.String(length=16), nullable=True),
        sa.Column("unsubscribe_nonce", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscribers")),
        sa.UniqueConstraint("email", name=op.f("uq_newsletter_subscribers_email")),
    )
    op.create_table(
        "newsletter_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("tried_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["newsletter_issues.id"],
            name=op.f("fk_newsletter_deliveries_issue_id_newsletter_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["newsletter_subscribers.id"],
            name=op.f("fk_newsletter_deliveries_subscriber_id_newsletter_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_deliveries")),
    )
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_deliveries_issue_id"), ["issue_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_newsletter_deliveries_subscriber_id"), ["subscriber_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_deliveries_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_newsletter_deliveries_issue_id"))

    op.drop_table("newsletter_deliveries")
    op.drop_table("newsletter_subscribers")
    with op.batch_alter_table("newsletter_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_requests_email"))

    op.drop_table("newsletter_requests")
    op.drop_table("newsletter_issues")
