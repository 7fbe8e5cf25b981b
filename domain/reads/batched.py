"""Batched row reads for the compiled read path: one statement per relation level.

A `BatchSpec` names what to read (a base table, to-one tables folded in with LEFT JOINs, the
columns, the key to match and the order); `CompiledBatch` turns it into a statement once and runs
it for any list of keys. Its SQL is compiled once per database and run on the driver connection
(`Reader`): `= ANY($1)` on asyncpg, `IN (SELECT value FROM json_each(?))` on aiosqlite, so one
SQL text serves any number of keys and SQLAlchemy's per-execution work is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from sqlalchemy import Integer, Select, String, and_, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.util import greenlet_spawn

from domain import access
from domain.identity import Identity, Role
from domain.outages import database_unavailable

_DIALECTS = {
    "postgresql": postgresql.asyncpg.dialect(),  # type: ignore[attr-defined]
    "sqlite": sqlite.aiosqlite.dialect(),  # type: ignore[attr-defined]
}

Processors = tuple[tuple[int, Callable[[Any], Any]], ...]  # (row position, result processor)
# A statement compiled for one driver: SQL, parameter names in order, result processors, and
# the bind processors of the spec's own parameters.
Compiled = tuple[str, tuple[str, ...], Processors, dict[str, Callable[[Any], Any]]]


class Reader:
    """Where the compiled read path runs one request's statements: on the driver connection
    (asyncpg, aiosqlite) under a pooled SQLAlchemy connection, with no transaction.

    Each statement reads its own snapshot, as it would inside a READ COMMITTED transaction on
    PostgreSQL, so BEGIN and ROLLBACK would add two round trips and change no answer (ADR
    0006). Every statement's SQL is compiled once per shape (SQLAlchemy's cache key) and run
    with its parameters, skipping SQLAlchemy's per-execution work. SQLite's values go through
    the column types' own result processors, so both databases give the values SQLAlchemy
    would; enum columns hold the member's name.
    """

    # Called with each statement run on the driver directly (SQLAlchemy's events do not see
    # those): tests and the benchmark count statements with it.
    observers: ClassVar[list[Callable[[str], None]]] = []
    # When tracing is on, a context manager around each of those statements, called with the
    # database's name and the SQL (gateway.observability.tracing sets it; None costs nothing).
    span: ClassVar[Callable[[str, str], AbstractContextManager[Any]] | None] = None
    _compiled: ClassVar[OrderedDict[Any, tuple[Any, Processors]]] = OrderedDict()
    max_compiled: ClassVar[int] = 512

    def __init__(self, dialect: str, driver: Any) -> None:
        self.dialect = dialect
        self.postgresql = dialect == "postgresql"
        self.driver = driver  # the asyncpg or aiosqlite connection

    @classmethod
    async def open(cls, connection: AsyncConnection) -> Reader:
        raw = await connection.get_raw_connection()
        return cls(connection.dialect.name, raw.driver_connection)

    async def fetch_sql(
        self, sql: str, arguments: Sequence[Any], processors: Processors = ()
    ) -> list[Sequence[Any]]:
        """Rows of SQL compiled for this database, with the columns' result processors."""
        for observer in self.observers:
            observer(sql)
        span = Reader.span
        if span is not None:
            with span(self.dialect, sql):
                return await self._fetch(sql, arguments, processors)
        return await self._fetch(sql, arguments, processors)

    async def _fetch(
        self, sql: str, arguments: Sequence[Any], processors: Processors
    ) -> list[Sequence[Any]]:
        if self.postgresql:
            return await self.driver.fetch(sql, *arguments)  # type: ignore[no-any-return]
        rows = await self.driver.execute_fetchall(sql, arguments)
        if not processors:
            return list(rows)
        processed = []
        for row in rows:
            values = list(row)
            for position, process in processors:
                values[position] = process(values[position])
            processed.append(values)
        return processed

    async def rows(self, statement: Select[Any]) -> list[Sequence[Any]]:
        """Rows of a Core SELECT."""
        cache_key = statement._generate_cache_key()
        assert cache_key is not None
        entry = self._compiled.get((self.dialect, cache_key.key))
        if entry is None:
            dialect = _DIALECTS[self.dialect]
            compiled = statement.compile(dialect=dialect, cache_key=cache_key)
            processors = () if self.postgresql else result_processors(statement.selected_columns)
            entry = self._compiled[(self.dialect, cache_key.key)] = (compiled, processors)
            if len(self._compiled) > self.max_compiled:
                self._compiled.popitem(last=False)
        compiled, processors = entry
        parameters = compiled.construct_params(extracted_parameters=cache_key.bindparams)
        return await self._run(compiled, parameters, processors)

    async def rows_prepared(
        self, key: Any, build: Callable[[], Select[Any]], values: dict[str, Any]
    ) -> list[Sequence[Any]]:
        """Rows of the statement `build` makes, built and compiled once per `key` and database.

        For statements whose shape `key` determines wholly and whose every per-request value is
        a named parameter (`values`): a request then builds no statement and no cache key,
        which `rows` does each time (a GROUP BY's construction costs more than its rows)."""
        entry = self._compiled.get((self.dialect, "prepared", key))
        if entry is None:
            statement = build()
            compiled = statement.compile(dialect=_DIALECTS[self.dialect])
            processors = () if self.postgresql else result_processors(statement.selected_columns)
            entry = self._compiled[(self.dialect, "prepared", key)] = (compiled, processors)
            if len(self._compiled) > self.max_compiled:
                self._compiled.popitem(last=False)
        compiled, processors = entry
        return await self._run(compiled, compiled.construct_params(params=values), processors)

    async def copy_csv(self, statement: Select[Any], sink: Callable[[bytes], Any]) -> None:
        """PostgreSQL's `COPY (statement) TO STDOUT (FORMAT csv)`, each batch of whole rows
        handed to `sink` (awaited: while it waits, the driver reads no more)."""
        assert self.postgresql
        compiled = statement.compile(dialect=_DIALECTS[self.dialect])
        sql, arguments = self._arguments(compiled, compiled.construct_params())
        for observer in self.observers:
            observer(f"COPY ({sql}) TO STDOUT (FORMAT csv)")
        # asyncpg inlines the arguments as quoted literals (COPY takes no parameters).
        await self.driver.copy_from_query(sql, *arguments, output=sink, format="csv")

    async def _run(
        self, compiled: Any, parameters: dict[str, Any], processors: Processors
    ) -> list[Sequence[Any]]:
        sql, arguments = self._arguments(compiled, parameters)
        return await self.fetch_sql(sql, arguments, processors)

    @staticmethod
    def _arguments(compiled: Any, parameters: dict[str, Any]) -> tuple[str, list[Any]]:
        # Expands IN lists, whose length varies per request, into one parameter each.
        expanded = compiled.construct_expanded_state(parameters)
        # The statement's own bind processors (a Decimal or a date bound on SQLite), and
        # those of the parameters an IN list expanded into.
        bind = {**compiled._bind_processors, **expanded.processors}
        names = expanded.positiontup or ()
        arguments = [
            bind[name](value) if name in bind else value
            for name, value in zip(names, expanded.positional_parameters, strict=True)
        ]
        return expanded.statement, arguments

    async def scalar(self, statement: Select[Any]) -> Any:
        rows = await self.rows(statement)
        return rows[0][0] if rows else None


class Readers:
    """Hands out the Reader of each compiled read.

    PostgreSQL: a pooled connection per request. SQLite: requests in flight at the same time
    share one connection, kept `linger_seconds` after the last of them ends for the next one,
    then returned to the pool (and at shutdown, `close`). aiosqlite runs a connection's
    statements one after another on its own thread; a connection (and a thread) per concurrent
    request only adds thread switches, since SQLite reads one file in this process anyway, and
    checking a connection out and in costs two more. Sharing is safe because the Reader runs
    no transaction.
    """

    linger_seconds = 1.0

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.shared = engine.dialect.name == "sqlite"
        self._current: tuple[AsyncConnection, Reader] | None = None
        self._users = 0
        self._opening = asyncio.Lock()
        self._idle_since = 0.0
        self._closer: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def lazy(self) -> AsyncIterator[Reader]:
        """A Reader that takes its connection when its first statement runs: an operation
        that reads nothing (`{ __typename }`, a refused argument) checks none out."""
        async with contextlib.AsyncExitStack() as stack:
            yield _LazyReader(self, stack)

    @contextlib.asynccontextmanager
    async def reader(self) -> AsyncIterator[Reader]:
        if not self.shared:
            # The pool's connection itself, without an AsyncConnection around it: one greenlet
            # to check it out and one to check it in (an AsyncConnection costs three, and a
            # task to shield its close: 160 against 50 microseconds of CPU per request).
            pooled = await greenlet_spawn(self.engine.sync_engine.raw_connection)
            try:
                yield Reader(self.engine.dialect.name, pooled.driver_connection)
            except Exception as error:
                if database_unavailable(error):
                    await self._forget_broken(pooled, error)
                raise
            finally:
                await greenlet_spawn(pooled.close)
            return
        current = self._current
        if current is None:
            async with self._opening:
                if self._current is None:
                    connection = await self.engine.connect()
                    self._current = (connection, await Reader.open(connection))
                current = self._current
        self._users += 1
        try:
            yield current[1]
        finally:
            self._users -= 1
            if self._users == 0:
                self._idle_since = asyncio.get_running_loop().time()
                if self._closer is None:
                    self._closer = asyncio.create_task(self._close_when_idle())

    async def _forget_broken(self, pooled: Any, error: Exception) -> None:
        """What SQLAlchemy does when one of its own statements meets a lost connection, which
        it cannot see here (the Reader talks to the driver): this connection is discarded, and
        so is every pooled one opened before it, which the same restart broke."""
        await greenlet_spawn(pooled.invalidate, error)
        await self.engine.dispose()

    async def _close_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._current is not None:
                idle_for = loop.time() - self._idle_since
                if self._users == 0 and idle_for >= self.linger_seconds:
                    # A request may open a new shared connection meanwhile: look again.
                    await self.close()
                    continue
                await asyncio.sleep(self.linger_seconds - idle_for if self._users == 0 else 0.5)
        finally:
            self._closer = None

    async def close(self) -> None:
        """Returns the shared connection to the pool (after a while idle)."""
        current, self._current = self._current, None
        if current is not None:
            await current[0].close()

    async def shutdown(self) -> None:
        """At the app's shutdown: no connection (and no aiosqlite thread) outlives it."""
        if self._closer is not None:
            self._closer.cancel()
        await self.close()


class _LazyReader(Reader):
    """A Reader that takes its connection at its first statement (Readers.lazy)."""

    def __init__(self, readers: Readers, stack: contextlib.AsyncExitStack) -> None:
        super().__init__(readers.engine.dialect.name, None)
        self._readers, self._stack = readers, stack
        self._reader: Reader | None = None

    async def fetch_sql(
        self, sql: str, arguments: Sequence[Any], processors: Processors = ()
    ) -> list[Sequence[Any]]:
        if self._reader is None:
            self._reader = await self._stack.enter_async_context(self._readers.reader())
            self.driver = self._reader.driver
        return await self._reader.fetch_sql(sql, arguments, processors)


def result_processors(columns: Sequence[Any], offset: int = 0) -> Processors:
    """SQLite's result processors of `columns` (a Decimal from REAL, a bool from 0/1, a
    timestamp from text...), except enums, which stay as the stored name."""
    dialect = _DIALECTS["sqlite"]
    found = []
    for position, column in enumerate(columns, start=offset):
        if getattr(column.type, "enum_class", None) is not None:
            continue
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            found.append((position, process))
    return tuple(found)


@dataclass(frozen=True)
class TableRef:
    """A table in the statement: the base (parent None) or a to-one joined from another one."""

    model: Any  # its own table is read: `Model.__table__`
    parent: int | None = None  # index of the table it hangs from
    via: str | None = None  # that table's column holding this table's primary key


@dataclass(frozen=True)
class BatchSpec:
    """What one batched statement reads."""

    tables: tuple[TableRef, ...]
    columns: tuple[tuple[int, str], ...]  # (table index, column name)
    key: str | None  # column of the base matched against the keys; None reads every row
    order: tuple[str, ...]  # columns of the base, after the key
    # (link model, its key attribute, its column joined, the base's column; "id" if left out)
    through: tuple[Any, ...] | None = None
    # Conditions on the base's columns with a parameter given at each fetch:
    # (column, operator, parameter name), e.g. ("started_at", ">=", "start").
    where: tuple[tuple[str, str, str], ...] = ()


class CompiledBatch:
    """A BatchSpec turned into a statement once per kind of caller, runnable for any keys.

    Staff who see every row share one statement; subscribers and resellers each get one that
    carries their row filters (domain.access) with their owner's key as a parameter, on the
    base table's WHERE and on each folded table's join, exactly as their ORM session would.
    """

    def __init__(self, spec: BatchSpec) -> None:
        self.spec = spec
        self.key_offset = 0 if spec.key is None and spec.through is None else 1
        self._statements: dict[Role | None, _Statement] = {}

    @property
    def models(self) -> list[Any]:
        """The models whose tables the statement reads, in the statement's order."""
        found = [ref.model for ref in self.spec.tables]
        if self.spec.through is not None:
            found.append(self.spec.through[0])
        return found

    def _statement(self, role: Role | None) -> _Statement:
        statement = self._statements.get(role)
        if statement is None:
            statement = self._statements[role] = _Statement(self.spec, role)
        return statement

    async def fetch(
        self,
        reader: Reader,
        keys: Sequence[int] | None,
        identity: Identity | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> list[Sequence[Any]]:
        """Rows for `keys` (every row when the spec has no key), ordered by key then `order`,
        that `identity` may see (every row when None or staff); `parameters` are the values
        of the spec's `where` conditions.

        Each row is a tuple: the matched key first (when there is one), then the columns.
        Enum columns hold the member's name on both databases.
        """
        if keys is not None and not keys:
            return []
        keys = list(keys or ())
        role = None
        owner = None
        # Staff see every row of the tables they may read; the caller checked those
        # permissions for the whole plan (gateway.execution.compiled).
        if identity is not None and identity.role is not Role.STAFF:
            role, owner = identity.role, access.owner_key(identity)
        statement = self._statement(role)
        # SQLite reads the keys from one JSON array parameter.
        key_values = keys if reader.postgresql else orjson.dumps(keys).decode()
        values = {"keys": key_values, "owner": owner}
        sql, names, processors, binds = statement.compiled(reader.dialect)
        for name, value in (parameters or {}).items():
            # The column type's own conversion (a UTC instant as SQLite's stored text).
            values[name] = binds[name](value) if name in binds else value
        return await reader.fetch_sql(sql, [values[name] for name in names], processors)


class _Statement:
    """One BatchSpec's statement for one kind of caller (None: sees every row)."""

    def __init__(self, spec: BatchSpec, role: Role | None) -> None:
        # Row filters are written for one owner; the owner's key is this parameter.
        owner = bindparam("owner", type_=Integer)
        scope = None if role is None else Identity(subject="compiled", role=role)
        aliases: list[FromClause] = []
        from_clause: FromClause | None = None
        filters: list[ColumnElement[bool]] = []
        for index, ref in enumerate(spec.tables):
            # A service kind's model maps its own table; `service` is the base TableRef.
            alias = ref.model.__table__.alias(f"t{index}")
            criterion = _adapted(ref.model, scope, owner, alias, base=ref.parent is None)
            if from_clause is None:
                from_clause = alias
                if criterion is not None:
                    filters.append(criterion)
            else:
                assert ref.parent is not None
                on = alias.c.id == aliases[ref.parent].c[ref.via or "id"]
                # A row the caller may not see reads as a missing to-one (null), not as a
                # missing parent: its filter goes into the join.
                on = on if criterion is None else and_(on, criterion)
                from_clause = from_clause.outerjoin(alias, on)
            aliases.append(alias)
        assert from_clause is not None
        base = aliases[0]
        self.columns = [aliases[index].c[attribute] for index, attribute in spec.columns]
        order = [base.c[attribute] for attribute in spec.order]
        key_column: ColumnElement[Any] | None = None
        if spec.through is not None:
            link_model, link_key, link_target, *joined = spec.through
            link = link_model.__table__.alias("link")
            base_column = base.c[joined[0] if joined else "id"]
            from_clause = from_clause.join(link, link.c[link_target] == base_column)
            key_column = link.c[link_key]
            criterion = _adapted(link_model, scope, owner, link, base=True)
            if criterion is not None:
                filters.append(criterion)
        elif spec.key is not None:
            key_column = base.c[spec.key]
        operators = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le,
                     "=": operator.eq}  # fmt: skip
        for column, comparison, name in spec.where:
            compared = base.c[column]
            filters.append(operators[comparison](compared, bindparam(name, type_=compared.type)))
        selected = self.columns if key_column is None else [key_column, *self.columns]
        self._core: Select[Any] = select(*selected).select_from(from_clause).where(*filters)
        self._key_column = key_column
        self._order = ([key_column] if key_column is not None else []) + order
        self._parameters = tuple(name for _, _, name in spec.where)
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: str) -> Compiled:
        """The SQL for `dialect`'s driver, compiled once, its parameters' order and (SQLite)
        its columns' result processors. The keys are one parameter whatever their number:
        `= ANY($1)` on asyncpg, `IN` a JSON array's values on aiosqlite."""
        found = self._compiled.get(dialect)
        if found is None:
            statement = self._core
            if self._key_column is not None:
                if dialect == "postgresql":
                    keys: Any = any_(bindparam("keys", type_=ARRAY(Integer)))
                    statement = statement.where(self._key_column == keys)
                else:
                    values = func.json_each(bindparam("keys", type_=String)).table_valued("value")
                    statement = statement.where(self._key_column.in_(select(values.c.value)))
            compiled = statement.order_by(*self._order).compile(dialect=_DIALECTS[dialect])
            offset = 0 if self._key_column is None else 1
            processors = () if dialect == "postgresql" else result_processors(self.columns, offset)
            binds = {
                name: process
                for name, process in compiled._bind_processors.items()
                if name in self._parameters
            }
            found = self._compiled[dialect] = (
                str(compiled),
                tuple(compiled.positiontup or ()),
                processors,
                binds,
            )
        return found


def _adapted(
    model: Any, scope: Identity | None, owner: Any, alias: FromClause, *, base: bool
) -> ColumnElement[bool] | None:
    """`model`'s row filter for `scope`, rewritten onto `alias`."""
    if scope is None:
        return None
    if base and model not in access.POLICIES:
        # A table without its own policy is only safe under its base's filtered row.
        raise ValueError(f"{model.__name__} has no policy of its own to filter it by")
    criterion = access.row_filter(model, scope, owner)
    if criterion is None:
        return None
    return ClauseAdapter(alias).traverse(criterion)  # type: ignore[no-any-return]
