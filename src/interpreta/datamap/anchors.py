"""The moments a table's rows keep time by, declared once on the table that owns them.

A model whose own columns say when something happened (an event's end, an
account's closure, a request's receipt) declares it in ``__anchors__``. Every
other table reaches those moments through its ties (a participant's time runs
from its event's end; a connection's from its participant's): the retention
engine asks :meth:`TieGraph.anchor <interpreta.datamap.tiegraph.TieGraph.anchor>`,
which walks the foreign keys. A new table tied to an event needs no anchors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute, Session

from interpreta.datamap.retention_rules import Anchor

SQLExpression = ColumnElement[Any] | QueryableAttribute[Any]
"""A column of a mapped class, or any SQL expression."""

Expression = Callable[[], SQLExpression]
"""A function building a SQL expression over the model's own row."""

ANCHORS_ATTRIBUTE = "__anchors__"
"""Where a model keeps its :class:`Anchors`."""


@dataclass(frozen=True)
class Anchors:
    """When each of a table's own anchors happened, for any of its rows."""

    moments: Mapping[Anchor, Expression] = field(default_factory=dict)
    disposer: Callable[[Session, datetime], int] | None = None
    """Disposes of the rows due before the cutoff itself (the audit chain, which must
    keep a checkpoint), instead of the engine's row-by-row deletion."""


def anchors_of(model: Any) -> Anchors:
    """The anchors a mapped class declares (none when it declares none)."""
    found = getattr(model, ANCHORS_ATTRIBUTE, None)
    return found if isinstance(found, Anchors) else Anchors()
