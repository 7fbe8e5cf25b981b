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


async def by_keys(
    session: AsyncSession, model: type[ModelT], column: str, keys: Sequence[Any]
) -> list[ModelT]:
    """Rows of `model` whose `column` is in `keys`, ordered by that column then primary key."""
    pk = model.__mapper__.primary_key[0]
    key_column = getattr(model, column)
    statement = select(model).where(key_column.in_(list(keys))).order_by(key_column, pk)
    return list(await session.scalars(statement))


async def all_rows(session: AsyncSession, model: type[ModelT]) -> list[ModelT]:
    """Every row of a (small, catalog) table, by primary key."""
    pk = model.__mapper__.primary_key[0]
    return list(await session.scalars(select(model).order_by(pk)))
