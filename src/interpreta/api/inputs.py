"""What the API accepts: row IDs the database can hold, text without control characters.

Bad input gets a 422 problem document, never a 500: a number beyond the
database's integer range once reached the driver and failed there, and a NUL
byte in a name was stored and broke what later rendered it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from interpreta.i18n.catalogues import gettext

MAX_ROW_ID = 2**31 - 1
"""The largest key a row can have (PostgreSQL's INTEGER; SQLite's is larger)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""A row ID in a path: out of range is a 422, not a database error."""

RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
"""A row ID in a request body."""

Day = Annotated[
    date,
    Field(
        ge=date(2000, 1, 1),
        le=date(2099, 12, 31),
        description="YYYY-MM-DD, from 2000 to 2099",
    ),
]
"""A calendar day in a request body, this century (a day like 9999-12-31 once overflowed
a term's end; a bare number read as Unix time was stored as 1970-01-01)."""

_ALLOWED_CONTROLS = frozenset("\t\n\r")


def control_character(text: str) -> str | None:
    """The first control character in `text` other than tab and line breaks, if any."""
    for character in text:
        code = ord(character)
        if (code < 0x20 or 0x7F <= code < 0xA0) and character not in _ALLOWED_CONTROLS:
            return character
    return None


NO_CONTROLS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
"""The JSON Schema pattern of text without control characters (tab and line breaks
allowed), so the OpenAPI document says what is refused."""


def _document_text(schema: dict[str, Any]) -> None:
    for field in schema.get("properties", {}).values():
        for kind in (field, *field.get("anyOf", [])):
            if kind.get("type") == "string" and "pattern" not in kind and "format" not in kind:
                kind["pattern"] = NO_CONTROLS


class Input(BaseModel):
    """A request body: every text field is refused when it holds a control character
    (NUL, escape...), so none is ever stored."""

    model_config = ConfigDict(json_schema_extra=_document_text)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and control_character(text) is not None:
                raise ValueError(gettext("Control characters (such as NUL) are not allowed."))
        return value
