"""What every page's forms share, staff's and customers' alike: an optional field left
blank, and a refused form's status and message in the visitor's language."""

from __future__ import annotations

from pydantic import ValidationError

from interpreta.api.field_messages import message
from interpreta.errors import Problem

__all__ = ["given", "refusal"]


def given(value: str) -> str | None:
    """A form field as typed, or None when it was left blank (an optional field)."""
    return value if value.strip() else None


def refusal(error: Problem | ValidationError) -> tuple[int, str]:
    """The status and the message, in the visitor's language, of a refused form: a
    problem's own, or the first of pydantic's errors with the field it is about."""
    if isinstance(error, Problem):
        text = error.detail or (error.errors[0].message if error.errors else error.title)
        return error.status, text
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ()))
    text = message(first)  # type: ignore[arg-type]
    return 422, f"{field}: {text}" if field else text
