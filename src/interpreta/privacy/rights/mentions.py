"""Mentions of an erased person in what others wrote (issue 11: erasure leaves no
free text behind).

An erasure removes the person's own rows, but other people's messages in the same
events may name them ("ask Jane Roe, jane@example.org"). Those texts belong to
their writers and to the customer, who decides: :func:`find` lists them so the
customer can redact them. A mention is the person's name, email address or
display name, compared after Unicode NFKC and case folding, in a column the data
map declares as free text, in a row tied to one of the person's events and not
itself the person's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table, select
from sqlalchemy.orm import Session

from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.declarations import Personal, declaration_of, is_free_text
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import Tie
from interpreta.datamap.vocabulary import Category
from interpreta.privacy.crypto import Sealed
from interpreta.privacy.encrypted import KEYRING, open_value
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.subjects import Found, chunks

MIN_TERM = 4
"""Shorter names are not searched for (every "Al" would match)."""


@dataclass(frozen=True)
class Mention:
    """A text by someone else that names the person."""

    table: str
    key: Any
    column: str
    event_id: int
    organisation_id: int | None

    def as_dict(self) -> dict[str, Any]:
        """The mention as a request part's outcome lists it (for the customer): its
        ``key`` (``table:row``) names it among the texts of every table."""
        return {
            "table": self.table,
            "key": f"{self.table}:{self.key}",
            "row": self.key,
            "column": self.column,
            "event": self.event_id,
        }


def fold(text: str) -> str:
    """`text` as mentions are compared: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _name_columns(table: Table) -> list[Any]:
    """A table's personal text columns that hold a name (identifiers called ``*name``)."""
    found = []
    for column in table.columns:
        declaration = declaration_of(column)
        if (
            isinstance(declaration, Personal)
            and declaration.category is Category.IDENTIFIERS
            and column.name.endswith("name")
        ):
            found.append(column)
    return found


@runs_in(PRIVACY_REQUESTS)
def terms(db: Session, metadata: MetaData, found: Found) -> set[str]:
    """What would name the person: their email addresses, and the name in each of their
    rows (a full or display name; first and last names joined, "First Last", since a
    first name alone names many people)."""
    wanted = {fold(e) for e in found.identity.emails}
    for name, keys in found.rows.items():
        table = metadata.tables[name]
        columns = _name_columns(table)
        if not columns or not keys:
            continue
        (key,) = table.primary_key.columns
        for batch in chunks(keys):
            for row in db.execute(select(*columns).where(key.in_(batch))):
                parts = [fold(v) for v in row if isinstance(v, str) and v.strip()]
                if parts:  # a full or display name; first and last names only together
                    wanted.add(" ".join(parts))
    return {t for t in wanted if len(t) >= MIN_TERM}


def _events_of(db: Session, graph: TieGraph, metadata: MetaData, found: Found) -> set[int]:
    events: set[int] = set()
    for name, keys in found.rows.items():
        table = metadata.tables[name]
        expression = graph.first(table, Tie.EVENT)
        if expression is None or not keys:
            continue
        (key,) = table.primary_key.columns
        for batch in chunks(keys):
            query = select(expression).select_from(table).where(key.in_(batch))
            events.update(e for e in db.scalars(query) if e is not None)
    return events


def _plain(db: Session, table: Table, column: Any, key: Any, value: Any) -> str:
    """A stored text as written (an encrypted column's value opened)."""
    if isinstance(value, Sealed):
        keyring = db.info.get(KEYRING)
        if keyring is None or not value:
            return ""
        return open_value(keyring, db.connection(), table.name, column.name, key, value)
    return value if isinstance(value, str) else ""


@runs_in(PRIVACY_REQUESTS)
def find(db: Session, metadata: MetaData, found: Found) -> list[Mention]:
    """The texts in the person's events, written by others, that name them."""
    graph = TieGraph.of(metadata)
    wanted = terms(db, metadata, found)
    events = _events_of(db, graph, metadata, found)
    if not wanted or not events:
        return []
    return list(_scan(db, graph, metadata, found, wanted, events))


def _scan(
    db: Session,
    graph: TieGraph,
    metadata: MetaData,
    found: Found,
    wanted: set[str],
    events: set[int],
) -> Iterator[Mention]:
    for table in metadata.sorted_tables:
        texts = [c for c in table.columns if is_free_text(c)]
        event = graph.first(table, Tie.EVENT)
        organisation = graph.first(table, Tie.ORGANISATION)
        if not texts or event is None or organisation is None:
            continue
        (key,) = table.primary_key.columns
        own = found.rows.get(table.name, set())
        query = (
            select(key, event, organisation, *texts)
            .select_from(table)
            .where(event.in_(sorted(events)))
        )
        for row in db.execute(query):
            if row[0] in own:
                continue
            for column, value in zip(texts, row[3:], strict=True):
                text = fold(_plain(db, table, column, row[0], value))
                if any(term in text for term in wanted):
                    yield Mention(table.name, row[0], column.name, int(row[1]), row[2])
