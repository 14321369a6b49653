"""Access (Art. 15) and portability (Art. 20): a person's data, read through the data map.

:func:`values` streams every covered personal field of the person's rows in the
requested parts, batch by batch; :func:`write_zip` writes them as one JSON and one
CSV file per category plus the Art. 15 context and the readable report, without
holding more than a batch in memory.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import IO, Any

from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.privacy.crypto import Sealed
from interpreta.privacy.datamap import Personal
from interpreta.privacy.encrypted import KEYRING, open_value
from interpreta.privacy.rights import report
from interpreta.privacy.rights.context import context
from interpreta.privacy.rights.subjects import Found, Part, chunks, rows_in_part
from interpreta.privacy.vocabulary import Category


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
    """`value` as JSON can hold it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
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
        for links, columns, keys in rows_in_part(db, metadata, found, part):
            wanted = [
                c for c in columns if category is None or links.declaration(c).category is category
            ]
            if not wanted:
                continue
            selected = [links.key, *(links.table.columns[c] for c in wanted)]
            for batch in chunks(keys):
                statement = select(*selected).where(links.key.in_(batch)).order_by(links.key)
                for row in db.execute(statement):
                    for name, value in zip(wanted, row[1:], strict=True):
                        yield FieldValue(
                            links.table.name,
                            row[0],
                            name,
                            links.declaration(name),
                            plain(_open(db, links.table.name, name, row[0], value)),
                        )


def declarations_present(
    db: Session, metadata: MetaData, found: Found, parts: Iterable[Part]
) -> list[Personal]:
    """The declarations of the fields the report holds (for the Art. 15 context)."""
    result: list[Personal] = []
    for part in parts:
        for links, columns, _keys in rows_in_part(db, metadata, found, part):
            result.extend(links.declaration(c) for c in columns)
    return result


CSV_HEADER = ("table", "record", "field", "description", "value")


def _category_files(
    archive: zipfile.ZipFile,
    db: Session,
    metadata: MetaData,
    found: Found,
    parts: list[Part],
    category: Category,
) -> int:
    count = 0
    with archive.open(f"{category.value}.json", "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8")
        out.write('{"category": ' + json.dumps(category.label) + ', "values": [')
        for item in values(db, metadata, found, parts, category):
            document = {
                "table": item.table,
                "record": item.row,
                "field": item.column,
                "description": item.declaration.description,
                "value": item.value,
            }
            out.write(("," if count else "") + "\n" + json.dumps(document, ensure_ascii=False))
            count += 1
        out.write("\n]}\n")
        out.flush()
        out.detach()
    with archive.open(f"{category.value}.csv", "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for item in values(db, metadata, found, parts, category):
            value = "" if item.value is None else item.value
            writer.writerow(
                (item.table, item.row, item.column, item.declaration.description, value)
            )
        out.flush()
        out.detach()
    return count


def write_zip(
    target: IO[bytes],
    db: Session,
    metadata: MetaData,
    settings: Settings,
    found: Found,
    parts: Iterable[Part],
    *,
    generated_at: datetime,
) -> int:
    """Write the portable export (JSON and CSV per category, context, report) to
    `target`; returns how many values it holds."""
    chosen = sorted(set(parts), key=lambda p: p.label)
    total = 0
    present = declarations_present(db, metadata, found, chosen)
    used = {d.category for d in present}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for category in (c for c in Category if c in used):
            total += _category_files(archive, db, metadata, found, chosen, category)
        document = context(settings, present)
        document["generated_at"] = generated_at.isoformat()
        document["parts"] = [p.label for p in chosen]
        archive.writestr("context.json", json.dumps(document, indent=2, ensure_ascii=False))
        with archive.open("report.html", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            report.write_html(out, db, metadata, settings, found, chosen, generated_at)
            out.flush()
            out.detach()
    return total
