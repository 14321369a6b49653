"""The data map summarised by scope and category: what the notice and RoPA describe."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import MetaData

from interpreta.datamap.declarations import personal_fields
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject


@dataclass
class CategoryUse:
    """Everything declared about one data category within one scope."""

    scope: Scope
    category: Category
    fields: list[str] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    purposes: list[Purpose] = field(default_factory=list)
    bases: list[LegalBasis] = field(default_factory=list)
    retention: list[str] = field(default_factory=list)
    confidential: bool = False


def _add(items: list, value: object) -> None:  # type: ignore[type-arg]
    if value not in items:
        items.append(value)


def category_uses(metadata: MetaData) -> list[CategoryUse]:
    """One entry per (scope, category) the data map declares, in vocabulary order."""
    uses: dict[tuple[Scope, Category], CategoryUse] = {}
    for _field, declaration in personal_fields(metadata):
        key = (declaration.scope, declaration.category)
        use = uses.setdefault(key, CategoryUse(declaration.scope, declaration.category))
        _add(use.fields, declaration.description)
        _add(use.subjects, declaration.subject)
        for purpose in declaration.purposes:
            _add(use.purposes, purpose)
        _add(use.bases, declaration.basis)
        _add(use.retention, declaration.retention.describe())
        use.confidential = use.confidential or declaration.confidential
    order = {(s, c): (i, j) for i, s in enumerate(Scope) for j, c in enumerate(Category)}
    return [uses[k] for k in sorted(uses, key=order.__getitem__)]
