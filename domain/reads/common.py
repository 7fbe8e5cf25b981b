"""Generic batched reads: rows by primary key, rows by a foreign key, whole catalog tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Base

ModelT = TypeVar("ModelT", bound=Base)


async def by_ids(session: AsyncSession, model: type[ModelT], ids: Sequence[Any]) -> list[ModelT]:
    """Rows of `model` whose primary key is in `ids`, in key order (misses are absent)."""
    pk = model.__mapper__.primary_key[0]
    result = await session.scalars(select(model).where(pk.in_(list(ids))).order_by(pk))
    return list(result)


def _primary_key(model: Any) -> list[Any]:
    return list(model.__mapper__.primary_key)


async def by_keys(
    session: AsyncSession, model: type[ModelT], column: str, keys: Sequence[Any]
) -> list[ModelT]:
    """Rows of `model` whose `column` is in `keys`, ordered by that column then primary key."""
    key_column = getattr(model, column)
    order = [key_column, *(pk for pk in _primary_key(model) if pk.name != column)]
    statement = select(model).where(key_column.in_(list(keys))).order_by(*order)
    return list(await session.scalars(statement))


async def all_rows(session: AsyncSession, model: type[ModelT]) -> list[ModelT]:
    """Every row of a (small, catalog) table, by primary key."""
    return list(await session.scalars(select(model).order_by(*_primary_key(model))))


async def rows(session: AsyncSession, statement: Any) -> list[Any]:
    """The rows (tuples) of a statement built by a domain read, run on a scoped session.

    Enum columns come back as their members' names, as on the compiled read path's driver
    connection, so code reading the rows reads them the same way on both paths.
    """
    result = await session.execute(statement)
    enum_positions = [
        index
        for index, column in enumerate(statement.selected_columns)
        if getattr(column.type, "enum_class", None) is not None
    ]
    if not enum_positions:
        return [tuple(row) for row in result]
    out = []
    for row in result:
        values = list(row)
        for index in enum_positions:
            if values[index] is not None:
                values[index] = values[index].name
        out.append(tuple(values))
    return out
