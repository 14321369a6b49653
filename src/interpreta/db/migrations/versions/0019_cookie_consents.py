"""cookie consents

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 11:23:23

Every answer to the cookie banner (issue 15, P05): which browser (a random key), the
account if someone was signed in, the banner's version, what was allowed, and whether it
withdrew an earlier consent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base


revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cookie_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visitor_key", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("banner_version", sa.String(length=16), nullable=False),
        sa.Column("preferences", sa.Boolean(), nullable=False),
        sa.Column("withdrawal", sa.Boolean(), nullable=False),
        sa.Column("decided_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cookie_consents_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cookie_consents")),
    )
    with op.batch_alter_table("cookie_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cookie_consents_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cookie_consents_visitor_key"), ["visitor_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cookie_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cookie_consents_visitor_key"))
        batch_op.drop_index(batch_op.f("ix_cookie_consents_user_id"))

    op.drop_table("cookie_consents")
