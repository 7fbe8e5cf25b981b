"""Batched row reads for the compiled read path: one statement per relation level.

A `BatchSpec` names what to read (a base table, to-one tables folded in with LEFT JOINs, the
columns, the key to match and the order); `CompiledBatch` turns it into a statement once and runs
it for any list of keys. On PostgreSQL the statement's SQL is compiled once and run on the
asyncpg connection under the session (`= ANY($1)`), skipping SQLAlchemy's per-execution work;
on SQLite it runs through SQLAlchemy Core, whose type processing gives the same Python values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Integer, Select, any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause

_PG_DIALECT = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]


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
    """A BatchSpec turned into a statement once, runnable for any keys."""

    # Called with each statement run on the driver directly (SQLAlchemy's events do not see
    # those): tests and the benchmark count statements with it.
    observers: ClassVar[list[Callable[[str], None]]] = []

    def __init__(self, spec: BatchSpec) -> None:
        self.spec = spec
        aliases: list[FromClause] = []
        from_clause: FromClause | None = None
        for index, ref in enumerate(spec.tables):
            # A service kind's model maps its own table; `service` is the base TableRef.
            alias = ref.model.__table__.alias(f"t{index}")
            if from_clause is None:
                from_clause = alias
            else:
                assert ref.parent is not None
                on = aliases[ref.parent].c[ref.via or "id"]
                from_clause = from_clause.outerjoin(alias, alias.c.id == on)
            aliases.append(alias)
        assert from_clause is not None
        base = aliases[0]
        columns = [aliases[index].c[attribute] for index, attribute in spec.columns]
        order = [base.c[attribute] for attribute in spec.order]
        key_column: ColumnElement[Any] | None = None
        if spec.through is not None:
            link_model, link_key, link_target = spec.through
            link = link_model.__table__.alias("link")
            from_clause = from_clause.join(link, link.c[link_target] == base.c.id)
            key_column = link.c[link_key]
        elif spec.key is not None:
            key_column = base.c[spec.key]
        statement: Select[Any] = select(
            *(columns if key_column is None else [key_column, *columns])
        )
        self._core = statement.select_from(from_clause)
        self._key_column = key_column
        self.key_offset = 0 if key_column is None else 1
        self._order = ([key_column] if key_column is not None else []) + order
        self._pg_sql: str | None = None
        self.enum_positions = tuple(
            position + self.key_offset
            for position, column in enumerate(columns)
            if getattr(column.type, "enum_class", None) is not None
        )

    def _keyed(self, keys_clause: ColumnElement[bool] | None) -> Select[Any]:
        statement = self._core if keys_clause is None else self._core.where(keys_clause)
        return statement.order_by(*self._order)

    def _postgresql_sql(self) -> str:
        if self._pg_sql is None:
            clause = None
            if self._key_column is not None:
                clause = self._key_column == any_(bindparam("keys", type_=ARRAY(Integer)))
            self._pg_sql = str(self._keyed(clause).compile(dialect=_PG_DIALECT))
        return self._pg_sql

    async def fetch(
        self, session: AsyncSession | AsyncConnection, keys: Sequence[int] | None
    ) -> list[Sequence[Any]]:
        """Rows for `keys` (every row when the spec has no key), ordered by key then `order`.

        Each row is a tuple: the matched key first (when there is one), then the columns.
        Enum columns hold the member's name on both databases.
        """
        if keys is not None and not keys:
            return []
        connection = session if isinstance(session, AsyncConnection) else await session.connection()
        if connection.dialect.name == "postgresql":
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            args = [] if self._key_column is None else [list(keys or ())]
            sql = self._postgresql_sql()
            for observer in self.observers:
                observer(sql)
            return await driver.fetch(sql, *args)  # type: ignore[union-attr]
        clause = None
        if self._key_column is not None:
            clause = self._key_column.in_(bindparam("keys", expanding=True))
        params = {} if self._key_column is None else {"keys": list(keys or ())}
        result = await connection.execute(self._keyed(clause), params)
        rows = [tuple(row) for row in result]
        if self.enum_positions:
            rows = [_enum_names(row, self.enum_positions) for row in rows]
        return rows


def _enum_names(row: tuple[Any, ...], positions: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for position in positions:
        value = values[position]
        if isinstance(value, enum.Enum):
            values[position] = value.name
    return tuple(values)
