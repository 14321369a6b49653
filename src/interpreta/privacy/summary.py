"""The data map summarised: by scope and category, and by processing activity.

What the notice and the records of processing (Art. 30) describe, computed once
from the declarations, the activities and the processor register, so the two
documents cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import MetaData

from interpreta.config import Settings
from interpreta.datamap.activities import Activity, columns
from interpreta.datamap.declarations import Personal, personal_fields
from interpreta.datamap.processors import EEA_COUNTRIES, Processor
from interpreta.datamap.retention_rules import AnyRule
from interpreta.datamap.vocabulary import Category, LegalBasis, Purpose, Scope, Subject

EVERY_COLUMN = "*"
"""The pattern of an activity that may touch every column (erasure, backups, retention)."""


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


def in_eea(processor: Processor) -> bool:
    """Whether `processor` works inside the EU/EEA (no transfer safeguard needed)."""
    return processor.country.upper() in EEA_COUNTRIES


def rules_of(declarations: list[Personal]) -> list[AnyRule]:
    """The distinct retention rules of `declarations`, in order of first use."""
    found: list[AnyRule] = []
    for declaration in declarations:
        if declaration.retention not in found:
            found.append(declaration.retention)
    return found


def categories_of(declarations: list[Personal]) -> list[Category]:
    """The distinct categories of `declarations`, in vocabulary order."""
    used = {d.category for d in declarations}
    return [c for c in Category if c in used]


def fields_by_category(declarations: list[Personal]) -> list[tuple[Category, list[str]]]:
    """Each category of `declarations` with its fields' descriptions (marked when encrypted)."""
    found: dict[Category, list[str]] = {}
    for declaration in declarations:
        name = declaration.description + (" (encrypted)" if declaration.confidential else "")
        _add(found.setdefault(declaration.category, []), name)
    return [(c, found[c]) for c in Category if c in found]


@dataclass(frozen=True)
class ActivityUse:
    """One processing activity with what the data map and the register say about it.

    ``own`` are the personal columns the activity names; ``touched`` adds every
    column when it reads or writes ``"*"`` (it then acts on data whatever it is,
    and keeps nothing of its own beyond ``own``).
    """

    activity: Activity
    own: tuple[Personal, ...]
    touched: tuple[Personal, ...]
    recipients: tuple[Processor, ...]

    @property
    def every_column(self) -> bool:
        """Whether the activity may touch every personal column."""
        return EVERY_COLUMN in self.activity.reads + self.activity.writes

    def scoped(self, scope: Scope) -> list[Personal]:
        """The touched columns whose data is decided by `scope`."""
        return [d for d in self.touched if d.scope is scope]

    @property
    def scopes(self) -> list[Scope]:
        """Who decides about the data the activity touches, in vocabulary order."""
        used = {d.scope for d in self.touched}
        return [s for s in Scope if s in used]

    @property
    def outside_eea(self) -> list[Processor]:
        """The recipients outside the EU/EEA (each with its recorded safeguard)."""
        return [p for p in self.recipients if not in_eea(p)]


def activity_use(metadata: MetaData, settings: Settings, activity: Activity) -> ActivityUse:
    """What `activity` touches, and which registered processors take part in it (those
    that receive a category it touches, when the activity involves processors at all)."""
    named = replace(
        activity,
        reads=tuple(p for p in activity.reads if p != EVERY_COLUMN),
        writes=tuple(p for p in activity.writes if p != EVERY_COLUMN),
    )
    own = tuple(d for _column, d in columns(metadata, named))
    touched = tuple(d for _column, d in columns(metadata, activity))
    used = {d.category.value for d in touched}
    recipients = tuple(
        p for p in settings.processors if activity.processors and used & set(p.categories)
    )
    return ActivityUse(activity, own, touched, recipients)
