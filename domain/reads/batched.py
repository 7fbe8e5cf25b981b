"""Batched row reads for the compiled read path: one statement per relation level.

A `BatchSpec` names what to read (a base table, to-one tables folded in with LEFT JOINs, the
columns, the key to match and the order); `CompiledBatch` turns it into a statement once and runs
it for any list of keys. On PostgreSQL the statement's SQL is compiled once and run on the
asyncpg connection under the session (`= ANY($1)`), skipping SQLAlchemy's per-execution work;
on SQLite it runs through SQLAlchemy Core, whose type processing gives the same Python values.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Integer, Select, and_, any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Executable, FromClause
from sqlalchemy.sql.util import ClauseAdapter

from domain import access
from domain.identity import Identity, Role

_PG_DIALECT = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]


class Reader:
    """Where the compiled read path runs one request's statements.

    On PostgreSQL: the asyncpg connection under a pooled SQLAlchemy connection, with no
    transaction around the statements. At READ COMMITTED each statement reads its own snapshot,
    inside a transaction or not, so BEGIN and ROLLBACK would add two round trips and change no
    answer (ADR 0006). Every statement's SQL is compiled once per shape (SQLAlchemy's cache
    key) and run with its parameters, skipping SQLAlchemy's per-execution work.
    On SQLite: the SQLAlchemy connection, whose deferred transaction is the snapshot.
    """

    # Called with each statement run on the driver directly (SQLAlchemy's events do not see
    # those): tests and the benchmark count statements with it.
    observers: ClassVar[list[Callable[[str], None]]] = []
    _compiled: ClassVar[OrderedDict[Any, Any]] = OrderedDict()
    max_compiled: ClassVar[int] = 512

    def __init__(self, connection: AsyncConnection, driver: Any | None = None) -> None:
        self.connection = connection
        self.driver = driver  # the asyncpg connection, on PostgreSQL

    @classmethod
    async def open(cls, connection: AsyncConnection) -> Reader:
        if connection.dialect.name != "postgresql":
            return cls(connection)
        raw = await connection.get_raw_connection()
        return cls(connection, raw.driver_connection)

    async def fetch_sql(self, sql: str, arguments: Sequence[Any]) -> list[Sequence[Any]]:
        """Rows of SQL written for asyncpg, on the driver (PostgreSQL only)."""
        for observer in self.observers:
            observer(sql)
        return await self.driver.fetch(sql, *arguments)  # type: ignore[union-attr, no-any-return]

    async def rows(self, statement: Executable) -> list[Sequence[Any]]:
        """Rows of a Core statement; enum columns hold the member's name on both databases."""
        if self.driver is None:
            result = await self.connection.execute(statement)
            return [tuple(_name(value) for value in row) for row in result]
        cache_key = statement._generate_cache_key()  # type: ignore[attr-defined]
        compiled = self._compiled.get(cache_key.key)
        if compiled is None:
            compiled = statement.compile(dialect=_PG_DIALECT, cache_key=cache_key)
            self._compiled[cache_key.key] = compiled
            if len(self._compiled) > self.max_compiled:
                self._compiled.popitem(last=False)
        parameters = compiled.construct_params(extracted_parameters=cache_key.bindparams)
        # Expands IN lists, whose length varies per request, into one parameter each.
        expanded = compiled.construct_expanded_state(parameters)
        processors, names = expanded.processors, expanded.positiontup or ()
        arguments = [
            processors[name](value) if name in processors else value
            for name, value in zip(names, expanded.positional_parameters, strict=True)
        ]
        return await self.fetch_sql(expanded.statement, arguments)

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.rows(statement)
        return rows[0][0] if rows else None


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
    through: tuple[Any, str, str] | None = None  # (link model, its key attribute, its target)


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
        columns = self._statement(None).columns
        self.enum_positions = tuple(
            position + self.key_offset
            for position, column in enumerate(columns)
            if getattr(column.type, "enum_class", None) is not None
        )

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
    ) -> list[Sequence[Any]]:
        """Rows for `keys` (every row when the spec has no key), ordered by key then `order`,
        that `identity` may see (every row when None or when it sees everything).

        Each row is a tuple: the matched key first (when there is one), then the columns.
        Enum columns hold the member's name on both databases.
        """
        if keys is not None and not keys:
            return []
        role = None
        owner = None
        if identity is not None and not access.sees_everything(identity):
            if identity.role is Role.STAFF:
                raise ValueError("staff lacking a read permission are answered by the session")
            role, owner = identity.role, access.owner_key(identity)
        statement = self._statement(role)
        values: dict[str, Any] = {"keys": list(keys or ()), "owner": owner}
        if reader.driver is not None:
            sql, names = statement.postgresql()
            return await reader.fetch_sql(sql, [values[name] for name in names])
        params = {name: values[name] for name in statement.parameters}
        result = await reader.connection.execute(statement.portable(), params)
        rows = [tuple(row) for row in result]
        if self.enum_positions:
            rows = [_enum_names(row, self.enum_positions) for row in rows]
        return rows


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
            link_model, link_key, link_target = spec.through
            link = link_model.__table__.alias("link")
            from_clause = from_clause.join(link, link.c[link_target] == base.c.id)
            key_column = link.c[link_key]
            criterion = _adapted(link_model, scope, owner, link, base=True)
            if criterion is not None:
                filters.append(criterion)
        elif spec.key is not None:
            key_column = base.c[spec.key]
        selected = self.columns if key_column is None else [key_column, *self.columns]
        self._core: Select[Any] = select(*selected).select_from(from_clause).where(*filters)
        self._key_column = key_column
        self._order = ([key_column] if key_column is not None else []) + order
        self.parameters = (("keys",) if key_column is not None else ()) + (
            ("owner",) if scope is not None else ()
        )
        self._pg: tuple[str, tuple[str, ...]] | None = None

    def portable(self) -> Select[Any]:
        statement = self._core
        if self._key_column is not None:
            statement = statement.where(self._key_column.in_(bindparam("keys", expanding=True)))
        return statement.order_by(*self._order)

    def postgresql(self) -> tuple[str, tuple[str, ...]]:
        """The SQL for asyncpg (`= ANY($1)`), compiled once, and its parameters' order."""
        if self._pg is None:
            statement = self._core
            if self._key_column is not None:
                keys = bindparam("keys", type_=ARRAY(Integer))
                statement = statement.where(self._key_column == any_(keys))
            compiled = statement.order_by(*self._order).compile(dialect=_PG_DIALECT)
            self._pg = (str(compiled), tuple(compiled.positiontup or ()))
        return self._pg


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


def _name(value: Any) -> Any:
    return value.name if isinstance(value, enum.Enum) else value


def _enum_names(row: tuple[Any, ...], positions: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for position in positions:
        values[position] = _name(values[position])
    return tuple(values)
