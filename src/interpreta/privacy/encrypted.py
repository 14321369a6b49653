"""Transparent field encryption in the ORM (P22): models hold plaintext, rows ciphertext.

Every column the data map marks ``confidential`` has the :class:`EncryptedText`
type, and :func:`install_field_encryption` hooks the mapped classes and a
sessionmaker so that:

- **on load/refresh** each such attribute is decrypted (the ciphertext names its
  data key; the associated data is ``<table>|<column>|<primary key>``);
- **on update** the new plaintext is sealed before the UPDATE is built;
- **on insert** the primary key (autoincrement) is not known yet, and the
  associated data must name the row. The INSERT therefore carries a placeholder
  (NULL, or an empty :class:`Sealed` for NOT NULL columns), and once the flush has
  assigned the keys, still inside the same transaction, one executemany UPDATE
  writes the ciphertexts. Plaintext never reaches the database, and the extra
  statement costs one round trip per flush, not per row.

The data key is chosen by the row's *scope*: ``org:<organisation id>``, the
organisation the row's ties lead to (participant → event → organisation; booth
chat message → booth → channel → topic → event → organisation; see
:mod:`interpreta.datamap.tiegraph`), cached for the length of a flush. Rows tied
to no organisation (the operator's own confidential records) use the
``operator`` scope. A per-person scope would be one more branch of
:func:`scope_expression`; nothing else changes.

Column-only queries (``select(Participant.phone)``) return the :class:`Sealed`
ciphertext; load entities, or use :func:`open_value`, to read plaintext.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from typing import cast as type_cast

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    event,
    select,
    update,
)
from sqlalchemy.orm import Mapper, QueryContext, Session, object_session, sessionmaker
from sqlalchemy.orm.attributes import get_history, set_committed_value

from interpreta.datamap.activities import ENCRYPTION
from interpreta.datamap.anchors import SQLExpression
from interpreta.datamap.declarations import confidential_columns
from interpreta.datamap.tiegraph import TieGraph
from interpreta.datamap.ties import Tie
from interpreta.db.base import Base
from interpreta.privacy.crypto import (
    DecryptionError,
    EncryptedText,
    Envelope,
    Sealed,
    field_aad,
    is_envelope,
    open_field,
    seal_field,
)
from interpreta.privacy.keys import DataKeyMaterial, Keyring
from interpreta.privacy.processing import UNCHECKED, processing

KEYRING = "interpreta.keyring"
_PENDING = "interpreta.sealing"
_FLUSH_CACHE = "interpreta.scope_cache"


class EncryptionMisconfigured(Exception):
    """The data map, the column types and the scope rules disagree."""


OPERATOR_SCOPE = "operator"
"""The key scope of confidential rows tied to no customer organisation."""


def scope_expression(table: Table) -> SQLExpression | None:
    """The organisation a row of `table` belongs to, through its ties (None: the
    operator's own record)."""
    return TieGraph.of(type_cast(MetaData, table.metadata)).first(table, Tie.ORGANISATION)


def _scope_name(table: Table, row_key: Any, organisation_id: Any) -> str:
    if scope_expression(table) is None:
        return OPERATOR_SCOPE
    if organisation_id is None:
        raise EncryptionMisconfigured(f"no organisation found for {table.name} row {row_key}")
    return f"org:{organisation_id}"


def _row_scope(connection: Connection, table: Table, row_key: Any) -> str:
    expression = scope_expression(table)
    if expression is None:
        return OPERATOR_SCOPE
    (pk,) = table.primary_key.columns
    query = select(expression).where(pk == row_key)  # which key, not the data
    found = connection.execute(query.execution_options(**{UNCHECKED: True})).scalar_one_or_none()
    return _scope_name(table, row_key, found)


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column[Any]]]:
    """Every confidential column, checked: EncryptedText type, scope rule, one-column key.

    Raises :class:`EncryptionMisconfigured` on any disagreement.
    """
    found: list[tuple[Table, Column[Any]]] = []
    for table in metadata.sorted_tables:
        names = set(confidential_columns(table))
        for column in table.columns:
            typed = isinstance(column.type, EncryptedText)
            where = f"{table.name}.{column.name}"
            if typed and column.name not in names:
                raise EncryptionMisconfigured(f"{where} is encrypted but not confidential")
            if column.name in names and not typed:
                raise EncryptionMisconfigured(f"{where} is confidential but not EncryptedText")
        if not names:
            continue
        if len(table.primary_key.columns) != 1:
            raise EncryptionMisconfigured(f"{table.name} needs a one-column primary key")
        found += [(table, table.columns[name]) for name in sorted(names)]
    return found


def _row_key(table: Table, values: Any) -> str:
    (pk,) = table.primary_key.columns
    return str(values[pk.name] if isinstance(values, dict) else getattr(values, pk.key))


@dataclass
class _Pending:
    target: Any
    table: Table
    column: Column[Any]
    attr: str
    plaintext: str
    inserted: bool


def _keyring(session: Session | None) -> Keyring | None:
    keyring = session.info.get(KEYRING) if session is not None else None
    return keyring if isinstance(keyring, Keyring) else None


def _scope_key(
    session: Session, keyring: Keyring, connection: Connection, table: Table, row_key: Any
) -> DataKeyMaterial:
    cache: dict[tuple[str, Any], DataKeyMaterial] = session.info.setdefault(_FLUSH_CACHE, {})
    material = cache.get((table.name, row_key))
    if material is None:
        material = keyring.for_scope(connection, _row_scope(connection, table, row_key))
        cache[(table.name, row_key)] = material
    return material


def _seal(
    session: Session,
    keyring: Keyring,
    connection: Connection,
    pending: _Pending,
) -> Sealed:
    table, column = pending.table, pending.column
    (pk,) = table.primary_key.columns
    material = _scope_key(session, keyring, connection, table, getattr(pending.target, pk.key))
    aad = field_aad(table.name, column.name, _row_key(table, pending.target))
    return Sealed(seal_field(material.key_id, material.key, pending.plaintext, aad))


def open_value(
    keyring: Keyring, connection: Connection, table: str, column: str, row_key: Any, value: str
) -> str:
    """Decrypt one stored value of ``table.column`` in the row whose primary key is `row_key`."""
    envelope = Envelope.parse(value)
    key = keyring.by_id(connection, envelope.key_id)
    try:
        return open_field(key, envelope, field_aad(table, column, str(row_key)))
    except DecryptionError as exc:
        raise DecryptionError(f"{table}.{column} of row {row_key}: {exc}") from exc


def _open_loaded(target: Any, session: Session, attrs: Iterable[str] | None) -> None:
    keyring = _keyring(session)
    if keyring is None:
        return
    mapper: Mapper[Any] = target.__mapper__
    table = mapper.local_table
    assert isinstance(table, Table)
    wanted = set(attrs) if attrs is not None else None
    for name in confidential_columns(table):
        attr = mapper.get_property_by_column(table.columns[name]).key
        if wanted is not None and attr not in wanted:
            continue
        value = target.__dict__.get(attr)
        if isinstance(value, Sealed):
            plaintext = open_value(
                keyring, session.connection(), table.name, name, _row_key(table, target), value
            )
            set_committed_value(target, attr, plaintext)


def _on_load(target: Any, context: QueryContext) -> None:
    _open_loaded(target, context.session, None)


def _on_refresh(target: Any, context: QueryContext, attrs: Iterable[str] | None) -> None:
    _open_loaded(target, context.session, attrs)


def _confidential(mapper: Mapper[Any]) -> list[tuple[Table, Column[Any], str]]:
    table = mapper.local_table
    assert isinstance(table, Table)
    return [
        (table, table.columns[name], mapper.get_property_by_column(table.columns[name]).key)
        for name in confidential_columns(table)
    ]


def _before_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    session = object_session(target)
    if session is None or _keyring(session) is None:
        return
    for table, column, attr in _confidential(mapper):
        value = target.__dict__.get(attr)
        if value is None or isinstance(value, Sealed):
            continue
        session.info.setdefault(_PENDING, []).append(
            _Pending(target, table, column, attr, value, inserted=True)
        )
        setattr(target, attr, None if column.nullable else Sealed(""))


def _before_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    session = object_session(target)
    keyring = _keyring(session)
    if session is None or keyring is None:
        return
    for table, column, attr in _confidential(mapper):
        added = get_history(target, attr).added
        if not added or added[0] is None or isinstance(added[0], Sealed):
            continue
        pending = _Pending(target, table, column, attr, added[0], inserted=False)
        sealed = _seal(session, keyring, connection, pending)
        session.info.setdefault(_PENDING, []).append(pending)
        setattr(target, attr, sealed)


def _after_flush(session: Session, _context: Any) -> None:
    keyring = _keyring(session)
    inserted = [p for p in session.info.get(_PENDING, []) if p.inserted]
    if keyring is None or not inserted:
        return
    connection = session.connection()
    batches: dict[tuple[Table, Column[Any]], list[dict[str, Any]]] = {}
    for pending in inserted:
        (pk,) = pending.table.primary_key.columns
        sealed = _seal(session, keyring, connection, pending)
        batch = batches.setdefault((pending.table, pending.column), [])
        batch.append({"row_pk": getattr(pending.target, pk.key), "sealed": sealed})
    for (table, column), rows in batches.items():
        (pk,) = table.primary_key.columns
        statement = (
            update(table)
            .where(pk == bindparam("row_pk", type_=pk.type))
            .values({column.name: bindparam("sealed", type_=column.type)})
        )
        connection.execute(statement, rows)


def _restore(session: Session) -> None:
    for pending in session.info.pop(_PENDING, []):
        set_committed_value(pending.target, pending.attr, pending.plaintext)
    session.info.pop(_FLUSH_CACHE, None)


def _after_flush_postexec(session: Session, _context: Any) -> None:
    _restore(session)


def _after_soft_rollback(session: Session, _previous: Any) -> None:
    _restore(session)


_MAPPER_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("load", _on_load),
    ("refresh", _on_refresh),
    ("before_insert", _before_insert),
    ("before_update", _before_update),
)
_SESSION_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _after_flush),
    ("after_flush_postexec", _after_flush_postexec),
    ("after_soft_rollback", _after_soft_rollback),
)


def install_field_encryption(
    sessions: sessionmaker[Session], keyring: Keyring, metadata: MetaData | None = None
) -> list[str]:
    """Make every confidential column of `metadata` (default: all models) transparently
    encrypted for sessions made by `sessions`, with keys from `keyring`.

    Idempotent: calling it again replaces the keyring. Returns the encrypted
    ``table.column`` names. Raises :class:`EncryptionMisconfigured` when the data map,
    column types and scope rules disagree.
    """
    columns = encrypted_columns(metadata or Base.metadata)
    tables = {table.name for table, _ in columns}
    sessions.configure(info={**sessions.kw.get("info", {}), KEYRING: keyring})
    for name, hook in _SESSION_HOOKS:
        if not event.contains(sessions, name, hook):
            event.listen(sessions, name, hook)
    for mapper in Base.registry.mappers:
        if type_cast(Table, mapper.local_table).name in tables:
            for name, hook in _MAPPER_HOOKS:
                if not event.contains(mapper.class_, name, hook):
                    event.listen(mapper.class_, name, hook)
    return [f"{table.name}.{column.name}" for table, column in columns]


def encrypt_existing(sessions: sessionmaker[Session], keyring: Keyring, batch: int = 500) -> int:
    """Encrypt any confidential value still stored as plaintext (rows written before
    encryption existed); returns how many. Safe to run at every start.
    """
    with processing(ENCRYPTION):
        return _encrypt_existing(sessions, keyring, batch)


def _encrypt_existing(sessions: sessionmaker[Session], keyring: Keyring, batch: int) -> int:
    done = 0
    for table, column in encrypted_columns(Base.metadata):
        (pk,) = table.primary_key.columns
        organisation = scope_expression(table)
        while True:
            with sessions.begin() as db:
                connection = db.connection()
                rows = connection.execute(
                    select(pk, organisation if organisation is not None else pk, column)
                    .where(column.is_not(None), cast(column, Text).not_like("v1:%"))
                    .limit(batch)
                ).all()
                for row_pk, organisation_id, value in rows:
                    if is_envelope(value):
                        continue
                    scope = _scope_name(table, row_pk, organisation_id)
                    material = keyring.for_scope(connection, scope)
                    aad = field_aad(table.name, column.name, str(row_pk))
                    sealed = Sealed(seal_field(material.key_id, material.key, value, aad))
                    connection.execute(
                        update(table).where(pk == row_pk).values({column.name: sealed})
                    )
                    done += 1
            if len(rows) < batch:
                break
    return done
