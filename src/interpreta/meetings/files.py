"""Files shared in an event: a size limit, a list of types, and the content checked
against the type its name claims.

The content is stored encrypted (:class:`~interpreta.meetings.models.SharedFile`) and
served only to participants connected to the event, always as a download (never
rendered in the platform's own origin), with the type it was checked to be.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, defer

from interpreta.datamap.activities import SHARING
from interpreta.meetings.models import SharedFile
from interpreta.meetings.people import ContentRefused, Person, named
from interpreta.privacy.processing import runs_in

NAME_LIMIT = 200


def _text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


@dataclass(frozen=True)
class FileType:
    """A type of file that may be shared: its media type and how its content looks."""

    media_type: str
    looks_right: Callable[[bytes], bool]


TYPES: dict[str, FileType] = {
    ".pdf": FileType("application/pdf", lambda d: d.startswith(b"%PDF-")),
    ".png": FileType("image/png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": FileType("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".jpeg": FileType("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    ".gif": FileType("image/gif", lambda d: d[:6] in (b"GIF87a", b"GIF89a")),
    ".webp": FileType("image/webp", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP"),
    ".txt": FileType("text/plain; charset=utf-8", _text),
    ".csv": FileType("text/csv; charset=utf-8", _text),
    ".docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip
    ),
    ".xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip),
    ".pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", _zip
    ),
    ".odt": FileType("application/vnd.oasis.opendocument.text", _zip),
    ".ods": FileType("application/vnd.oasis.opendocument.spreadsheet", _zip),
    ".odp": FileType("application/vnd.oasis.opendocument.presentation", _zip),
}
"""The file types that may be shared, by extension: documents, slides and images."""


def clean_name(name: object) -> str:
    """The file's own name (no folders), refused when empty, too long, holding control
    characters or of a type that may not be shared."""
    if not isinstance(name, str):
        raise ContentRefused("bad_request", "The file needs a name.")
    base = PureWindowsPath(PurePosixPath(name).name).name.strip()
    base = unicodedata.normalize("NFC", base)
    if not base or base in (".", ".."):
        raise ContentRefused("bad_request", "The file needs a name.")
    if len(base) > NAME_LIMIT:
        raise ContentRefused("too_long", f"The file name is longer than {NAME_LIMIT} characters.")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in base):
        raise ContentRefused("bad_request", "The file name holds control characters.")
    if PurePosixPath(base).suffix.lower() not in TYPES:
        allowed = ", ".join(sorted(TYPES))
        raise ContentRefused("file_type", f"Files of this type cannot be shared ({allowed}).")
    return base


@runs_in(SHARING)
def share(
    db: Session,
    event_id: int,
    author: Person,
    name: object,
    data: bytes,
    *,
    max_bytes: int,
    now: Any,
) -> dict[str, Any]:
    """Store a file and return it as listed (without its content)."""
    base = clean_name(name)
    if not data:
        raise ContentRefused("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise ContentRefused(
            "too_large", f"Files up to {max_bytes // (1024 * 1024)} MB can be shared."
        )
    kind = TYPES[PurePosixPath(base).suffix.lower()]
    if not kind.looks_right(data):
        raise ContentRefused("file_type", "The file's content does not match its type.")
    shared = SharedFile(
        event_id=event_id,
        author_id=author.participant_id,
        name=base,
        media_type=kind.media_type,
        size=len(data),
        content=base64.b64encode(data).decode("ascii"),
        shared_at=now,
    )
    db.add(shared)
    db.flush()
    return _listed(shared, author.name, author.key)


def _listed(shared: SharedFile, author: str, author_key: str | None) -> dict[str, Any]:
    return {
        "id": shared.id,
        "name": shared.name,
        "media_type": shared.media_type,
        "size": shared.size,
        "from": author,
        "from_key": author_key,
        "shared_at": shared.shared_at.isoformat(),
    }


@runs_in(SHARING)
def listed(db: Session, event_id: int) -> list[dict[str, Any]]:
    """The event's files, oldest first, without their content."""
    rows = db.scalars(
        select(SharedFile)
        .options(defer(SharedFile.content))  # the list needs no content
        .where(SharedFile.event_id == event_id)
        .order_by(SharedFile.id)
    ).all()
    names = named(db, [r.author_id for r in rows])
    found = []
    for row in rows:
        author = names.get(row.author_id or 0)
        if author is None:
            found.append(_listed(row, "Former participant", None))
        else:
            found.append(_listed(row, author.name, author.key))
    return found


@runs_in(SHARING)
def content(db: Session, event_id: int, file_id: int) -> tuple[str, str, bytes]:
    """A file's name, media type and content."""
    shared = db.scalar(
        select(SharedFile).where(SharedFile.id == file_id, SharedFile.event_id == event_id)
    )
    if shared is None:
        raise ContentRefused("not_found", "There is no such file in this event.")
    return shared.name, shared.media_type, base64.b64decode(shared.content)


@runs_in(SHARING)
def remove(db: Session, event_id: int, file_id: object, by: Person) -> int:
    """Delete a file: its author or a host; returns its ID."""
    if not isinstance(file_id, int) or isinstance(file_id, bool):
        raise ContentRefused("bad_request", "Name the file by its ID.")
    found = db.execute(
        select(SharedFile.author_id).where(
            SharedFile.id == file_id, SharedFile.event_id == event_id
        )
    ).one_or_none()
    if found is None:
        raise ContentRefused("not_found", "There is no such file in this event.")
    author_id = found[0]
    if not by.host and author_id != by.participant_id:
        raise ContentRefused("forbidden", "Only its author or a host can remove a file.")
    db.execute(delete(SharedFile).where(SharedFile.id == file_id))
    return file_id
