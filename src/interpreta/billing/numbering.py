"""Invoice numbers: one gapless series a year (``2026-00001``, ``2026-00002`` ...).

The number is taken in the transaction that stores the document, by raising the year's
counter in place (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``). A second
transaction issuing at the same time waits for the first's row lock (PostgreSQL) or
write lock (SQLite) and then reads the number after it; a transaction that fails rolls
its number back with everything else, so no number is ever skipped or used twice.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from interpreta.billing.models import InvoiceCounter

__all__ = ["format_number", "next_number"]


def format_number(year: int, serial: int) -> str:
    """The printed number of the `serial`-th document of `year`."""
    return f"{year}-{serial:05d}"


def next_number(db: Session, year: int) -> str:
    """Take the next number of `year`'s series, in `db`'s transaction."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    table = InvoiceCounter.__table__
    statement = (
        dialect.insert(table)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    serial = db.execute(statement).scalar_one()
    return format_number(year, int(serial))
