"""account safety

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00

Accounts prove their email address, refuse look-alike addresses, may turn on
two-factor sign-in, and join organisations by invitation:

- ``users``: ``email_verified_at`` (existing accounts start unverified: nothing
  proved their addresses), ``email_skeleton`` (filled in here for existing
  accounts), ``totp_secret``, ``totp_enabled_at``, ``totp_last_step``;
- ``sign_in_sessions.device``: which browser a session belongs to;
- ``account_links``: mailed one-time links (verify an address, reset a password);
- ``invitations``: invitations to join an organisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
from interpreta.accounts.addresses import skeleton

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_verified_at", interpreta.db.base.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("email_skeleton", sa.String(length=400), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("totp_enabled_at", interpreta.db.base.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_users_email_skeleton"), ["email_skeleton"], unique=False)
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("email", sa.String),
        sa.column("email_skeleton", sa.String),
    )
    connection = op.get_bind()
    for user_id, email in connection.execute(sa.select(users.c.id, users.c.email)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(email_skeleton=skeleton(email))
        )

    with op.batch_alter_table("sign_in_sessions") as batch:
        batch.add_column(sa.Column("device", sa.String(length=120), nullable=True))

    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("used_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_links_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_links_token_hash")),
    )
    with op.batch_alter_table("account_links") as batch:
        batch.create_index(batch.f("ix_account_links_user_id"), ["user_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("answered_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_invitations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations") as batch:
        batch.create_index(
            batch.f("ix_invitations_organisation_id"), ["organisation_id"], unique=False
        )
        batch.create_index(batch.f("ix_invitations_email"), ["email"], unique=False)


def downgrade() -> None:
    op.drop_table("invitations")
    op.drop_table("account_links")
    with op.batch_alter_table("sign_in_sessions") as batch:
        batch.drop_column("device")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(batch.f("ix_users_email_skeleton"))
        for column in (
            "totp_last_step",
            "totp_enabled_at",
            "totp_secret",
            "email_skeleton",
            "email_verified_at",
        ):
            batch.drop_column(column)
