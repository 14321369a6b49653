"""Errors the platform reports to people, rendered as RFC 9457 problem details.

Actions raise these; the web layer turns them into ``application/problem+json``
responses and the CLI into a message and a non-zero exit. Titles, details and field
messages are in the current request's language, translated where the problem is raised
(``gettext``): the helpers below translate their own words, callers pass theirs translated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from interpreta.i18n.catalogues import gettext


@dataclass
class FieldError:
    """What is wrong with one input field."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form used in problem bodies."""
        return {"field": self.field, "message": self.message}


@dataclass
class Problem(Exception):
    """A failure to report: an HTTP status, a short title and details."""

    status: int
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    type: str = "about:blank"
    headers: dict[str, str] = field(default_factory=dict)
    """HTTP headers the response carries (``Retry-After`` on a 429)."""

    def __str__(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json document."""
        document: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            document["detail"] = self.detail
        if instance:
            document["instance"] = instance
        if self.errors:
            document["errors"] = [e.as_dict() for e in self.errors]
        return document


def not_found(what: str) -> Problem:
    """The thing does not exist, or the caller may not know that it does. `what` is a
    noun marked with ``N_`` (``not_found(N_("event"))``), translated here."""
    return Problem(404, gettext("Not found"), gettext("No such %(what)s.", what=gettext(what)))


def forbidden(detail: str) -> Problem:
    """The caller is known but not allowed to do this (`detail` already translated)."""
    return Problem(403, gettext("Forbidden"), detail)


def conflict(detail: str, field_name: str | None = None) -> Problem:
    """The request clashes with existing state (`detail` already translated)."""
    errors = [FieldError(field_name, detail)] if field_name else []
    return Problem(409, gettext("Conflict"), detail, errors)


def invalid(field_name: str, message: str) -> Problem:
    """One input field is wrong in a way the schema could not say (`message` already
    translated)."""
    return Problem(422, gettext("Invalid input"), message, [FieldError(field_name, message)])


def filled(field_name: str, value: str) -> str:
    """`value` without surrounding blanks: a 422 for `field_name` when nothing is left
    (the schema's ``min_length`` lets a text of spaces through)."""
    stripped = value.strip()
    if not stripped:
        raise invalid(field_name, gettext("This field cannot be empty."))
    return stripped


def unauthenticated() -> Problem:
    """The caller must sign in first."""
    return Problem(401, gettext("Sign-in required"), gettext("Sign in to do this."))
