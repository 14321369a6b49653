"""A person's access export and erasure, answered in full (every part), for the tests."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from interpreta.db.engine import checkpoint
from interpreta.platform import Platform
from interpreta.privacy.rights import access, erase
from interpreta.privacy.rights.subjects import CONTROLLER, Identity, find, parts
from interpreta.schema import all_metadata
from tests.privacy.rights.seed import Person


def exported(platform: Platform, person: Person) -> tuple[list[Any], bytes]:
    """Every value of `person`'s access export (every part), and the archive."""
    md = all_metadata()
    with platform.sessions() as db:
        found = find(db, md, Identity.of(user_id=person.user_id, email=person.email))
        everything = parts(db, md, found) | {CONTROLLER}
        buffer = io.BytesIO()
        access.write_zip(
            buffer, db, md, platform.settings, found, everything, generated_at=platform.clock.now()
        )
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    values: list[Any] = []
    for name in archive.namelist():
        if name.endswith(".json") and name != "context.json":
            values += [v["value"] for v in json.loads(archive.read(name))["values"]]
    return values, buffer.getvalue()


def erased(platform: Platform, person: Person) -> list[dict[str, Any]]:
    """Erase `person` in every part; the reports."""
    md = all_metadata()
    reports = []
    with platform.transaction() as db:
        found = find(db, md, Identity.of(user_id=person.user_id, email=person.email))
        for part in sorted(parts(db, md, found) | {CONTROLLER}, key=lambda p: p.label):
            reports.append(erase.erase(db, md, found, part).as_dict())
    checkpoint(platform.engine)
    return reports
