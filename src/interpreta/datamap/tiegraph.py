"""The tie graph: what every table's ties lead to, found by walking foreign keys.

Columns declare their ties once (:mod:`interpreta.datamap.ties`); this module
derives from them, for any table:

- **the person** a row is about: its own account, email, digest or pseudonym
  columns, and the rows it belongs to (:attr:`TableTies.owners`); read by the
  rights engine to find everything about a person;
- **the event and the organisation** it belongs to, as SQL expressions correlated
  to the row (:meth:`TieGraph.values`); read by legal holds, customer-defined
  retention, request routing (P01) and the key scope of encrypted columns;
- **the moment each retention anchor happened** (:meth:`TieGraph.anchor`): the
  table's own ``__anchors__``, else those of the rows it is tied to.

A tie of a person kind is followed only through ``OWNER`` ties (an event is not
a person; an organisation's billing contact is not its participants). Event and
organisation ties are followed through any tie that is a foreign key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, select

from interpreta.datamap.anchors import Anchors, SQLExpression, anchors_of
from interpreta.datamap.declarations import Personal, declaration_of, is_free_text
from interpreta.datamap.retention_rules import Anchor
from interpreta.datamap.ties import TIE_KEY, Tie, TieDeclaration, tie_of
from interpreta.datamap.vocabulary import Scope
from interpreta.datamap.withholding import withheld
from interpreta.db.base import Base

UNTIED_ATTRIBUTE = "__untied__"
"""Where a model says why its personal rows are deliberately tied to no person."""

_GRAPHS: dict[int, tuple[frozenset[str], TieGraph]] = {}
"""Graphs built so far, by metadata (a schema's graph is built once)."""

_CONTEXT_HOPS = frozenset({Tie.OWNER, Tie.EVENT, Tie.ORGANISATION})
_PERSON_HOPS = frozenset({Tie.OWNER})


@dataclass(frozen=True)
class TableTies:
    """One table's ties, read from its column declarations."""

    table: Table
    persons: tuple[tuple[Column[Any], TieDeclaration], ...]
    """Columns naming the person directly (account, email, digest, pseudonym)."""
    owners: tuple[tuple[Column[Any], Table], ...]
    """Foreign keys to the rows this one belongs to, with the table each leads to."""
    covered: tuple[str, ...]
    """The personal columns that are about the tied person."""

    @property
    def key(self) -> Column[Any]:
        """The primary-key column (every tied table has a one-column key)."""
        return next(iter(self.table.primary_key.columns))

    @property
    def is_linked(self) -> bool:
        """Whether rows of this table can belong to a person."""
        return bool(self.persons or self.owners)

    def declaration(self, column: str) -> Personal:
        """The personal-data declaration of a covered column."""
        found = declaration_of(self.table.columns[column])
        assert isinstance(found, Personal)
        return found

    def columns_in(self, scope: Scope) -> list[str]:
        """The covered columns of `scope`."""
        return [c for c in self.covered if self.declaration(c).scope is scope]


def referenced(column: Column[Any]) -> Column[Any] | None:
    """The column a foreign key `column` refers to, or None for a plain column."""
    foreign = next(iter(column.foreign_keys), None)
    return foreign.column if foreign is not None else None


def _table_ties(table: Table) -> TableTies:
    persons: list[tuple[Column[Any], TieDeclaration]] = []
    owners: list[tuple[Column[Any], Table]] = []
    covers: set[str] = set()
    whole_row = False
    for column in table.columns:
        tie = tie_of(column)
        if tie is None:
            continue
        if tie.kind is Tie.OWNER:
            target = referenced(column)
            if target is not None:
                owners.append((column, target.table))
        elif tie.kind.is_person:
            persons.append((column, tie))
        else:
            continue
        whole_row = whole_row or not tie.covers
        covers.update(tie.covers)
    personal = [c.name for c in table.columns if isinstance(declaration_of(c), Personal)]
    covered = personal if whole_row else [c for c in personal if c in covers]
    return TableTies(table, tuple(persons), tuple(owners), tuple(covered))


class TieGraph:
    """The ties of every table of one schema, and what they lead to."""

    def __init__(self, metadata: MetaData, models: Mapping[str, Any]) -> None:
        self.metadata = metadata
        self.models = dict(models)
        self._ties = {t.name: _table_ties(t) for t in metadata.sorted_tables}

    @classmethod
    def of(cls, metadata: MetaData) -> TieGraph:
        """The graph of `metadata`, with the anchors its mapped classes declare; built once
        per set of tables (a table added later makes a new graph)."""
        tables = frozenset(metadata.tables)
        cached = _GRAPHS.get(id(metadata))
        if cached is None or cached[0] != tables or cached[1].metadata is not metadata:
            models = {
                mapper.local_table.name: mapper.class_  # type: ignore[attr-defined]
                for mapper in Base.registry.mappers
            }
            cached = (tables, cls(metadata, models))
            _GRAPHS[id(metadata)] = cached
        return cached[1]

    # --- tables --------------------------------------------------------------------

    def ties(self, name: str) -> TableTies:
        """The ties of table `name`."""
        return self._ties[name]

    def linked(self) -> list[TableTies]:
        """Every table whose rows can belong to a person, parents before children."""
        return [t for t in self._ties.values() if t.is_linked]

    def model(self, table: Table) -> Any:
        """The class mapped to `table`."""
        try:
            return self.models[table.name]
        except KeyError:
            raise LookupError(f"no model maps {table.name}") from None

    def own_anchors(self, table: Table) -> Anchors:
        """The anchors `table`'s model declares itself."""
        model = self.models.get(table.name)
        return anchors_of(model) if model is not None else Anchors()

    # --- walking -------------------------------------------------------------------

    def values(self, table: Table, kind: Tie) -> list[SQLExpression]:
        """Expressions, correlated to a row of `table`, giving what it is tied to by
        `kind`: the user ID, email address, event ID or organisation ID (one per
        path; most tables have one)."""
        return self._values(table, kind, frozenset())

    def first(self, table: Table, kind: Tie) -> SQLExpression | None:
        """The first of :meth:`values`, or None when `table` has no such tie."""
        found = self.values(table, kind)
        return found[0] if found else None

    def anchor(self, table: Table, anchor: Anchor) -> SQLExpression | None:
        """When `anchor` happened for a row of `table`: its own declaration, else that
        of the row it is tied to (None when no tie leads to one)."""
        return self._anchor(table, anchor, frozenset())

    def _values(self, table: Table, kind: Tie, seen: frozenset[str]) -> list[SQLExpression]:
        if table.name in seen:
            return []
        seen = seen | {table.name}
        found: list[SQLExpression] = []
        for column in table.columns:
            tie = tie_of(column)
            if tie is None or tie.kind is not kind:
                continue
            target = referenced(column)
            if target is None or _is_root(target, kind):
                found.append(column)
                continue
            found += [
                _hop(table, column, target, inner)
                for inner in self._values(target.table, kind, seen)
            ]
        if found:
            return found
        hops = _PERSON_HOPS if kind.is_person else _CONTEXT_HOPS
        for column, target in _hop_columns(table, hops):
            found += [
                _hop(table, column, target, inner)
                for inner in self._values(target.table, kind, seen)
            ]
        return found

    def _anchor(self, table: Table, anchor: Anchor, seen: frozenset[str]) -> SQLExpression | None:
        if table.name in seen:
            return None
        own = self.own_anchors(table).moments.get(anchor)
        if own is not None:
            return own()
        for column, target in _hop_columns(table, _CONTEXT_HOPS):
            inner = self._anchor(target.table, anchor, seen | {table.name})
            if inner is not None:
                return _hop(table, column, target, inner)
        return None

    # --- checks --------------------------------------------------------------------

    def untied_reason(self, table: Table) -> str:
        """Why `table`'s personal rows are deliberately tied to no one ('' when they are
        not): a model says so in ``__untied__`` (legal holds)."""
        return str(getattr(self.models.get(table.name), UNTIED_ATTRIBUTE, "") or "")

    def withheld(self, table: Table) -> ColumnElement[bool] | None:
        """The condition true for `table`'s rows the people they are about may not be
        told of yet (None: it withholds nothing); see
        :mod:`~interpreta.datamap.withholding`."""
        return withheld(self.models.get(table.name))

    def has_person(self, table: Table) -> bool:
        """Whether a row of `table` leads to the person it is about."""
        return self._has_person(table, frozenset())

    def _has_person(self, table: Table, seen: frozenset[str]) -> bool:
        if table.name in seen:
            return False
        ties = self._ties[table.name]
        if ties.persons:
            return True
        return any(self._has_person(parent, seen | {table.name}) for _, parent in ties.owners)

    def problems(self) -> list[str]:
        """Ties that are unknown or lead nowhere, and personal tables tied to no one."""
        found: list[str] = []
        for table in self.metadata.sorted_tables:
            for column in table.columns:
                found += _column_problems(self, table, column)
            personal = [c for c in table.columns if isinstance(declaration_of(c), Personal)]
            if not personal or self.has_person(table) or self.untied_reason(table):
                continue
            if all(is_free_text(c) for c in personal):
                continue  # texts about no one in particular, searched by erasure
            untied = ", ".join(c.name for c in personal if not is_free_text(c))
            found.append(
                f"{table.name}: personal columns ({untied}) but no tie leads to the person "
                "they are about (declare tie=Tie.ACCOUNT, EMAIL, ... or OWNER)"
            )
        return found


def _column_problems(graph: TieGraph, table: Table, column: Column[Any]) -> list[str]:
    where = f"{table.name}.{column.name}"
    raw = column.info.get(TIE_KEY)
    if raw is None:
        return []
    if not isinstance(raw, TieDeclaration) or not isinstance(raw.kind, Tie):
        return [f"{where}: unknown tie {raw!r}"]
    found = [f"{where}: tie covers unknown column {c!r}" for c in raw.covers if c not in table.c]
    if raw.proven_by is not None and raw.proven_by not in table.c:
        found.append(f"{where}: tie is proven by unknown column {raw.proven_by!r}")
    target = referenced(column)
    if raw.kind is Tie.OWNER and target is None:
        found.append(f"{where}: an owner tie must be a foreign key")
    if (
        raw.kind in (Tie.EVENT, Tie.ORGANISATION)
        and target is not None
        and not graph.values(table, raw.kind)
    ):
        found.append(f"{where}: the {raw.kind.value} tie leads to no {raw.kind.value}")
    return found


def _is_root(target: Column[Any], kind: Tie) -> bool:
    """Whether `target` is the key of the table that *is* the thing `kind` names."""
    tie = tie_of(target)
    return target.primary_key and tie is not None and tie.kind is kind


def _hop_columns(table: Table, kinds: Iterable[Tie]) -> list[tuple[Column[Any], Column[Any]]]:
    """`table`'s foreign keys tied by one of `kinds`, with the column each refers to."""
    hops = []
    for column in table.columns:
        tie = tie_of(column)
        target = referenced(column)
        if tie is not None and tie.kind in kinds and target is not None:
            hops.append((column, target))
    return hops


def _hop(
    table: Table, column: Column[Any], target: Column[Any], inner: SQLExpression
) -> SQLExpression:
    """`inner` (an expression over `target`'s table) for the row `column` refers to,
    correlated to `table` (SQLAlchemy only auto-correlates one level up)."""
    return select(inner).where(target == column).correlate(table).scalar_subquery()
