"""audit trail, data keys, encrypted phone numbers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:42:31.384782

Adds the hash-chained audit trail (``audit_entries`` and its one-row head), the
wrapped data keys of envelope encryption (``data_keys``), and widens
``participants.phone`` to TEXT for its ciphertext. Plaintext phone numbers or
booth messages written before this revision are encrypted at start by
``interpreta.privacy.encrypted.encrypt_existing``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index(op.f("ix_audit_entries_actor"), "audit_entries", ["actor"], unique=False)
    op.create_index(op.f("ix_audit_entries_subject"), "audit_entries", ["subject"], unique=False)
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=True),
        sa.Column("master_version", sa.String(length=64), nullable=False),
        sa.Column("created_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("rewrapped_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.Column("destroyed_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_data_keys_key_id")),
        sa.UniqueConstraint("scope", name=op.f("uq_data_keys_scope")),
    )
    op.create_index(
        op.f("ix_data_keys_master_version"), "data_keys", ["master_version"], unique=False
    )
    with op.batch_alter_table("participants") as batch_op:
        batch_op.alter_column(
            "phone",
            existing_type=sa.String(length=200),
            type_=sa.Text(),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch_op:
        batch_op.alter_column(
            "phone",
            existing_type=sa.Text(),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
    op.drop_index(op.f("ix_data_keys_master_version"), table_name="data_keys")
    op.drop_table("data_keys")
    op.drop_index(op.f("ix_audit_entries_subject"), table_name="audit_entries")
    op.drop_index(op.f("ix_audit_entries_actor"), table_name="audit_entries")
    op.drop_table("audit_entries")
    op.drop_table("audit_chain_head")
