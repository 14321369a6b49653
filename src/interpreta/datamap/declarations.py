"""Declarations: what each stored column is, beside the column itself.

Every column of every model carries, in its SQLAlchemy ``info``, either a
:class:`Personal` declaration (category, data subject, purposes, legal basis,
retention rule, scope, confidentiality, free text) or a :class:`NotPersonal` one
saying why it cannot identify anyone, and optionally a tie
(:mod:`interpreta.datamap.ties`). :func:`fields` collects them from the
metadata, and :func:`problems` lists every column that is undeclared or declared
with words outside the vocabulary. Retention, data-subject requests, encryption,
the notice and the records of processing read this map; none keeps its own list
of fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Column, MetaData, Table

from interpreta.datamap.retention_rules import RULES, AnyRule
from interpreta.datamap.ties import TIE_KEY, Tie, TieDeclaration, as_declaration
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject

INFO_KEY = "privacy"


@dataclass(frozen=True)
class Personal:
    """A column that can hold personal data, and everything the law asks about it.

    ``free_text`` marks text people write (chat, request details, reasons): it may
    name other people, so erasure searches it for a person's identifiers.
    """

    category: Category
    subject: Subject
    purposes: tuple[Purpose, ...]
    basis: LegalBasis
    retention: AnyRule
    scope: Scope
    confidential: bool = False
    description: str = ""
    free_text: bool = False

    def described(self, description: str, **changes: Any) -> Personal:
        """This declaration for one column: its plain-words name, and any changes."""
        return replace(self, description=description, **changes)


@dataclass(frozen=True)
class NotPersonal:
    """A column that cannot identify a person, with the reason why.

    ``free_text`` marks public text an organiser writes (an event's title or
    description): not about a person, but it may mention one.
    """

    reason: str
    free_text: bool = False


Declaration = Personal | NotPersonal


def _info(declaration: Declaration, tie: Tie | TieDeclaration | None) -> dict[str, Any]:
    info: dict[str, Any] = {INFO_KEY: declaration}
    if tie is not None:
        info[TIE_KEY] = as_declaration(tie)
    return info


def personal(
    profile: Personal,
    description: str,
    *,
    tie: Tie | TieDeclaration | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """Column ``info`` declaring personal data from a shared profile.

    ``mapped_column(String, info=personal(PARTICIPATION, "first name"))``; ``tie``
    says what the column ties its row to (a person, an event, an organisation).
    """
    return _info(profile.described(description, **changes), tie)


def not_personal(
    reason: str, *, tie: Tie | TieDeclaration | None = None, free_text: bool = False
) -> dict[str, Any]:
    """Column ``info`` declaring a column that holds no personal data."""
    return _info(NotPersonal(reason, free_text), tie)


@dataclass(frozen=True)
class Field:
    """One entry of the data map: a table column and its declaration."""

    table: str
    column: str
    declaration: Declaration | None

    @property
    def is_personal(self) -> bool:
        """Whether the column is declared as personal data."""
        return isinstance(self.declaration, Personal)


def declaration_of(column: Column[Any]) -> Declaration | None:
    """The declaration attached to `column`, or None when it has none."""
    value = column.info.get(INFO_KEY)
    return value if isinstance(value, Personal | NotPersonal) else None


def is_free_text(column: Column[Any]) -> bool:
    """Whether `column` is declared as free text that may mention people."""
    declaration = declaration_of(column)
    return declaration is not None and declaration.free_text


def fields(metadata: MetaData) -> Iterator[Field]:
    """Every column of every table, in a stable order."""
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            yield Field(table.name, column.name, declaration_of(column))


def personal_fields(metadata: MetaData) -> list[tuple[Field, Personal]]:
    """The columns declared personal, with their declarations."""
    return [
        (field, field.declaration)
        for field in fields(metadata)
        if isinstance(field.declaration, Personal)
    ]


def confidential_columns(table: Table) -> list[str]:
    """Names of `table`'s columns the map marks confidential (to be encrypted)."""
    return [
        c.name
        for c in table.columns
        if isinstance(d := declaration_of(c), Personal) and d.confidential
    ]


def problems(metadata: MetaData) -> list[str]:
    """Everything wrong with the declarations: undeclared columns, unknown words."""
    found: list[str] = []
    for field in fields(metadata):
        where = f"{field.table}.{field.column}"
        declaration = field.declaration
        if declaration is None:
            found.append(f"{where}: not declared in the data map")
            continue
        if isinstance(declaration, NotPersonal):
            if not declaration.reason.strip():
                found.append(f"{where}: 'not personal' needs a reason")
            continue
        checks = (
            (declaration.category, Category, "category"),
            (declaration.subject, Subject, "data subject"),
            (declaration.basis, LegalBasis, "legal basis"),
            (declaration.scope, Scope, "scope"),
        )
        for value, vocabulary, what in checks:
            if not isinstance(value, vocabulary):
                found.append(f"{where}: unknown {what} {value!r}")
        if not declaration.purposes:
            found.append(f"{where}: no purpose declared")
        for purpose in declaration.purposes:
            if not isinstance(purpose, Purpose):
                found.append(f"{where}: unknown purpose {purpose!r}")
        if RULES.get(getattr(declaration.retention, "key", "")) != declaration.retention:
            found.append(f"{where}: unknown retention rule {declaration.retention!r}")
        if not declaration.description:
            found.append(f"{where}: personal field without a description")
    return found
