"""The message catalogues: read from the ``.po`` files once, used through ``gettext``.

Templates call ``_()`` / ``gettext`` / ``ngettext`` (Jinja's i18n extension, installed
by :func:`install`); Python code calls :func:`gettext`; page scripts get the messages
their files use as JSON (:func:`script_messages`) in the page, and ``t()`` from
``static/js/i18n.js``. A message missing from a catalogue shows in English.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from interpreta.i18n.locales import DEFAULT, SUPPORTED, current

FOLDER = Path(__file__).parent / "locale"
"""Where the catalogues are: ``locale/{code}/LC_MESSAGES/messages.po``."""

TEMPLATE = FOLDER / "messages.pot"
"""The template every catalogue translates (``scripts/messages`` extracts it)."""


def po_path(code: str) -> Path:
    """The catalogue file of a language."""
    return FOLDER / code / "LC_MESSAGES" / "messages.po"


@functools.cache
def catalog(code: str) -> Catalog:
    """A language's catalogue as Babel reads it."""
    with po_path(code).open("rb") as handle:
        return read_po(handle, locale=code)


@functools.cache
def translations(code: str) -> NullTranslations:
    """The gettext translations of a language (English: none, the source is English)."""
    if code == DEFAULT or code not in SUPPORTED or not po_path(code).exists():
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog(code))
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext(message: str, **values: Any) -> str:
    """`message` in the current language, with ``%(name)s`` placeholders filled."""
    text: str = translations(current()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural of a message in the current language (``%(num)s`` is n)."""
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


@functools.cache
def script_messages(code: str) -> dict[str, str]:
    """The translations of the messages the page scripts use (found in ``.js`` files)."""
    if code == DEFAULT or not po_path(code).exists():
        return {}
    found: dict[str, str] = {}
    for message in catalog(code):
        if not isinstance(message.id, str) or not message.id or not message.string:
            continue
        if any(path.endswith(".js") for path, _line in message.locations):
            found[message.id] = str(message.string)
    return found


def install(environment: Any) -> None:
    """Give a Jinja environment ``_()``, ``gettext`` and ``ngettext`` in the current
    language (Jinja's i18n extension, new-style: autoescaped, ``%(name)s`` filled)."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # the extension fills the placeholders itself
        lambda message: translations(current()).gettext(message),
        lambda singular, plural, n: translations(current()).ngettext(singular, plural, n),
        newstyle=True,
    )


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (module-level labels
    translated where they are shown)."""
    return message


class Translated(Mapping[str, str]):
    """Labels kept in English, read in the current language (``labels.get(key)``)."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)

    def __getitem__(self, key: str) -> str:
        return gettext(self._labels[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)
