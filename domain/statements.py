"""Statements an action runs on its session's own driver connection, compiled once (ADR 0251).

An ORM statement costs an action far more than its round trip: building the statement and its
cache key, the ORM's execution events and loading, the unit of work's flush (0.4-0.7 ms of CPU
each, against 0.04-0.07 ms for the same SQL on the driver). `run` executes a Core statement
(SELECT, or INSERT / UPDATE / DELETE, with RETURNING to read back what it changed) inside the
session's transaction, on the connection the session holds: its SQL is built and compiled once
per `key` and database, its per-call values are named parameters, and it runs on the driver
(`Reader.fetch_sql`: counted by the statement observers, traced) with the columns' own bind
and result processors, so values come and go as SQLAlchemy's would (enums as member names).

The rules of the ORM session still hold:
- rows are scoped: a statement over a scoped table (`scoped=`) gets the caller's row filter
  (domain.access) when the session is bound to anyone but staff, as `do_orm_execute` adds it
  to ORM statements; staff acting see every row (an action checks its own permission);
- errors are SQLAlchemy's: the driver's exception becomes the `IntegrityError`,
  `OperationalError`... SQLAlchemy would raise, so constraint violations, lost races and
  outages are mapped as for any statement (domain.constraints, domain.db);
- the session stays true: `synchronize` updates the copy of a changed row the session may hold
  (as an ORM UPDATE's synchronize_session does), so a later ORM write of it checks the new
  version.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from domain import access
from domain.identity import Role
from domain.reads.batched import _DIALECTS, Processors, Reader, result_processors

Statement = Select[Any] | UpdateBase
OWNER = "_scope_owner"  # the bound parameter of the caller's key in a scoped statement

_compiled: OrderedDict[Any, Any] = OrderedDict()
MAX_COMPILED = 512


async def run(
    session: AsyncSession,
    key: Any,
    build: Callable[[], Statement],
    values: dict[str, Any],
    *,
    scoped: type[Any] | None = None,
) -> list[Sequence[Any]]:
    """The rows of the statement `build` makes (none for DML without RETURNING), run with
    `values` in the session's transaction.

    `key` names the statement's shape: `build` is called once per key and database, so every
    per-call value must be a named `bindparam` in `values`. `scoped`: the model whose rows the
    statement reads or changes, filtered to the caller's own for anyone but staff.
    """
    identity = access.identity_of(session)
    role = None
    if scoped is not None and identity is not None and identity.role is not Role.STAFF:
        role = identity.role
        values = {**values, OWNER: access.owner_key(identity)}
    dialect, reader, adapted = await _driver(session)
    entry = _compiled.get((dialect.name, key, role))
    if entry is None:
        entry = _compiled[(dialect.name, key, role)] = _compile(
            dialect.name, build(), scoped, identity if role is not None else None
        )
        if len(_compiled) > MAX_COMPILED:
            _compiled.popitem(last=False)
    compiled, processors, positions = entry
    if positions is None:  # expanding parameters (IN lists): SQLAlchemy's own expansion
        sql, arguments = reader._arguments(compiled, compiled.construct_params(params=values))
    else:
        sql = compiled.string
        arguments = [
            values[name] if process is None else process(values[name])
            for name, process in positions
        ]
    if dialect.name == "postgresql" and adapted._transaction is None:
        # SQLAlchemy's asyncpg adapter sends BEGIN with its first statement; this statement
        # bypasses the adapter, so the transaction is begun here (SQLite's began already).
        await adapted._start_transaction()
    try:
        return await reader.fetch_sql(sql, arguments, processors)
    except Exception as error:
        raise _as_sqlalchemy(dialect, adapted, sql, arguments, error) from error


_DRIVER = "statements.driver"


async def reader(session: AsyncSession) -> Reader:
    """A Reader on the session's own connection, inside its transaction (the compiled path
    reads a mutation's payload with it: its rows as the mutation left them)."""
    dialect, found, adapted = await _driver(session)
    if dialect.name == "postgresql" and adapted._transaction is None:
        await adapted._start_transaction()
    return found


async def _driver(session: AsyncSession) -> tuple[Any, Reader, Any]:
    """The dialect, a Reader on the driver connection the session's transaction holds, and
    SQLAlchemy's adapter of that connection; kept for the transaction's life."""
    sync = session.sync_session
    held = sync.info.get(_DRIVER)
    # The innermost transaction: a savepoint the session began (RequestDb.write) is emitted
    # when its connection is first asked for, so a statement here must ask for it.
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    if held is not None and transaction is not None and held[0] is transaction:
        return held[1]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    found = (
        connection.dialect,
        Reader(connection.dialect.name, raw.driver_connection),
        raw.dbapi_connection,
    )
    sync.info[_DRIVER] = (sync.get_nested_transaction() or sync.get_transaction(), found)
    return found


def _compile(
    dialect: str, statement: Statement, scoped: type[Any] | None, identity: Any
) -> tuple[Any, Processors, tuple[tuple[str, Any], ...] | None]:
    if identity is not None:
        assert scoped is not None
        criterion = access.row_filter(scoped, identity, bindparam(OWNER))
        if criterion is not None:
            statement = statement.where(criterion)  # type: ignore[union-attr]
    compiled = statement.compile(dialect=_DIALECTS[dialect])
    columns = list(statement.exported_columns)
    processors = () if dialect == "postgresql" else result_processors(columns)
    positions = None
    if not (compiled.literal_execute_params or compiled.post_compile_params):
        # Each positional parameter's name and bind processor, in the SQL's order.
        bind = compiled._bind_processors
        positions = tuple((name, bind.get(name)) for name in compiled.positiontup or ())
    return compiled, processors, positions


def _as_sqlalchemy(dialect: Any, adapted: Any, sql: str, arguments: Any, error: Exception) -> Any:
    """The exception SQLAlchemy raises for this driver error (IntegrityError...)."""
    try:
        adapted._handle_exception(error)  # the adapter's DB-API translation
    except Exception as translated:
        if isinstance(translated, dialect.loaded_dbapi.Error):
            return exc.DBAPIError.instance(
                sql,
                arguments,
                translated,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                dialect=dialect,
            )
        return translated
    return error


def synchronize(session: AsyncSession, model: type[Any], pk: Any, values: dict[str, Any]) -> None:
    """The session's copy of the row (if it holds one) takes the values a statement wrote."""
    held = session.sync_session.identity_map.get(identity_key(model, pk))
    if held is not None:
        for name, value in values.items():
            attributes.set_committed_value(held, name, value)
