"""An event's glossary: the terms its booths share, search, import and export.

Terms are encrypted at rest (meeting content), so searching happens after decryption,
in Python: a glossary holds at most :data:`MAX_TERMS` entries, which is fast enough.
Matching ignores case and accents ("Energiewende" finds "energiewende", "cafe" finds
"café").
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from interpreta.booths.models import GlossaryTerm
from interpreta.booths.spreadsheet import read_cell, written_cell
from interpreta.datamap.activities import GLOSSARY
from interpreta.privacy.processing import runs_in

__all__ = [
    "LANGUAGE_TAG",
    "MAX_TERMS",
    "GlossaryError",
    "TermIn",
    "add",
    "as_csv",
    "change",
    "from_csv",
    "remove",
    "search",
    "to_document",
]

MAX_TERMS = 5000
"""Entries one event's glossary may hold."""

MAX_TERM = 200
"""Characters of a term or an equivalent."""

MAX_NOTE = 1000
"""Characters of a note."""

LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
"""What a glossary's language is written as: a BCP 47 tag such as ``en`` or ``pt-BR``."""

_LANGUAGE = re.compile(LANGUAGE_TAG)
_COLUMNS = ("source_language", "term", "target_language", "equivalent", "note")


class GlossaryError(ValueError):
    """A glossary entry or file that cannot be taken (the message says why)."""


@dataclass(frozen=True)
class TermIn:
    """A term as someone typed or imported it, checked by :meth:`checked`."""

    source_language: str
    term: str
    target_language: str
    equivalent: str
    note: str | None = None

    def checked(self) -> TermIn:
        """The entry with spaces trimmed; raises :class:`GlossaryError` when it is wrong."""
        term, equivalent = self.term.strip(), self.equivalent.strip()
        note = (self.note or "").strip() or None
        for language in (self.source_language, self.target_language):
            if not _LANGUAGE.match(language):
                raise GlossaryError(f"{language!r} is not a language tag such as 'en' or 'de'.")
        if not term or not equivalent:
            raise GlossaryError("A glossary entry needs a term and its equivalent.")
        if len(term) > MAX_TERM or len(equivalent) > MAX_TERM:
            raise GlossaryError(f"A term or equivalent has at most {MAX_TERM} characters.")
        if note is not None and len(note) > MAX_NOTE:
            raise GlossaryError(f"A note has at most {MAX_NOTE} characters.")
        return TermIn(self.source_language, term, self.target_language, equivalent, note)


def _count(db: Session, event_id: int) -> int:
    return db.scalar(select(func.count()).where(GlossaryTerm.event_id == event_id)) or 0


@runs_in(GLOSSARY)
def add(
    db: Session, event_id: int, entries: list[TermIn], author_id: int | None, now: datetime
) -> list[GlossaryTerm]:
    """Add checked entries to the event's glossary (all or none)."""
    checked = [entry.checked() for entry in entries]
    if _count(db, event_id) + len(checked) > MAX_TERMS:
        raise GlossaryError(f"A glossary holds at most {MAX_TERMS} entries.")
    rows = [
        GlossaryTerm(
            event_id=event_id,
            source_language=e.source_language,
            term=e.term,
            target_language=e.target_language,
            equivalent=e.equivalent,
            note=e.note,
            author_id=author_id,
            changed_at=now,
        )
        for e in checked
    ]
    db.add_all(rows)
    db.flush()
    return rows


@runs_in(GLOSSARY)
def change(
    db: Session, event_id: int, term_id: int, entry: TermIn, author_id: int | None, now: datetime
) -> GlossaryTerm | None:
    """Replace one entry (None: no such entry in this event)."""
    row = db.get(GlossaryTerm, term_id)
    if row is None or row.event_id != event_id:
        return None
    e = entry.checked()
    row.source_language, row.term = e.source_language, e.term
    row.target_language, row.equivalent, row.note = e.target_language, e.equivalent, e.note
    row.author_id, row.changed_at = author_id, now
    return row


@runs_in(GLOSSARY)
def remove(db: Session, event_id: int, term_id: int) -> bool:
    """Delete one entry; whether it was there."""
    row = db.get(GlossaryTerm, term_id)
    if row is None or row.event_id != event_id:
        return False
    db.delete(row)
    return True


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@runs_in(GLOSSARY)
def search(
    db: Session, event_id: int, query: str = "", language: str | None = None
) -> list[GlossaryTerm]:
    """The entries whose term, equivalent or note contains `query` (all when empty), in
    `language` on either side if given; exact matches of the term first, then by term."""
    rows = db.scalars(select(GlossaryTerm).where(GlossaryTerm.event_id == event_id)).all()
    wanted = _folded(query.strip())
    found = []
    for row in rows:
        if language and language not in (row.source_language, row.target_language):
            continue
        fields = [_folded(row.term), _folded(row.equivalent), _folded(row.note or "")]
        if wanted and not any(wanted in f for f in fields):
            continue
        found.append((wanted not in fields[:2], _folded(row.term), row.id, row))
    return [row for *_, row in sorted(found, key=lambda f: f[:3])]


def to_document(row: GlossaryTerm) -> dict[str, Any]:
    """An entry as JSON-ready data."""
    return {
        "id": row.id,
        "source_language": row.source_language,
        "term": row.term,
        "target_language": row.target_language,
        "equivalent": row.equivalent,
        "note": row.note,
        "changed_at": row.changed_at.isoformat(),
    }


def as_csv(rows: list[GlossaryTerm]) -> str:
    """The entries as CSV, the columns :func:`from_csv` reads back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_COLUMNS)
    for row in rows:
        cells = [row.source_language, row.term, row.target_language, row.equivalent, row.note]
        writer.writerow([written_cell(c or "") for c in cells])
    return out.getvalue()


def from_csv(text: str) -> list[TermIn]:
    """Entries from a CSV or tab-separated file with the header of :func:`as_csv`
    (``note`` may be left out); every line is checked, and the first wrong one is named."""
    sample = text[:2048]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=dialect)
    missing = set(_COLUMNS[:4]) - set(reader.fieldnames or ())
    if missing:
        raise GlossaryError(
            "The file's first line must name the columns "
            + ", ".join(_COLUMNS)
            + f" (missing: {', '.join(sorted(missing))})."
        )
    entries = []
    for number, line in enumerate(reader, start=2):
        entry = TermIn(
            (line.get("source_language") or "").strip(),
            read_cell(line.get("term") or ""),
            (line.get("target_language") or "").strip(),
            read_cell(line.get("equivalent") or ""),
            read_cell(line.get("note") or "") or None,
        )
        try:
            entries.append(entry.checked())
        except GlossaryError as exc:
            raise GlossaryError(f"Line {number}: {exc}") from exc
    if len(entries) > MAX_TERMS:
        raise GlossaryError(f"A glossary holds at most {MAX_TERMS} entries.")
    return entries
