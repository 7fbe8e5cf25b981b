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
