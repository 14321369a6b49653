"""Every statement that touches personal data runs inside its processing activity.

Code says which activity it runs for (:func:`processing`, a context manager; the
API and pages use it as a FastAPI dependency). When a statement executes, ORM or
Core alike, one hook on the engine (:func:`install`):

- **checks the columns** it reads and writes against the activity's declaration
  (:mod:`interpreta.datamap.activities`): an undeclared column is refused
  (``enforce``, in tests and development) or logged (``log``, in production) — P02;
  a statement touching personal data outside any activity is refused when it comes
  from the platform's own code (tests and benchmarks may inspect the database);
- **leaves marked people out** of a SELECT: a person with a restriction (P31) is
  not processed by any activity but storage and legal duties; a person who objected
  (P32) is left out of legitimate-interest and marketing activities unless the
  DPO recorded overriding grounds; a person who withdrew consent is left out of
  the consent-based activity. The rows of marked people are filtered through the
  tables' ties (user ID, email address or its digest), so no caller can forget.

An activity started for one person (:func:`processing` with ``user_id`` or
``email``) is refused outright when a mark stops it for them
(:class:`ProcessingStopped`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    ColumnElement,
    Delete,
    Engine,
    FunctionElement,
    Insert,
    MetaData,
    Select,
    String,
    Table,
    Update,
    event,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join, TableClause

from interpreta.datamap.activities import Activity
from interpreta.datamap.declarations import Personal, declaration_of
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import Tie, email_digest
from interpreta.privacy.marks import MarkKind, ProcessingMark, stops

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

UNCHECKED = "interpreta_unchecked"
"""Execution option of the engine's own queries (reading the marks)."""


class Enforcement(StrEnum):
    """What happens to processing an activity does not declare."""

    ENFORCE = "enforce"
    """Refused with :class:`UndeclaredProcessing` (tests, development)."""
    LOG = "log"
    """Logged as an error, once per place in the code (production)."""


class UndeclaredProcessing(PermissionError):
    """A statement touched personal data its activity does not declare (or ran outside
    any activity)."""


class ProcessingStopped(PermissionError):
    """A mark (restriction, objection, withdrawn consent) stops the activity for the
    person it was started for."""

    def __init__(self, activity: Activity, kind: str) -> None:
        super().__init__(f"{activity.title}: stopped by the person's {kind}")
        self.activity = activity
        self.kind = kind


@dataclass
class _Frame:
    activity: Activity
    excluded: tuple[frozenset[int], frozenset[str]] | None = None
    """User IDs and email digests the activity leaves out, once read."""


_CURRENT: ContextVar[_Frame | None] = ContextVar("interpreta_activity", default=None)


def current() -> Activity | None:
    """The activity the running code is inside, if any."""
    frame = _CURRENT.get()
    return frame.activity if frame is not None else None


@contextmanager
def processing(
    activity: Activity,
    *,
    session: Session | None = None,
    user_id: int | None = None,
    email: str | None = None,
) -> Iterator[Activity]:
    """Run the block inside `activity`.

    With `session`, ORM work pending from the enclosing activity is flushed first, and
    the block's own pending work is flushed before leaving, so each statement runs
    under the activity that asked for it. Started for one person (`user_id`,
    `email`; needs `session`), it is refused when one of their marks stops it.
    """
    if session is not None:
        session.flush()
        if user_id is not None or email:
            refuse_if_stopped(session, activity, user_id=user_id, email=email)
    token = _CURRENT.set(_Frame(activity))
    try:
        yield activity
        if session is not None:
            session.flush()
    finally:
        _CURRENT.reset(token)


def runs_in(activity: Activity) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that it runs inside `activity` (an action function:
    ``@runs_in(ACCOUNT) def add_member(db, ...)``); its first :class:`Session` argument,
    if any, is the session whose pending work is flushed on the way in and out."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            session = next((a for a in args[:2] if isinstance(a, Session)), None)
            with processing(activity, session=session):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def refuse_if_stopped(
    session: Session, activity: Activity, *, user_id: int | None, email: str | None
) -> None:
    """Raise :class:`ProcessingStopped` when a mark of the person stops `activity`."""
    kind = _stopping_mark(session.connection(), activity, user_id, email)
    if kind is not None:
        raise ProcessingStopped(activity, kind)


def enter(activity: Activity) -> None:
    """Make `activity` the current one for the rest of this task or thread (a request
    handler's dependency: each request runs in a context of its own)."""
    _CURRENT.set(_Frame(activity))


# --- the marks -------------------------------------------------------------------------


def _marks(connection: Connection) -> list[ProcessingMark]:
    table = ProcessingMark.__table__
    query = select(table).where(table.c.lifted_at.is_(None))  # type: ignore[attr-defined]
    rows = connection.execute(query.execution_options(**{UNCHECKED: True}))
    return [ProcessingMark(**row._mapping) for row in rows]


def _stopping_mark(
    connection: Connection, activity: Activity, user_id: int | None, email: str | None
) -> str | None:
    digest = email_digest(email) if email else None
    for mark in _marks(connection):
        mine = (user_id is not None and mark.user_id == user_id) or (
            digest is not None and mark.email_digest == digest
        )
        if mine and stops(mark, activity):
            return mark.kind.value.replace("_", " ")
    return None


def restricted_people(connection: Connection) -> tuple[frozenset[int], frozenset[str]]:
    """The user IDs and email digests of everyone with a restriction in force (the
    retention engine leaves their rows as it leaves held ones)."""
    marks = [m for m in _marks(connection) if m.kind is MarkKind.RESTRICTION]
    return (
        frozenset(m.user_id for m in marks if m.user_id is not None),
        frozenset(m.email_digest for m in marks if m.email_digest),
    )


def _excluded(connection: Connection, frame: _Frame) -> tuple[frozenset[int], frozenset[str]]:
    if frame.excluded is None:
        marks = [m for m in _marks(connection) if stops(m, frame.activity)]
        frame.excluded = (
            frozenset(m.user_id for m in marks if m.user_id is not None),
            frozenset(m.email_digest for m in marks if m.email_digest),
        )
    return frame.excluded


class sha256_hex(FunctionElement[str]):
    """SQL: the hex SHA-256 of a normalised (trimmed, lower-cased) text, as
    :func:`~interpreta.datamap.ties.email_digest` computes it in Python."""

    type = String()
    inherit_cache = True


@compiles(sha256_hex)
def _sha256_default(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"interpreta_sha256(lower(trim({compiler.process(value, **kw)})))"


@compiles(sha256_hex, "postgresql")
def _sha256_postgresql(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = list(element.clauses)
    inner = compiler.process(value, **kw)
    return f"encode(sha256(convert_to(lower(trim({inner})), 'UTF8')), 'hex')"


@compiles(sha256_hex, "sqlite")
def _sha256_sqlite(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"interpreta_sha256(lower(trim({compiler.process(value, **kw)})))"


def _sqlite_sha256(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def marked_rows(
    graph: TieGraph, table: Table, users: frozenset[int], digests: frozenset[str]
) -> ColumnElement[bool] | None:
    """A condition true for the rows of `table` about a marked person."""
    clauses: list[ColumnElement[bool]] = []
    if users:
        clauses += [e.in_(sorted(users)) for e in graph.values(table, Tie.ACCOUNT)]
    if digests:
        wanted = sorted(digests)
        clauses += [sha256_hex(e).in_(wanted) for e in graph.values(table, Tie.EMAIL)]
        clauses += [e.in_(wanted) for e in graph.values(table, Tie.EMAIL_DIGEST)]
    if not clauses:
        return None
    return or_(*(func.coalesce(c, false()) for c in clauses))


# --- what a statement touches ----------------------------------------------------------


@dataclass(frozen=True)
class Touches:
    """The personal columns a statement reads and writes, and its personal tables."""

    reads: frozenset[tuple[str, str]] = frozenset()
    writes: frozenset[tuple[str, str]] = frozenset()
    tables: tuple[Table, ...] = ()
    """The tables in a SELECT's FROM holding personal columns (their rows are filtered)."""

    def __bool__(self) -> bool:
        """Whether any personal column is read or written."""
        return bool(self.reads or self.writes)


@dataclass
class _Analyser:
    personal: dict[str, frozenset[str]] = field(default_factory=dict)

    def of(self, metadata: MetaData) -> None:
        for table in metadata.sorted_tables:
            names = frozenset(
                c.name for c in table.columns if isinstance(declaration_of(c), Personal)
            )
            if names:
                self.personal[table.name] = names

    def touches(self, statement: Any, parameters: Sequence[dict[str, Any]]) -> Touches:
        reads: set[tuple[str, str]] = set()
        writes: set[tuple[str, str]] = set()
        for element in visitors.iterate(statement):
            table = getattr(element, "table", None)
            name = getattr(element, "name", None)
            if (
                isinstance(table, TableClause)
                and isinstance(name, str)
                and name in self.personal.get(table.name, ())
            ):
                reads.add((table.name, name))
        tables: list[Table] = []
        if isinstance(statement, Select):
            for column in statement.selected_columns:
                table = getattr(column, "table", None)
                if isinstance(table, TableClause) and column.name in self.personal.get(
                    table.name, ()
                ):
                    reads.add((table.name, column.name))
            tables = [t for t in _from_tables(statement) if t.name in self.personal]
        elif isinstance(statement, Insert | Update | Delete):
            target = str(getattr(statement.table, "name", ""))
            personal = self.personal.get(target, frozenset())
            if isinstance(statement, Delete):
                writes |= {(target, c) for c in personal}
            else:
                keys = {str(getattr(k, "key", k)) for k in statement._values or {}}
                for row in parameters:  # a NULL collects nothing
                    keys.update(k for k, v in row.items() if v is not None)
                writes |= {(target, c) for c in personal if c in keys}
        return Touches(frozenset(reads), frozenset(writes), tuple(tables))


def _from_tables(statement: Select[Any]) -> list[Table]:
    found: list[Table] = []

    def walk(element: Any) -> None:
        if isinstance(element, Join):
            walk(element.left)
            walk(element.right)
        elif isinstance(element, Table):
            found.append(element)

    for element in statement.get_final_froms():
        walk(element)
    return found


# --- the hook --------------------------------------------------------------------------


@dataclass
class Guard:
    """The hook installed on one engine."""

    metadata: MetaData
    enforcement: Enforcement
    analyser: _Analyser = field(default_factory=_Analyser)
    reported: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.analyser.of(self.metadata)
        self.graph = TieGraph.of(self.metadata)

    def before_execute(
        self,
        connection: Connection,
        statement: Any,
        multiparams: Any,
        params: Any,
        execution_options: Any,
    ) -> tuple[Any, Any, Any]:
        """The engine's ``before_execute`` hook (``retval=True``)."""
        if execution_options.get(UNCHECKED) or not isinstance(
            statement, Select | Insert | Update | Delete
        ):
            return statement, multiparams, params
        rows = _parameter_rows(multiparams, params)
        touched = self.analyser.touches(statement, rows)
        if not touched and not touched.tables:
            return statement, multiparams, params
        frame = _CURRENT.get()
        if frame is None:
            if touched:
                self._unattributed(touched)
            return statement, multiparams, params
        if touched:
            self._check(frame.activity, touched)
        if isinstance(statement, Select) and touched.tables and _stoppable(frame.activity):
            statement = self._leave_out_marked(connection, frame, statement, touched.tables)
        return statement, multiparams, params

    def _check(self, activity: Activity, touched: Touches) -> None:
        unread = sorted(f"{t}.{c}" for t, c in touched.reads if not activity.may_read(t, c))
        unwritten = sorted(f"{t}.{c}" for t, c in touched.writes if not activity.may_write(t, c))
        if not unread and not unwritten:
            return
        parts = []
        if unread:
            parts.append("reads " + ", ".join(unread))
        if unwritten:
            parts.append("writes " + ", ".join(unwritten))
        self._violation(
            f"activity {activity.key!r} {' and '.join(parts)}, which it does not declare"
        )

    def _unattributed(self, touched: Touches) -> None:
        caller = _platform_caller()
        if caller is None:
            return  # a test or a benchmark inspecting the database
        columns = sorted({f"{t}.{c}" for t, c in touched.reads | touched.writes})[:5]
        self._violation(
            f"{caller} touches personal data ({', '.join(columns)}) outside any activity"
        )

    def _violation(self, message: str) -> None:
        if self.enforcement is Enforcement.ENFORCE:
            raise UndeclaredProcessing(message)
        if message not in self.reported:
            self.reported.add(message)
            log.error("undeclared processing: %s", message)

    def _leave_out_marked(
        self, connection: Connection, frame: _Frame, statement: Select[Any], tables: Sequence[Table]
    ) -> Select[Any]:
        users, digests = _excluded(connection, frame)
        if not users and not digests:
            return statement
        for table in tables:
            condition = marked_rows(self.graph, table, users, digests)
            if condition is not None:
                statement = statement.where(~condition)
        return statement


def _stoppable(activity: Activity) -> bool:
    return activity.restrictable or activity.objectionable


def _parameter_rows(multiparams: Any, params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in (multiparams, params):
        if isinstance(item, dict):
            rows.append(item)
        elif isinstance(item, list | tuple):
            rows.extend(r for r in item if isinstance(r, dict))
    return rows


_PASS_THROUGH = (
    "interpreta.privacy.processing",
    "interpreta.privacy.encrypted",
    "interpreta.platform",
    "interpreta.db.",
)
"""Platform modules that only carry other code's statements (a transaction's commit,
the encryption hooks of a flush): the caller is further up."""


def _platform_caller() -> str | None:
    """The module and line of the platform code that ran the statement, or None when
    the nearest caller outside SQLAlchemy is not the platform (a test, a benchmark)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("interpreta.") and not module.startswith(_PASS_THROUGH):
            return f"{module}:{frame.f_lineno}"
        if module.startswith(("tests", "bench", "__main__", "conftest")):
            return None
        frame = frame.f_back  # type: ignore[assignment]
    return None


def install(engine: Engine, metadata: MetaData, enforcement: Enforcement) -> Guard:
    """Check every statement `engine` executes against the current activity."""
    guard = Guard(metadata, enforcement)
    event.listen(engine, "before_execute", guard.before_execute, retval=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_functions)
        engine.dispose()  # connections opened before (migrations) lack the function
    return guard


def _sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("interpreta_sha256", 1, _sqlite_sha256, deterministic=True)
