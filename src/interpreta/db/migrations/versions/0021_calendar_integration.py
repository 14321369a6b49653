"""calendar integration

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 11:45:55

The opt-in calendar integration (P19): one connection per account (the CalDAV calendar
and CardDAV address book it connected, the user name and the encrypted password), and the
contacts imported from the address book, which go with their connection.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base
import interpreta.privacy.crypto

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("calendar_url", sa.String(length=500), nullable=True),
        sa.Column("addressbook_url", sa.String(length=500), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("secret", interpreta.privacy.crypto.EncryptedText(), nullable=False),
        sa.Column("connected_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("synced_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_connections_user_id")),
    )
    op.create_table(
        "imported_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("imported_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_imported_contacts_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_contacts")),
        sa.UniqueConstraint(
            "connection_id", "email", name=op.f("uq_imported_contacts_connection_id")
        ),
    )
    with op.batch_alter_table("imported_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imported_contacts_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_imported_contacts_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imported_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_contacts_email"))
        batch_op.drop_index(batch_op.f("ix_imported_contacts_connection_id"))

    op.drop_table("imported_contacts")
    op.drop_table("calendar_connections")
