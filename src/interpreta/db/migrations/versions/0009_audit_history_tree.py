"""audit history tree

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:00:00

The audit trail becomes a Merkle history tree over its hash chain (RFC 9162
hashes), so one entry's inclusion, and the consistency of today's trail with a
head published earlier, are proved with O(log n) hashes:

- ``audit_tree_nodes``: the tree's frozen nodes, ``(level, position, hash)``;
  filled in here for the entries already recorded (a leaf is
  ``SHA-256(0x00 || entry hash)``, in sequence order);
- ``audit_chain_head.tree_base_seq``: where the tree's leaves start; entries that
  retention removed before this revision cannot be hashed into it, so the tree
  starts after them (``base_seq``), and at 0 everywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from interpreta.privacy.audit_tree import appended, leaf_hash, root_nodes

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 10_000
MISSING = bytes(32)
"""The leaf data of an entry missing from a broken chain (``audit verify`` names it)."""

head = sa.table(
    "audit_chain_head",
    sa.column("id", sa.Integer),
    sa.column("last_seq", sa.Integer),
    sa.column("base_seq", sa.Integer),
    sa.column("tree_base_seq", sa.Integer),
)
entries = sa.table("audit_entries", sa.column("seq", sa.Integer), sa.column("hash", sa.String))
nodes = sa.table(
    "audit_tree_nodes",
    sa.column("level", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("hash", sa.LargeBinary),
)


def upgrade() -> None:
    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name=op.f("pk_audit_tree_nodes")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.add_column(sa.Column("tree_base_seq", sa.Integer(), nullable=True))
    connection = op.get_bind()
    connection.execute(head.update().values(tree_base_seq=head.c.base_seq))
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.alter_column("tree_base_seq", existing_type=sa.Integer(), nullable=False)
    found = connection.execute(sa.select(head.c.last_seq, head.c.base_seq)).first()
    if found is not None:
        _back_fill(connection, base=found.base_seq, last=found.last_seq)


def _leaves(connection: sa.Connection, base: int, last: int) -> Iterator[bytes]:
    """The leaf hash of each entry from ``base + 1`` to `last`, in sequence order."""
    expected = base + 1
    query = sa.select(entries.c.seq, entries.c.hash).where(entries.c.seq > base)
    query = query.order_by(entries.c.seq).execution_options(yield_per=CHUNK)
    rows = connection.execute(query)
    for seq, digest in rows:
        if seq > last:
            break
        while expected < seq:
            yield leaf_hash(MISSING)
            expected += 1
        yield leaf_hash(bytes.fromhex(digest))
        expected += 1
    for _missing in range(expected, last + 1):
        yield leaf_hash(MISSING)


def _back_fill(connection: sa.Connection, *, base: int, last: int) -> None:
    """Freeze every node of the tree over the entries after `base`, in chunks."""
    known: dict[tuple[int, int], bytes] = {}
    batch: list[dict[str, object]] = []
    for index, leaf in enumerate(_leaves(connection, base, last)):
        for (level, position), value in appended(index, leaf, known):
            known[(level, position)] = value
            batch.append({"level": level, "position": position, "hash": value})
        if len(batch) >= CHUNK:
            connection.execute(nodes.insert(), batch)
            batch = []
            # later leaves fold only with the right edge of the tree so far
            known = {node: known[node] for node in root_nodes(index + 1)}
    if batch:
        connection.execute(nodes.insert(), batch)


def downgrade() -> None:
    op.drop_table("audit_tree_nodes")
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.drop_column("tree_base_seq")
