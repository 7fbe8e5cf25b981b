"""Declarative base, naming convention and column helpers shared by every aggregate."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    TypeDecorator,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column

# Explicit constraint names keep Alembic's autogenerate stable across PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(12, 2)


class Base(DeclarativeBase):
    """Base class of every mapped table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as its member name in a VARCHAR with a CHECK constraint.

    Portable across PostgreSQL and SQLite, and a new member is a one-line migration of the
    check constraint instead of an ALTER TYPE.
    """
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.name) for m in enum_cls),
        validate_strings=True,
    )


def fk(target: str, *, ondelete: str | None = "CASCADE", nullable: bool = False, **kw: Any) -> Any:
    """A foreign key column with an index: every FK is indexed so joins and deletes stay cheap."""
    return mapped_column(
        Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True, **kw
    )


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp with time zone that always comes back as an aware UTC datetime.

    PostgreSQL does this by itself; SQLite stores text and would return naive datetimes, so
    the two databases would answer the same query differently.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def created_at() -> Mapped[dt.datetime]:
    """A timestamp set on insert: by the ORM in UTC, by the database for raw inserts."""
    return mapped_column(
        UtcDateTime(),
        nullable=False,
        default=utcnow,
        # CURRENT_TIMESTAMP, not now(): SQLite knows only the former.
        server_default=text("CURRENT_TIMESTAMP"),
    )


def money(nullable: bool = False, **kw: Any) -> Mapped[Decimal]:
    return mapped_column(MONEY, nullable=nullable, **kw)


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)


def unique_folded(*columns: InstrumentedAttribute[Any], upper: bool = False) -> Index:
    """A unique index on lower(column) (or upper), so that identifiers people type differing
    only by case cannot both exist, whatever writes them (ADR 0113). The actions store them
    already folded; this is the database's own guard. Named uq_<table>_<columns>_folded."""
    table = columns[0].class_.__tablename__
    names = "_".join(c.key for c in columns)
    fold = func.upper if upper else func.lower
    return Index(f"uq_{table}_{names}_folded", *(fold(c) for c in columns), unique=True)
