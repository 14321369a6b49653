"""disclosures

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 23:29:25

The register of disclosures made without consent (P20, issue 16).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import interpreta.db.base

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_email", sa.String(length=320), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column(
            "ground",
            sa.Enum("law", "fraud", "terms", name="ground", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("data_disclosed", sa.Text(), nullable=False),
        sa.Column("disclosed_on", sa.Date(), nullable=False),
        sa.Column("withheld_reason", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", interpreta.db.base.UTCDateTime(), nullable=False),
        sa.Column("released_at", interpreta.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosures_subject_email"), ["subject_email"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosures_subject_email"))

    op.drop_table("disclosures")
