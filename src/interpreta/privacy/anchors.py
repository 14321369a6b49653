"""Where each table's retention clocks start, declared beside its model.

A model says, in ``__retention__``, how to compute for any of its rows the
moment each anchor it uses happened (the event's end, the account's closure…),
and how the row relates to things a legal hold can name (an event, an
organisation, a user, an email address). The retention engine reads these
declarations together with the data map; it keeps no list of tables itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from interpreta.privacy.retention_rules import Anchor

SQLExpression = ColumnElement[Any] | QueryableAttribute[Any]
"""A column of a mapped class, or any SQL expression."""

Expression = Callable[[], SQLExpression]
"""A function building a SQL expression correlated to the model's row."""


@dataclass(frozen=True)
class RetentionScope:
    """How the rows of one table relate to retention anchors and to legal holds."""

    anchors: Mapping[Anchor, Expression]
    event: Expression | None = None
    organisation: Expression | None = None
    user: Expression | None = None
    email: Expression | None = None
    disposer: Callable[[Session, datetime], int] | None = None
    """Disposes of the rows due before the cutoff itself (e.g. the audit chain, which
    must keep a checkpoint), instead of the engine's row-by-row deletion."""
    links: dict[str, Expression] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("event", "organisation", "user", "email"):
            value = getattr(self, name)
            if value is not None:
                self.links[name] = value


def event_end(event_id: SQLExpression) -> ColumnElement[Any]:
    """When the event `event_id` ended: its actual end, else its scheduled end."""
    from interpreta.events.models import Event

    return (
        select(func.coalesce(Event.ended_at, Event.ends_at))
        .where(Event.id == event_id)
        .scalar_subquery()
    )


def organisation_of_event(event_id: SQLExpression) -> ColumnElement[Any]:
    """The organisation that runs the event `event_id`."""
    from interpreta.events.models import Event

    return select(Event.organisation_id).where(Event.id == event_id).scalar_subquery()
