"""notice translations

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 15:05:48

The privacy notice in every language (issue 13): each version is published in English
(its own row, as before) and in each other supported language at once, one row per
language, so an old version shows as it was in each. Versions published before have no
translations and show in English.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["notice_versions.id"],
            name=op.f("fk_notice_translations_version_id_notice_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_translations")),
        sa.UniqueConstraint(
            "version_id", "language", name=op.f("uq_notice_translations_version_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("notice_translations")
