"""The retention engine: deletes or anonymises what the data map says has expired.

It reads the data map and nothing else: each column's retention rule, and when
each row's anchor happened, which the tie graph finds from the model's own
``__anchors__`` or those of the rows it is tied to (:mod:`interpreta.datamap.tiegraph`). For
every table and every rule its personal columns follow it finds the rows whose
time is over and that no legal hold covers, and

- deletes them, when every personal column of the table follows that rule; or
- clears those columns (NULL, or an ``anonymised:`` marker where a value is
  required), when the table mixes rules (a user's email outlives their name).

Work goes in batches, each its own transaction, children before parents, so a
run killed at any moment leaves consistent data and the next run simply goes
on. Before anything goes, the engine runs the preparations it was given (the
events package keeps anonymised statistics of events about to lose their
participation data, P17). Rows a legal hold covers (P15), found through their
ties, are left alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    DateTime,
    String,
    Table,
    and_,
    delete,
    false,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from interpreta.datamap.activities import RETENTION
from interpreta.datamap.anchors import SQLExpression
from interpreta.datamap.declarations import Personal, declaration_of
from interpreta.datamap.retention_rules import AnyRule, CustomerDefinedRule, Period, RetentionRule
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import Tie
from interpreta.db.base import Base
from interpreta.db.engine import checkpoint
from interpreta.privacy import audit
from interpreta.privacy import holds as legal_holds
from interpreta.privacy.processing import marked_rows, processing, restricted_people
from interpreta.privacy.pseudonyms import system

log = logging.getLogger(__name__)

ANONYMISED = "anonymised:"
DEFAULT_BATCH = 2000
ADVISORY_LOCK_KEY = 0x1A7E_0001


class RetentionBusy(RuntimeError):
    """Another retention run holds the lock."""


Preparation = Callable[[sessionmaker[Session], datetime], object]
"""Work a run does before disposing of anything (keeping anonymised statistics)."""

CustomerPeriods = Callable[[Session], Mapping[int, int]]
"""The retention period (days) each customer chose for its content, by organisation ID."""


def _no_choices(_db: Session) -> Mapping[int, int]:
    return {}


@dataclass(frozen=True)
class Target:
    """One table's columns under one rule: what the engine disposes of together."""

    table: Table
    rule: AnyRule
    columns: tuple[Column[Any], ...]
    whole_row: bool

    @property
    def name(self) -> str:
        """'participants / participation'."""
        return f"{self.table.name} / {self.rule.key}"


@dataclass
class Outcome:
    """How many rows a target had due, and how many were disposed of (in a real run,
    what was due is what went: it is not counted beforehand)."""

    due: int = 0
    disposed: int = 0


@dataclass
class Report:
    """What a run found and did, per target."""

    dry_run: bool
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    wal_emptied: bool = True
    """Whether the disposed values left SQLite's WAL too (always True elsewhere)."""

    @property
    def total(self) -> int:
        """Rows disposed of (or due, in a dry run)."""
        return sum(o.due if self.dry_run else o.disposed for o in self.outcomes.values())


def targets(metadata: Any = None) -> list[Target]:
    """Every (table, rule) pair the data map declares, parents first: deleting a parent
    cascades to its children in the same statement, cheaper than finding each child."""
    metadata = metadata or Base.metadata
    found: list[Target] = []
    for table in metadata.sorted_tables:
        by_rule: dict[str, tuple[AnyRule, list[Column[Any]]]] = {}
        for column in table.columns:
            declaration = declaration_of(column)
            if isinstance(declaration, Personal):
                rule = declaration.retention
                by_rule.setdefault(rule.key, (rule, []))[1].append(column)
        for rule, columns in by_rule.values():
            found.append(
                Target(
                    table=table,
                    rule=rule,
                    columns=tuple(columns),
                    whole_row=len(by_rule) == 1,
                )
            )
    return found


def problems(metadata: Any = None) -> list[str]:
    """Targets no anchor can be found for, neither declared by their model nor reached
    through a tie (the engine could not run them)."""
    metadata = metadata or Base.metadata
    graph = TieGraph.of(metadata)
    found = []
    for target in targets(metadata):
        if graph.own_anchors(target.table).disposer is not None:
            continue
        if graph.anchor(target.table, target.rule.anchor) is None:
            found.append(
                f"{target.name}: no tie leads to when {target.rule.anchor.words} "
                f"(anchor {target.rule.anchor.value!r})"
            )
    return found


class RetentionEngine:
    """Runs the rules against one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        lock_dir: Path | None = None,
        batch_size: int = DEFAULT_BATCH,
        content_bounds: tuple[int, int] = (1, 365),
        workers: int = 2,
        preparations: Sequence[Preparation] = (),
        customer_periods: CustomerPeriods = _no_choices,
        metadata: Any = None,
    ) -> None:
        self.sessions = sessions
        self.preparations = tuple(preparations)
        self.customer_periods = customer_periods
        self.metadata = metadata or Base.metadata
        self.graph = TieGraph.of(self.metadata)
        self.workers = workers
        self.lock_dir = lock_dir
        self.batch_size = batch_size
        self.content_bounds = content_bounds

    # --- public ----------------------------------------------------------------------

    def run(
        self,
        now: datetime,
        *,
        dry_run: bool = False,
        progress: Callable[[str, int, int | None], None] | None = None,
    ) -> Report:
        """Dispose of everything due at `now` (or only count it, with `dry_run`)."""
        report = Report(dry_run)
        with processing(RETENTION), self._exclusive():
            if not dry_run:
                for prepare in self.preparations:
                    prepare(self.sessions, now)
            with self.sessions() as db:
                held = legal_holds.active(db)
                restricted = restricted_people(db.connection())
            for target in targets(self.metadata):
                disposer = self.graph.own_anchors(target.table).disposer
                if disposer is not None:
                    outcome = report.outcomes.setdefault(target.name, Outcome())
                    if not dry_run:
                        with self.sessions.begin() as db:
                            cutoff = _period(target.rule).before(now)
                            disposed = disposer(db, cutoff)
                            if disposed:
                                _audit_batch(db, target.name, target.rule.key, disposed, now)
                            outcome.disposed += disposed
                        outcome.due = outcome.disposed
                    continue
                if self.graph.anchor(target.table, target.rule.anchor) is None:
                    log.warning("retention skips %s: no anchor found", target.name)
                    continue  # reported by problems(), which the test suite checks
                for rule, condition in self._conditions(target, now):
                    outcome = report.outcomes.setdefault(target.name, Outcome())
                    where = and_(
                        condition,
                        self._not_held(target, held),
                        self._not_restricted(target, restricted),
                        self._not_done(target),
                    )
                    if dry_run:
                        with self.sessions() as db:
                            count = select(func.count()).select_from(target.table).where(where)
                            outcome.due += db.scalar(count) or 0
                        continue
                    # no counting pass first: it would cost a second scan of every row
                    for done in self._dispose_all(target, rule, where, now):
                        outcome.disposed += done
                        outcome.due = outcome.disposed
                        if progress is not None:
                            progress(target.name, outcome.disposed, None)
            if not dry_run and report.total:
                self._audit(report, now)
                report.wal_emptied = checkpoint(self.sessions.kw["bind"])
        return report

    def _audit(self, report: Report, now: datetime) -> None:
        """One audit entry per run that disposed of anything: counts per table and rule
        (each batch has its own entry already, committed with it)."""
        counts = {name: o.disposed for name, o in report.outcomes.items() if o.disposed}
        with self.sessions.begin() as db:
            audit.record(
                db,
                actor=system("retention"),
                action="retention.run",
                subject=None,
                target="retention",
                detail={"disposed": counts},
                now=now,
            )

    def _dispose_all(
        self, target: Target, rule: RetentionRule, where: ColumnElement[bool], now: datetime
    ) -> Iterator[int]:
        """The batches of one target; on PostgreSQL in `workers` disjoint streams at once
        (rows split by key modulo), since the server, not Python, does the work."""
        if self.workers <= 1 or self._dialect() != "postgresql":
            yield from self._dispose(target, rule, where, now)
            return
        (key,) = target.table.primary_key.columns
        done: queue.Queue[int | None] = queue.Queue()
        errors: list[BaseException] = []

        def stream(share: int) -> None:
            try:
                shared = and_(where, key % self.workers == share)
                for count in self._dispose(target, rule, shared, now):
                    done.put(count)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)
            finally:
                done.put(None)

        threads = [
            threading.Thread(
                target=contextvars.copy_context().run, args=(stream, share), daemon=True
            )
            for share in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        running = len(threads)
        while running:
            count = done.get()
            if count is None:
                running -= 1
            else:
                yield count
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _dialect(self) -> str:
        return str(self.sessions.kw["bind"].dialect.name)

    # --- selecting -------------------------------------------------------------------

    def _conditions(
        self, target: Target, now: datetime
    ) -> Iterator[tuple[RetentionRule, ColumnElement[bool]]]:
        anchor = self.graph.anchor(target.table, target.rule.anchor)
        assert anchor is not None  # targets without one are skipped by run()
        if isinstance(target.rule, CustomerDefinedRule):
            yield from self._customer_conditions(target, anchor, now)
            return
        yield target.rule, _due(anchor, target.rule.period.before(now))

    def _customer_conditions(
        self, target: Target, anchor: SQLExpression, now: datetime
    ) -> Iterator[tuple[RetentionRule, ColumnElement[bool]]]:
        assert isinstance(target.rule, CustomerDefinedRule)
        organisation = self.graph.first(target.table, Tie.ORGANISATION)
        if organisation is None:
            raise ValueError(f"{target.table.name}: customer-defined rule without an organisation")
        with self.sessions() as db:
            overrides = dict(self.customer_periods(db))
        low, high = self.content_bounds
        chosen: dict[int, list[int]] = {}
        for organisation_id, days in sorted(overrides.items()):
            chosen.setdefault(min(max(days, low), high), []).append(organisation_id)
        everyone_else = organisation.not_in([o for ids in chosen.values() for o in ids])
        default = target.rule.effective(None)
        yield default, and_(_due(anchor, default.period.before(now)), everyone_else)
        for days, organisation_ids in chosen.items():
            rule = target.rule.effective(days)
            yield (
                rule,
                and_(_due(anchor, rule.period.before(now)), organisation.in_(organisation_ids)),
            )

    def _not_held(self, target: Target, held: legal_holds.ActiveHolds) -> ColumnElement[bool]:
        if not held:
            return true()
        return ~legal_holds.covered(self.graph, target.table, held)

    def _not_restricted(
        self, target: Target, restricted: tuple[frozenset[int], frozenset[str]]
    ) -> ColumnElement[bool]:
        """Rows of people with a restriction are only stored (P31): never disposed of."""
        condition = marked_rows(self.graph, target.table, *restricted)
        return true() if condition is None else ~condition

    def _not_done(self, target: Target) -> ColumnElement[bool]:
        if target.whole_row:
            return true()
        pending: list[ColumnElement[bool]] = []
        keep = self._anchor_columns(target)
        for column in target.columns:
            if column.primary_key or column.name in keep:
                continue
            if column.nullable:
                pending.append(column.is_not(None))
            elif isinstance(column.type, String):
                pending.append(~column.startswith(ANONYMISED))
        return or_(*pending) if pending else false()

    # --- disposing -------------------------------------------------------------------

    def _dispose(
        self, target: Target, rule: RetentionRule, where: ColumnElement[bool], now: datetime
    ) -> Iterator[int]:
        """Dispose of the due rows of `target` batch by batch, each batch in its own
        transaction with its own audit entry: a run killed half way is accounted for
        up to its last committed batch."""
        (key,) = target.table.primary_key.columns
        last: Any = None
        while True:
            with self.sessions.begin() as db:
                page = select(key).where(where).order_by(key).limit(self.batch_size)
                if last is not None:  # keyset paging: held rows are never scanned twice
                    page = page.where(key > last)
                ids = list(db.scalars(page))
                if not ids:
                    return
                last = ids[-1]
                if target.whole_row:
                    db.execute(delete(target.table).where(key.in_(ids)))
                else:
                    db.execute(
                        update(target.table)
                        .where(key.in_(ids))
                        .values(**self._cleared(target, key))
                    )
                _audit_batch(db, target.name, rule.key, len(ids), now, ids[0], ids[-1])
            yield len(ids)
            if len(ids) < self.batch_size:
                return

    def _cleared(self, target: Target, key: Column[Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        keep = self._anchor_columns(target)
        for column in target.columns:
            if column.primary_key or column.name in keep:
                continue
            if column.foreign_keys and not column.nullable:
                continue
            if column.nullable:
                values[column.name] = None
            elif isinstance(column.type, String):
                values[column.name] = ANONYMISED + key.cast(String)
        return values

    def _anchor_columns(self, target: Target) -> set[str]:
        return _own_anchor_columns(self.graph, target.table)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One run at a time: a PostgreSQL advisory lock, or a lock file beside SQLite."""
        engine = self.sessions.kw["bind"]
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                ).scalar()
                if not got:
                    raise RetentionBusy("another retention run is in progress")
                try:
                    yield
                finally:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    )
                    connection.commit()
            return
        if self.lock_dir is None:
            yield
            return
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with open(self.lock_dir / "retention.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise RetentionBusy("another retention run is in progress") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _audit_batch(
    db: Session,
    target: str,
    rule: str,
    count: int,
    now: datetime,
    first: Any = None,
    last: Any = None,
) -> None:
    """The audit entry of one batch, in the batch's own transaction."""
    detail: dict[str, Any] = {"target": target, "rule": rule, "disposed": count}
    if first is not None:
        detail["keys"] = [str(first), str(last)]
    audit.record(
        db,
        actor=system("retention"),
        action="retention.batch",
        subject=None,
        target=f"retention:{target}",
        detail=detail,
        now=now,
    )


def _period(rule: AnyRule) -> Period:
    """A rule's period (a customer-defined rule's default)."""
    return rule.default if isinstance(rule, CustomerDefinedRule) else rule.period


def _due(anchor: SQLExpression, cutoff: datetime) -> ColumnElement[bool]:
    """Rows whose anchor happened at or before `cutoff` (never rows with no anchor yet)."""
    kind = getattr(anchor, "type", None)
    is_date = isinstance(kind, Date) and not isinstance(kind, DateTime)
    bound: date | datetime = cutoff.date() if is_date else cutoff
    return and_(anchor.is_not(None), anchor <= bound)


def _own_anchor_columns(graph: TieGraph, table: Table) -> set[str]:
    """Columns that are themselves an anchor: never cleared, or the clock would stop."""
    names = set()
    for build in graph.own_anchors(table).moments.values():
        expression = build()
        name = getattr(expression, "key", None)
        if getattr(expression, "table", None) is not None and name:
            names.add(name)
    return names
