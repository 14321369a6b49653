"""data key rotation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00

A scope's data key can be rotated (P22): the old key is retired
(``data_keys.retired_at``), a new one becomes current, and the ciphertexts are
re-encrypted under it. A scope now has several keys over time but one current key,
so the unique constraint on ``scope`` becomes a unique index on the scopes of keys
not retired.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("retired_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("data_keys") as batch:
        batch.add_column(sa.Column("retired_at", interpreta.db.base.UTCDateTime(), nullable=True))
        batch.drop_constraint("uq_data_keys_scope", type_="unique")
    op.create_index(
        "uq_data_keys_current_scope",
        "data_keys",
        ["scope"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    live = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM data_keys WHERE retired_at IS NOT NULL AND wrapped IS NOT NULL"
        )
    )
    if live.scalar_one():
        raise RuntimeError("retired data keys still protect data: finish `keys rotate-data` first")
    op.drop_index("uq_data_keys_current_scope", table_name="data_keys")
    op.execute("DELETE FROM data_keys WHERE retired_at IS NOT NULL")
    with op.batch_alter_table("data_keys") as batch:
        batch.create_unique_constraint("uq_data_keys_scope", ["scope"])
        batch.drop_column("retired_at")
