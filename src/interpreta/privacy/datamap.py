"""The data map: one declaration per stored column, beside the column itself.

Every column of every model carries, in its SQLAlchemy ``info``, either a
:class:`Personal` declaration (category, data subject, purposes, legal basis,
retention rule, scope, confidentiality) or a :class:`NotPersonal` one saying why
it cannot identify anyone. :func:`data_map` collects them from the metadata, and
:func:`problems` lists every column that is undeclared or declared with words
outside the vocabulary. Retention, data-subject requests, encryption, the notice
and the records of processing read this map; none keeps its own list of fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, MetaData, Table

from interpreta.privacy.retention_rules import RULES, AnyRule
from interpreta.privacy.vocabulary import Category, LegalBasis, Purpose, Scope, Subject

INFO_KEY = "privacy"
LINK_KEY = "privacy_link"


class LinkKind(StrEnum):
    """How a column ties its row to a data subject (read by the rights engine)."""

    ACCOUNT = "account"
    """The column holds a user ID (``users.id`` or a reference to it)."""
    EMAIL = "email"
    """The column holds a person's email address."""
    EMAIL_DIGEST = "email_digest"
    """The column holds the SHA-256 of a normalised email address."""
    OWNER = "owner"
    """A foreign key: the row belongs to whoever the referenced row belongs to."""
    CUSTOMER = "customer"
    """A foreign key leading to the customer whose processor-scope data the row is (P01)."""


@dataclass(frozen=True)
class SubjectLink:
    """How a table's rows link to a data subject, declared on one of its columns.

    ``covers`` names the columns that are about the linked person; empty means
    every personal column of the row (a shared row such as an organisation
    covers only its billing contact's columns).
    """

    kind: LinkKind
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Personal:
    """A column that can hold personal data, and everything the law asks about it."""

    category: Category
    subject: Subject
    purposes: tuple[Purpose, ...]
    basis: LegalBasis
    retention: AnyRule
    scope: Scope
    confidential: bool = False
    description: str = ""

    def described(self, description: str, **changes: Any) -> Personal:
        """This declaration for one column: its plain-words name, and any changes."""
        return replace(self, description=description, **changes)


@dataclass(frozen=True)
class NotPersonal:
    """A column that cannot identify a person, with the reason why."""

    reason: str


Declaration = Personal | NotPersonal


def personal(
    profile: Personal, description: str, *, link: SubjectLink | None = None, **changes: Any
) -> dict[str, Any]:
    """Column ``info`` declaring personal data from a shared profile.

    ``mapped_column(String, info=personal(PARTICIPANT_IDENTITY, "first name"))``;
    ``link`` says how the column ties its row to a data subject.
    """
    info: dict[str, Any] = {INFO_KEY: profile.described(description, **changes)}
    if link is not None:
        info[LINK_KEY] = link
    return info


def not_personal(reason: str, *, link: SubjectLink | None = None) -> dict[str, Any]:
    """Column ``info`` declaring a column that holds no personal data."""
    info: dict[str, Any] = {INFO_KEY: NotPersonal(reason)}
    if link is not None:
        info[LINK_KEY] = link
    return info


def links(kind: LinkKind, *covers: str) -> SubjectLink:
    """A subject link: ``personal(..., link=links(LinkKind.EMAIL))``."""
    return SubjectLink(kind, tuple(covers))


def link_of(column: Column[Any]) -> SubjectLink | None:
    """The subject link declared on `column`, or None."""
    value = column.info.get(LINK_KEY)
    return value if isinstance(value, SubjectLink) else None


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
    """Everything wrong with the map: undeclared columns, unknown words, empty lists."""
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
