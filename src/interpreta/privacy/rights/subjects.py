"""Finding everything about one person by walking the data map's ties.

Each table's columns say (:mod:`interpreta.datamap.ties`) how its rows tie to a
person: by user ID, by email address (or its digest), or by a foreign key to a
row that belongs to the person (a connection belongs to whoever the participant
is). :func:`find` starts from what is known about a person, follows those ties
to a fixed point, and returns the primary keys of their rows, table by table.
Nothing here names a table: a new table with a tie is found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, MetaData, Select, Table, or_, select, type_coerce
from sqlalchemy.orm import Session

from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.tiegraph import TableTies, TieGraph
from interpreta.datamap.ties import Tie, email_digest, normalise_email
from interpreta.datamap.vocabulary import Scope
from interpreta.privacy.processing import runs_in

BATCH = 500
"""How many keys one ``IN (...)`` query carries."""

MAX_ROUNDS = 5
"""How often identity discovery may loop (user ID -> email -> user ID...)."""


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

    def values(self, kind: Tie) -> set[Any]:
        """The known values a column tied by `kind` may hold (pseudonyms are keyed,
        so the audit trail is searched by :mod:`interpreta.privacy.audit`, not here)."""
        if kind is Tie.ACCOUNT:
            return set(self.user_ids)
        if kind is Tie.EMAIL:
            return set(self.emails)
        if kind is Tie.EMAIL_DIGEST:
            return self.digests
        return set()

    def learn(self, kind: Tie, value: Any) -> bool:
        """Add a value found in one of the person's rows; True when it is new."""
        if value is None:
            return False
        if kind is Tie.ACCOUNT and value not in self.user_ids:
            self.user_ids.add(int(value))
            return True
        if kind is Tie.EMAIL and normalise_email(str(value)) not in self.emails:
            self.emails.add(normalise_email(str(value)))
            return True
        return False

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.emails)


def linked_tables(metadata: MetaData) -> list[TableTies]:
    """Every table whose rows can belong to a person, parents before children."""
    return TieGraph.of(metadata).linked()


def table_ties(metadata: MetaData, name: str) -> TableTies:
    """The ties of table `name`."""
    return TieGraph.of(metadata).ties(name)


def mapped_class(metadata: MetaData, table: Table) -> Any:
    """The model class mapped to `table`."""
    return TieGraph.of(metadata).model(table)


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


def _direct_round(db: Session, ties: TableTies, identity: Identity, found: Found) -> bool:
    learned = False
    conditions: list[ColumnElement[bool]] = []
    for column, tie in ties.persons:
        values = identity.values(tie.kind)
        for batch in chunks(values):
            conditions.append(column.in_(batch))
    if not conditions:
        return False
    proofs = [ties.table.c[tie.proven_by] for _, tie in ties.persons if tie.proven_by]
    columns = [ties.key, *(c for c, _ in ties.persons), *proofs]
    for row in db.execute(_shown(select(*columns).where(or_(*conditions)), ties)):
        found.rows[ties.table.name].add(row[0])
        proven = iter(row[1 + len(ties.persons) :])
        for (_column, tie), value in zip(ties.persons, row[1 : 1 + len(ties.persons)], strict=True):
            if tie.proven_by is not None and next(proven) is None:
                continue  # an unproven value (an unverified address) leads nowhere
            learned = identity.learn(tie.kind, value) or learned
    return learned


@runs_in(PRIVACY_REQUESTS)
def find(db: Session, metadata: MetaData, identity: Identity) -> Found:
    """Every row about the person known by `identity`, found through the data map."""
    found = Found(Identity(set(identity.user_ids), set(identity.emails)))
    tables = linked_tables(metadata)
    for _round in range(MAX_ROUNDS):
        learned = False
        for ties in tables:
            if ties.persons:
                learned = _direct_round(db, ties, found.identity, found) or learned
        if not learned:
            break
    for ties in tables:
        for column, parent in ties.owners:
            parents = found.rows.get(parent.name)
            if not parents:
                continue
            for batch in chunks(parents):
                keys = db.scalars(_shown(select(ties.key).where(column.in_(batch)), ties))
                found.rows[ties.table.name].update(keys)
    return found


def _shown(statement: Select[Any], ties: TableTies) -> Select[Any]:
    """`statement` without the rows the person may not be told of yet (a disclosure
    under a confidentiality order, P20): no answer finds them, erasure included."""
    hidden = TieGraph.of(ties.table.metadata).withheld(ties.table)
    return statement if hidden is None else statement.where(~hidden)


def customer_of(metadata: MetaData, table: Table) -> ColumnElement[Any] | None:
    """A SQL expression, correlated to `table`'s row, giving the customer (organisation)
    whose processor-scope data the row is; None when the row belongs to no customer."""
    found = TieGraph.of(metadata).first(table, Tie.ORGANISATION)
    return found if found is None else type_coerce(found, Integer)


@runs_in(PRIVACY_REQUESTS)
def customers(
    db: Session, metadata: MetaData, table: str, keys: Iterable[Any]
) -> dict[Any, int | None]:
    """The customer of each of the rows `keys` of `table` (None: the operator's own)."""
    ties = table_ties(metadata, table)
    expression = customer_of(metadata, ties.table)
    if expression is None:
        return dict.fromkeys(keys)
    result: dict[Any, int | None] = {}
    for batch in chunks(keys):
        for key, organisation in db.execute(
            select(ties.key, expression).where(ties.key.in_(batch))
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


@runs_in(PRIVACY_REQUESTS)
def parts(db: Session, metadata: MetaData, found: Found) -> set[Part]:
    """The handlers whose data about the person exists (routing by scope, P01)."""
    result: set[Part] = set()
    for name, keys in found.rows.items():
        ties = table_ties(metadata, name)
        if not keys:
            continue
        if ties.columns_in(Scope.CONTROLLER):
            result.add(CONTROLLER)
        if ties.columns_in(Scope.PROCESSOR):
            for organisation in set(customers(db, metadata, name, keys).values()):
                result.add(CONTROLLER if organisation is None else processor(organisation))
    return result


def processor(organisation_id: int) -> Part:
    """The part of customer `organisation_id`."""
    return Part(Scope.PROCESSOR, organisation_id)


def rows_in_part(
    db: Session, metadata: MetaData, found: Found, part: Part
) -> Iterator[tuple[TableTies, list[str], list[Any]]]:
    """For each table: the covered columns of `part`'s scope and the keys of its rows."""
    for ties in linked_tables(metadata):
        keys = found.rows.get(ties.table.name)
        if not keys:
            continue
        columns = ties.columns_in(part.scope)
        if not columns:
            continue
        if part.scope is Scope.PROCESSOR:
            owner = customers(db, metadata, ties.table.name, keys)
            keys = {k for k, org in owner.items() if org == part.organisation_id}
            if not keys:
                continue
        yield ties, columns, sorted(keys)
