"""The catalogues: complete in every language, current with the sources, and every
visible text of the templates marked for translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from interpreta.i18n import catalogues, locales

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src/interpreta/web/templates"
TRANSLATED = [code for code in locales.SUPPORTED if code != locales.DEFAULT]


def _template_ids() -> set[str]:
    with catalogues.TEMPLATE.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    catalog = catalogues.catalog(code)
    wanted = _template_ids()
    missing, fuzzy, empty = [], [], []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        wanted.discard(key)
        if message.fuzzy:
            fuzzy.append(key)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            empty.append(key)
    missing = sorted(wanted)
    assert (missing, fuzzy, empty) == ([], [], []), f"{code}: missing, fuzzy, empty"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_survive_translation(code: str) -> None:
    pattern = re.compile(r"%\((\w+)\)s")
    for message in catalogues.catalog(code):
        if not message.id or not isinstance(message.id, str):
            continue
        assert set(pattern.findall(str(message.string))) == set(pattern.findall(message.id)), (
            code,
            message.id,
        )


def test_the_catalogue_template_is_current_with_the_sources(tmp_path: Path) -> None:
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--add-location=file",
            "-o",
            str(extracted),
            str(ROOT / "src/interpreta"),
        ],
        check=True,
        capture_output=True,
    )
    with extracted.open("rb") as handle:
        now = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert now == _template_ids(), "run scripts/messages and translate the new messages"


VISIBLE_ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
CODE = re.compile(r"<(script|style)\b.*?</\1>", re.S)
JINJA = "\x00"
"""Stands for an expression, a statement or a whole trans block in the rebuilt text."""
WORDLESS = re.compile(r"^[\W\d_\x00]*$")


def _unmarked(source: str) -> list[str]:
    """Visible text outside ``{% trans %}``, ``_()`` and expressions: text between tags,
    and the values of aria-label, title, placeholder and alt."""
    rebuilt = []
    inside_trans = 0
    previous = ""
    for _line, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source):
        if kind == "name" and previous == "block_begin":
            if value == "trans":
                inside_trans += 1
            elif value == "endtrans":
                inside_trans -= 1
        if kind != "whitespace":
            previous = kind
        rebuilt.append(value if kind == "data" and not inside_trans else JINJA)
    text = CODE.sub(JINJA, "".join(rebuilt))
    found = [v.strip() for v in VISIBLE_ATTRIBUTES.findall(text) if not WORDLESS.match(v.strip())]
    between = ENTITY.sub(" ", TAG.sub(JINJA, text))
    for piece in re.split(r"[\x00\n]|\s{2,}", between):
        if not WORDLESS.match(piece.strip()):
            found.append(piece.strip())
    return found


@pytest.mark.parametrize(
    "template",
    sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")),
)
def test_every_visible_text_of_a_template_is_marked_for_translation(template: str) -> None:
    assert _unmarked((TEMPLATES / template).read_text()) == []


def test_the_unmarked_text_check_finds_plain_text() -> None:
    sample = '<p>Hello <b>world</b></p><a aria-label="Go" href="{{ url }}">{{ _("x") }}</a>'
    assert _unmarked(sample) == ["Go", "Hello", "world"]
    marked = "<p title=\"{{ _('t') }}\">{% trans n=1 %}Hello {{ n }}{% endtrans %} · {{ x }}</p>"
    assert _unmarked(marked) == []
