"""The storage inventory (P05): names match as declared, and every page script keeps
what it keeps through the one module that reads the inventory."""

from __future__ import annotations

import re
from pathlib import Path

from interpreta.datamap.storage import INVENTORY, StorageKind, declared
from interpreta.visitors.choices import COOKIE as CONSENT_COOKIE

SCRIPTS = Path(__file__).resolve().parents[2] / "src/interpreta/web/static/js"


def test_placeholders_stand_for_one_part_of_a_key() -> None:
    assert declared(StorageKind.SESSION, "interpreta.participant.listener.ABC2345")
    assert declared(StorageKind.LOCAL, "interpreta.console.tone.ABC2345.17")
    assert declared(StorageKind.SESSION, "interpreta.participant.listener") is None
    assert declared(StorageKind.SESSION, "interpreta.participant.a.b.c") is None
    assert declared(StorageKind.LOCAL, "interpreta.participant.listener.ABC2345") is None
    assert declared(StorageKind.COOKIE, "interpreta_sessionX") is None


def test_every_item_is_declared_once_with_its_words() -> None:
    names = [(item.kind, item.name) for item in INVENTORY]
    assert len(names) == len(set(names))
    assert all(item.purpose and item.lifetime for item in INVENTORY)
    cookies = {item.name for item in INVENTORY if item.kind is StorageKind.COOKIE}
    assert {"interpreta_session", "interpreta_lang", CONSENT_COOKIE} == cookies


def test_no_script_but_storage_js_touches_the_browsers_storage() -> None:
    direct = re.compile(r"\b(localStorage|sessionStorage|document\.cookie)\b")
    offenders = []
    for script in sorted(SCRIPTS.rglob("*.js")):
        if script.name == "storage.js":
            continue
        code = "\n".join(
            line for line in script.read_text().splitlines() if not line.lstrip().startswith("//")
        )
        if direct.search(code):
            offenders.append(script.relative_to(SCRIPTS).as_posix())
    assert offenders == []
