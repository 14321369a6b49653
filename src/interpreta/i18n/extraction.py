"""Message extraction for the Python sources: Babel's own, plus the data map's column
descriptions.

A personal column declares its plain-words name as an argument of ``personal(PROFILE,
"first name")`` (or ``description=``, or ``PROFILE.described("...")``): the privacy
notice shows it, translated, but Babel's Python extractor only knows gettext-like calls.
``babel.cfg`` maps every ``.py`` file to :func:`extract_python_and_declarations`, which
yields what Babel's extractor finds and then each literal description, at its line, so
``scripts/messages`` stays the one command and the template names where each comes from.
A description that is not a literal is not found: tests/i18n compares the template with
the live declarations.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any, cast

from babel.messages.extract import extract_python

DECLARING = {"personal": 1, "described": 0}
"""The calls that declare a column's description, with the description's position."""

Extracted = tuple[int, str | None, str | tuple[str, ...], list[str]]
"""What an extraction method yields: line, function name, message(s), comments."""


def declared_descriptions(source: bytes | str) -> Iterator[tuple[int, str]]:
    """Each literal, non-empty column description in `source`, with its line."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = (
            function.id
            if isinstance(function, ast.Name)
            else function.attr
            if isinstance(function, ast.Attribute)
            else None
        )
        if name not in DECLARING:
            continue
        position = DECLARING[name]
        found: ast.expr | None = node.args[position] if len(node.args) > position else None
        for keyword in node.keywords:
            if keyword.arg == "description":
                found = keyword.value
        if isinstance(found, ast.Constant) and isinstance(found.value, str) and found.value:
            yield found.lineno, found.value


def extract_python_and_declarations(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method: the gettext calls of a Python file, then its column
    descriptions (``[python_with_declarations: **.py]`` in ``babel.cfg``)."""
    source = fileobj.read()
    # Babel annotates extract_python with the shape extract() returns; it yields Extracted.
    found: Iterator[Any] = extract_python(
        io.BytesIO(source), keywords, comment_tags, cast(Any, options)
    )
    yield from found
    for line, description in declared_descriptions(source):
        yield line, None, description, []
