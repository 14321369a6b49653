"""Finding everything about one person by walking the data map.

Each table says, on its columns (:class:`~interpreta.privacy.datamap.SubjectLink`),
how its rows tie to a person: by user ID, by email address (or its digest), or by a
foreign key to a row that belongs to the person (a connection belongs to whoever
the participant is). :func:`find` starts from what is known about a person, follows
those declarations to a fixed point, and returns the primary keys of their rows,
table by table. Nothing here names a table: a new table with a link is found.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, Table, or_, select
from sqlalchemy.orm import Session

from interpreta.privacy.datamap import LinkKind, Personal, SubjectLink, declaration_of, link_of
from interpreta.privacy.vocabulary import Scope

BATCH = 500
"""How many keys one ``IN (...)`` query carries."""

MAX_ROUNDS = 5
"""How often identity discovery may loop (user ID -> email -> user ID...)."""


def normalise_email(address: str) -> str:
    """Email addresses are matched lower-cased, without surrounding space."""
    return address.strip().lower()


def email_digest(address: str) -> str:
    """The SHA-256 (hex) of a normalised email address: what suppression marks store."""
    return hashlib.sha256(normalise_email(address).encode("utf-8")).hexdigest()


@dataclass
class Identity:
    """What is known about one person: user IDs and email addresses."""

    user_ids: set[int] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, *, user_id: int | None = None, email: str | None = None) -> Identity:
        """The identity of a person known by a user ID and/or an email address."""
        return cls(
            user_ids={user_id} if user_id is not None else set(),
            emails={normalise_email(email)} if email else set(),
        )

    @property
    def digests(self) -> set[str]:
        """The digests of every known email address."""
        return {email_digest(e) for e in self.emails}

    def values(self, kind: LinkKind) -> set[Any]:
        """The known values a column linked by `kind` may hold."""
        if kind is LinkKind.ACCOUNT:
            return set(self.user_ids)
        if kind is LinkKind.EMAIL:
            return set(self.emails)
        if kind is LinkKind.EMAIL_DIGEST:
            return self.digests
        return set()

    def learn(self, kind: LinkKind, value: Any) -> bool:
        """Add a value found in one of the person's rows; True when it is new."""
        if value is None:
            return False
        if kind is LinkKind.ACCOUNT and value not in self.user_ids:
            self.user_ids.add(int(value))
            return True
        if kind is LinkKind.EMAIL and normalise_email(str(value)) not in self.emails:
            self.emails.add(normalise_email(str(value)))
            return True
        return False

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.emails)


@dataclass(frozen=True)
class TableLinks:
    """How one table's rows link to a person, read from its column declarations."""

    table: Table
    direct: tuple[tuple[Column[Any], SubjectLink], ...]
    owners: tuple[tuple[Column[Any], Table], ...]
    customer: Column[Any] | None
    covered: tuple[str, ...]

    @property
    def key(self) -> Column[Any]:
        """The primary-key column (every linked table has a one-column key)."""
        return next(iter(self.table.primary_key.columns))

    def declaration(self, column: str) -> Personal:
        """The personal-data declaration of a covered column."""
        found = declaration_of(self.table.columns[column])
        assert isinstance(found, Personal)
        return found

    def columns_in(self, scope: Scope) -> list[str]:
        """The covered columns of `scope`."""
        return [c for c in self.covered if self.declaration(c).scope is scope]


def mapped_class(table: Table) -> Any:
    """The model class mapped to `table`."""
    from interpreta.db.base import Base

    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise LookupError(f"no model maps {table.name}")


def _referred(column: Column[Any]) -> Table:
    foreign = next(iter(column.foreign_keys))
    return foreign.column.table


def _table_links(table: Table) -> TableLinks:
    direct: list[tuple[Column[Any], SubjectLink]] = []
    owners: list[tuple[Column[Any], Table]] = []
    customer: Column[Any] | None = None
    covers: set[str] = set()
    whole_row = False
    for column in table.columns:
        link = link_of(column)
        if link is None:
            continue
        if link.kind is LinkKind.CUSTOMER:
            customer = column
            continue
        if link.kind is LinkKind.OWNER:
            owners.append((column, _referred(column)))
        else:
            direct.append((column, link))
        whole_row = whole_row or not link.covers
        covers.update(link.covers)
    personal = [c.name for c in table.columns if isinstance(declaration_of(c), Personal)]
    covered = personal if whole_row else [c for c in personal if c in covers]
    return TableLinks(table, tuple(direct), tuple(owners), customer, tuple(covered))


@cache
def _graph(metadata: MetaData) -> tuple[TableLinks, ...]:
    return tuple(_table_links(t) for t in metadata.sorted_tables)


def linked_tables(metadata: MetaData) -> list[TableLinks]:
    """Every table whose rows can belong to a person, parents before children."""
    return [t for t in _graph(metadata) if t.direct or t.owners]


def table_links(metadata: MetaData, name: str) -> TableLinks:
    """The link declarations of table `name` (tables without links have none)."""
    return next(t for t in _graph(metadata) if t.table.name == name)


def unlinked_personal_tables(metadata: MetaData) -> list[str]:
    """Tables holding personal columns but declaring no way to find their person."""
    return [
        t.table.name
        for t in _graph(metadata)
        if not (t.direct or t.owners)
        and any(isinstance(declaration_of(c), Personal) for c in t.table.columns)
    ]


@dataclass
class Found:
    """A person's rows: primary keys, table by table, and the identity they revealed."""

    identity: Identity
    rows: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))

    def count(self) -> int:
        """How many rows in all."""
        return sum(len(keys) for keys in self.rows.values())


def chunks(values: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    """`values` in sorted lists of at most `size`."""
    ordered = sorted(values, key=lambda v: (str(type(v)), v))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _direct_round(db: Session, links: TableLinks, identity: Identity, found: Found) -> bool:
    learned = False
    conditions: list[ColumnElement[bool]] = []
    for column, link in links.direct:
        values = identity.values(link.kind)
        for batch in chunks(values):
            conditions.append(column.in_(batch))
    if not conditions:
        return False
    columns = [links.key, *(c for c, _ in links.direct)]
    for row in db.execute(select(*columns).where(or_(*conditions))):
        found.rows[links.table.name].add(row[0])
        for (column, link), value in zip(links.direct, row[1:], strict=True):
            del column
            learned = identity.learn(link.kind, value) or learned
    return learned


def find(db: Session, metadata: MetaData, identity: Identity) -> Found:
    """Every row about the person known by `identity`, found through the data map."""
    found = Found(Identity(set(identity.user_ids), set(identity.emails)))
    tables = linked_tables(metadata)
    for _round in range(MAX_ROUNDS):
        learned = False
        for links in tables:
            if links.direct:
                learned = _direct_round(db, links, found.identity, found) or learned
        if not learned:
            break
    for links in tables:
        for column, parent in links.owners:
            parents = found.rows.get(parent.name)
            if not parents:
                continue
            for batch in chunks(parents):
                keys = db.scalars(select(links.key).where(column.in_(batch)))
                found.rows[links.table.name].update(keys)
    return found


def customer_of(metadata: MetaData, table: Table) -> ColumnElement[Any] | None:
    """A SQL expression, correlated to `table`'s row, giving the customer (organisation)
    whose processor-scope data the row is; None when the row belongs to no customer."""
    links = table_links(metadata, table.name)
    column = links.customer
    if column is None:
        column = links.owners[0][0] if links.owners else None
    if column is None:
        return None
    parent = _referred(column)
    inner = customer_of(metadata, parent)
    if inner is None:
        return column if links.customer is not None else None
    parent_key = next(iter(parent.primary_key.columns))
    return select(inner).where(parent_key == column).scalar_subquery()


def customers(
    db: Session, metadata: MetaData, table: str, keys: Iterable[Any]
) -> dict[Any, int | None]:
    """The customer of each of the rows `keys` of `table` (None: the operator's own)."""
    links = table_links(metadata, table)
    expression = customer_of(metadata, links.table)
    if expression is None:
        return dict.fromkeys(keys)
    result: dict[Any, int | None] = {}
    for batch in chunks(keys):
        for key, organisation in db.execute(
            select(links.key, expression).where(links.key.in_(batch))
        ):
            result[key] = organisation
    return result


@dataclass(frozen=True)
class Part:
    """One handler's share of a person's data: the operator's, or one customer's."""

    scope: Scope
    organisation_id: int | None = None

    @property
    def label(self) -> str:
        """'controller' or 'processor:<organisation>'."""
        if self.scope is Scope.CONTROLLER:
            return "controller"
        return f"processor:{self.organisation_id}"


CONTROLLER = Part(Scope.CONTROLLER)


def parts(db: Session, metadata: MetaData, found: Found) -> set[Part]:
    """The handlers whose data about the person exists (routing by scope, P01)."""
    result: set[Part] = set()
    for name, keys in found.rows.items():
        links = table_links(metadata, name)
        if not keys:
            continue
        if links.columns_in(Scope.CONTROLLER):
            result.add(CONTROLLER)
        if links.columns_in(Scope.PROCESSOR):
            for organisation in set(customers(db, metadata, name, keys).values()):
                result.add(CONTROLLER if organisation is None else processor(organisation))
    return result


def processor(organisation_id: int) -> Part:
    """The part of customer `organisation_id`."""
    return Part(Scope.PROCESSOR, organisation_id)


def rows_in_part(
    db: Session, metadata: MetaData, found: Found, part: Part
) -> Iterator[tuple[TableLinks, list[str], list[Any]]]:
    """For each table: the covered columns of `part`'s scope and the keys of its rows."""
    for links in linked_tables(metadata):
        keys = found.rows.get(links.table.name)
        if not keys:
            continue
        columns = links.columns_in(part.scope)
        if not columns:
            continue
        if part.scope is Scope.PROCESSOR:
            owner = customers(db, metadata, links.table.name, keys)
            keys = {k for k, org in owner.items() if org == part.organisation_id}
            if not keys:
                continue
        yield links, columns, sorted(keys)
