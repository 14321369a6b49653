"""Rectification (Art. 16) with notice to recipients (Art. 19).

A correction names a field of one of the person's rows (``table``, ``column``,
``record``); only covered personal text fields in the handler's part may be
changed. Each correction is written through the ORM (so encrypted fields stay
encrypted) and the recipients of the field's category in the processor register,
plus the event organiser for processor-scope data, are listed in the outcome and
told through the outbound guard (:mod:`interpreta.privacy.rights.recipients`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, String, Text
from sqlalchemy.orm import Session

from interpreta.config import Settings
from interpreta.datamap.activities import PRIVACY_REQUESTS
from interpreta.datamap.ties import Tie, tie_of
from interpreta.datamap.vocabulary import Scope
from interpreta.errors import invalid
from interpreta.i18n.catalogues import gettext
from interpreta.privacy.crypto import EncryptedText
from interpreta.privacy.processing import runs_in
from interpreta.privacy.rights.recipients import listed
from interpreta.privacy.rights.subjects import (
    Found,
    Part,
    mapped_class,
    normalise_email,
    rows_in_part,
)


@dataclass(frozen=True)
class Correction:
    """A new value for one field of one record."""

    table: str
    column: str
    record: int
    value: str | None


def _editable(column: Any) -> bool:
    tie = tie_of(column)
    if tie is not None and tie.kind is not Tie.EMAIL:
        return False
    if column.primary_key or column.foreign_keys:
        return False
    return isinstance(column.type, String | Text | EncryptedText)


@runs_in(PRIVACY_REQUESTS)
def rectify(
    db: Session,
    metadata: MetaData,
    settings: Settings,
    found: Found,
    part: Part,
    corrections: list[Correction],
    *,
    now: datetime,
) -> dict[str, Any]:
    """Apply `corrections` to the person's rows in `part`; the outcome (no values) lists
    the fields changed and the recipients notified under Art. 19."""
    allowed: dict[tuple[str, str], set[int]] = {}
    declarations = {}
    for ties, columns, keys in rows_in_part(db, metadata, found, part):
        for name in columns:
            if _editable(ties.table.columns[name]):
                allowed[(ties.table.name, name)] = set(keys)
                declarations[(ties.table.name, name)] = ties.declaration(name)
    changed: list[dict[str, Any]] = []
    categories = set()
    for correction in corrections:
        where = (correction.table, correction.column)
        if correction.record not in allowed.get(where, set()):
            raise invalid(
                "corrections",
                gettext(
                    "%(field)s cannot be corrected here.",
                    field=".".join((correction.table, correction.column)),
                ),
            )
        column = metadata.tables[correction.table].columns[correction.column]
        value = correction.value
        if value is not None and tie_of(column) is not None:
            value = normalise_email(value)
        if value is None and not column.nullable:
            raise invalid(
                "corrections", gettext("%(field)s cannot be empty.", field=correction.column)
            )
        model = mapped_class(metadata, column.table)
        row = db.get(model, correction.record)
        attribute = model.__mapper__.get_property_by_column(column).key
        setattr(row, attribute, value)
        declaration = declarations[where]
        categories.add(declaration.category)
        changed.append(
            {
                "table": correction.table,
                "field": declaration.description,
                "record": correction.record,
            }
        )
    db.flush()
    fields = [c["field"] for c in changed]
    notified = listed(settings, categories, found.identity.emails, fields)
    if part.scope is Scope.PROCESSOR:  # the customer answered this part itself
        notified.append(
            {
                "recipient": f"the event organiser (customer {part.organisation_id})",
                "status": "answered",
            }
        )
    return {"rectified": changed, "notified": notified, "at": now.isoformat()}
