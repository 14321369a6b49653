"""A person's stored values, field by field, read through the data map's ties.

Read by the access export (:mod:`.access`) and the readable report (:mod:`.report`).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from interpreta.datamap.declarations import Personal
from interpreta.datamap.vocabulary import Category
from interpreta.privacy.crypto import Sealed
from interpreta.privacy.encrypted import KEYRING, open_value
from interpreta.privacy.rights.subjects import Found, Part, chunks, rows_in_part


@dataclass(frozen=True)
class FieldValue:
    """One stored value of one personal field of one of the person's rows."""

    table: str
    row: Any
    column: str
    declaration: Personal
    value: Any

    @property
    def category(self) -> Category:
        """The field's category."""
        return self.declaration.category


def plain(value: Any) -> Any:
    """`value` as JSON can hold it: dates in ISO 8601, amounts as exact decimal strings,
    documents (an invoice's PDF) in base64."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Enum):
        return value.value
    return value


def _open(db: Session, table: str, column: str, key: Any, value: Any) -> Any:
    if not isinstance(value, Sealed) or not value:
        return value
    keyring = db.info.get(KEYRING)
    if keyring is None:
        return "(encrypted; the key is not available to this process)"
    return open_value(keyring, db.connection(), table, column, key, value)


def values(
    db: Session,
    metadata: MetaData,
    found: Found,
    parts: Iterable[Part],
    category: Category | None = None,
) -> Iterator[FieldValue]:
    """Every value of every covered field of the person's rows in `parts`."""
    for part in parts:
        for ties, columns, keys in rows_in_part(db, metadata, found, part):
            wanted = [
                c for c in columns if category is None or ties.declaration(c).category is category
            ]
            if not wanted:
                continue
            selected = [ties.key, *(ties.table.columns[c] for c in wanted)]
            for batch in chunks(keys):
                statement = select(*selected).where(ties.key.in_(batch)).order_by(ties.key)
                for row in db.execute(statement):
                    for name, value in zip(wanted, row[1:], strict=True):
                        yield FieldValue(
                            ties.table.name,
                            row[0],
                            name,
                            ties.declaration(name),
                            plain(_open(db, ties.table.name, name, row[0], value)),
                        )


def declarations_present(
    db: Session, metadata: MetaData, found: Found, parts: Iterable[Part]
) -> list[Personal]:
    """The declarations of the fields the report holds (for the Art. 15 context)."""
    result: list[Personal] = []
    for part in parts:
        for ties, columns, _keys in rows_in_part(db, metadata, found, part):
            result.extend(ties.declaration(c) for c in columns)
    return result
