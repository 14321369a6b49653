"""machine channels

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 12:20:00

A language may be interpreted by machine rather than by a booth
(``event_languages.machine``); its channels say so (``channels.machine``) and have no
booth (issue 17). Settings, not personal data.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("event_languages", "channels"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("machine", sa.Boolean(), server_default=sa.text("false"), nullable=False)
            )


def downgrade() -> None:
    for table in ("channels", "event_languages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("machine")
