"""Access (Art. 15) and portability (Art. 20): a person's data, read through the data map.

:func:`~interpreta.privacy.rights.stored.values` streams every covered personal
field of the person's rows in the requested parts, batch by batch;
:func:`write_zip` writes them as one JSON and one
CSV file per category plus the Art. 15 context and the readable report, without
holding more than a batch in memory.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import IO

from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.vocabulary import Category
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights import report
from interpreta.privacy.rights.context import context
from interpreta.privacy.rights.stored import declarations_present, values
from interpreta.privacy.rights.subjects import Found, Part

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


@runs_in(PRIVACY_REQUESTS)
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
