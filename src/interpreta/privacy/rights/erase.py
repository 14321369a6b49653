"""Erasure (Art. 17, P30): delete or anonymise a person's rows as the data map says.

For each of the person's rows in one part (children before parents):

- a row a legal hold covers (P15) is kept whole;
- fields whose legal basis is a legal obligation (invoices, P11; records of rights
  requests) are kept, and the retention engine disposes of them when their rule
  runs out;
- the other covered fields are anonymised when their retention rule says
  *anonymise*, when the row is shared with others (an organisation's billing
  contact) or when records kept elsewhere still point to it; otherwise the row is
  deleted.

Everything runs in the caller's transaction; the answer lists what was erased and
what was kept and why. Running it again changes nothing: deleted rows are gone,
and anonymised values are written only when they differ.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, delete, inspect, select, update
from sqlalchemy.orm import Session

from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.declarations import Personal, declaration_of
from interpreta.datamap.retention_rules import Disposal
from interpreta.datamap.tiegraph import TableTies, TieGraph
from interpreta.datamap.vocabulary import LegalBasis
from interpreta.privacy import holds
from interpreta.privacy.crypto import EncryptedText
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.subjects import Found, Part, chunks, rows_in_part

_CANNOT = object()


@dataclass
class Kept:
    """Fields kept despite the erasure, and why."""

    table: str
    fields: list[str]
    reason: str
    count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form (no identifiers: table, field descriptions, reason, count)."""
        return {
            "table": self.table,
            "fields": self.fields,
            "reason": self.reason,
            "count": self.count,
        }


@dataclass
class ErasureReport:
    """What an erasure did: rows deleted and anonymised, and what was kept and why."""

    deleted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    anonymised: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kept: list[Kept] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """How many rows were deleted or changed."""
        return sum(self.deleted.values()) + sum(self.anonymised.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON form, stored as the part's outcome."""
        return {
            "deleted": dict(self.deleted),
            "anonymised": dict(self.anonymised),
            "kept": [k.as_dict() for k in self.kept],
        }


class Holds:
    """The legal holds in force (P15), asked per row through its ties."""

    def __init__(self, db: Session) -> None:
        self.active: holds.ActiveHolds | None = None
        if not inspect(db.connection()).has_table("legal_holds"):
            return
        found = holds.active(db)
        self.active = found if found else None

    def held(self, db: Session, metadata: MetaData, ties: TableTies, keys: list[Any]) -> set[Any]:
        """The keys among `keys` of rows a hold covers."""
        if self.active is None:
            return set()
        condition = holds.covered(TieGraph.of(metadata), ties.table, self.active)
        found: set[Any] = set()
        for batch in chunks(keys):
            found.update(db.scalars(select(ties.key).where(ties.key.in_(batch), condition)))
        return found


def _neutral(column: Column[Any], table: str, key: Any) -> Any:
    """The value erasing `column` leaves, or _CANNOT when only deleting the row erases it."""
    if column.primary_key:
        return column  # marker: keep
    if column.nullable:
        return None
    if column.foreign_keys or isinstance(column.type, EncryptedText):
        return _CANNOT
    if isinstance(column.type, String | Text):
        return f"erased-{table}-{key}" if column.unique else ""
    return column  # dates, numbers, enums: not identifying on their own; kept


def _referenced(db: Session, metadata: MetaData, table: Table, keys: list[Any]) -> set[Any]:
    """Keys among `keys` that rows of other tables still point to. A reference with
    ``ON DELETE CASCADE`` does not count: the schema says the pointing row belongs to this
    one (an upvote to its question) and goes with it."""
    found: set[Any] = set()
    for other in metadata.sorted_tables:
        for column in other.columns:
            for foreign in column.foreign_keys:
                if foreign.column.table is table and (foreign.ondelete or "").upper() != "CASCADE":
                    for batch in chunks(keys):
                        found.update(db.scalars(select(column).where(column.in_(batch)).distinct()))
    return found


def _all_personal(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(declaration_of(c), Personal)}


def _erase_table(
    db: Session,
    metadata: MetaData,
    ties: TableTies,
    columns: list[str],
    keys: list[Any],
    in_force: Holds,
    report: ErasureReport,
) -> None:
    table = ties.table
    held = in_force.held(db, metadata, ties, keys)
    if held:
        descriptions = [ties.declaration(c).description for c in columns]
        report.kept.append(Kept(table.name, descriptions, "covered by a legal hold", len(held)))
    keys = [k for k in keys if k not in held]
    if not keys:
        return
    legal = [c for c in columns if ties.declaration(c).basis is LegalBasis.LEGAL_OBLIGATION]
    if legal:
        rules = sorted({ties.declaration(c).retention.describe() for c in legal})
        reason = "kept because the law obliges us to: " + "; ".join(rules)
        fields = [ties.declaration(c).description for c in legal]
        report.kept.append(Kept(table.name, fields, reason, len(keys)))
    erasable = [c for c in columns if c not in legal]
    if not erasable:
        return
    whole = not legal and set(erasable) == _all_personal(table)
    anonymise = any(
        getattr(ties.declaration(c).retention, "disposal", Disposal.DELETE) is Disposal.ANONYMISE
        for c in erasable
    )
    deletable = set(keys) - _referenced(db, metadata, table, keys) if whole else set()
    to_delete: list[Any] = []
    for key in keys:
        neutral = {c: _neutral(table.columns[c], table.name, key) for c in erasable}
        possible = not any(v is _CANNOT for v in neutral.values())
        if key in deletable and (not anonymise or not possible):
            to_delete.append(key)
            continue
        values = {
            c: v for c, v in neutral.items() if v is not _CANNOT and not isinstance(v, Column)
        }
        if not possible:
            report.kept.append(
                Kept(table.name, erasable, "still referenced by records kept for another reason", 1)
            )
        if _anonymise_row(db, ties, key, values):
            report.anonymised[table.name] += 1
    for batch in chunks(to_delete):
        result = db.execute(delete(table).where(ties.key.in_(batch)))
        report.deleted[table.name] += getattr(result, "rowcount", 0) or 0


def _anonymise_row(db: Session, ties: TableTies, key: Any, values: dict[str, Any]) -> bool:
    if not values:
        return False
    current = db.execute(
        select(*(ties.table.columns[c] for c in values)).where(ties.key == key)
    ).one_or_none()
    if current is None or all(
        value == wanted for value, wanted in zip(current, values.values(), strict=True)
    ):
        return False
    db.execute(update(ties.table).where(ties.key == key).values(**values))
    return True


@runs_in(PRIVACY_REQUESTS)
def erase(db: Session, metadata: MetaData, found: Found, part: Part) -> ErasureReport:
    """Erase the person's data in `part`, in `db`'s transaction; idempotent."""
    report = ErasureReport()
    in_force = Holds(db)
    planned = list(rows_in_part(db, metadata, found, part))
    for ties, columns, keys in reversed(planned):
        _erase_table(db, metadata, ties, columns, keys, in_force, report)
    db.flush()
    return report
