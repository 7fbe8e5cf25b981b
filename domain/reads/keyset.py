"""Keyset pages: an ordering that ends with the primary key, and the rows after (or before) one.

A page after a row is `WHERE (sort key) > (that row's sort key) ORDER BY sort key LIMIT n`, so
page 1,000 costs what page 1 costs wherever an index serves the ordering (ADR 0150). NULL sorts
after every value (PostgreSQL's own default: NULLS LAST ascending, NULLS FIRST descending), on
both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, literal, or_, tuple_
from sqlalchemy.sql import ColumnElement


@dataclass(frozen=True)
class SortKey:
    """One term of an ordering: a column, its direction, and whether it holds NULLs."""

    column: ColumnElement[Any]
    descending: bool = False
    nullable: bool = False


def order_by(keys: Sequence[SortKey], *, backward: bool = False) -> list[Any]:
    """ORDER BY clauses of `keys` (reversed when reading a page backward, for `last`)."""
    clauses = []
    for key in keys:
        descending = key.descending != backward
        clause = key.column.desc() if descending else key.column.asc()
        if key.nullable:
            clause = clause.nulls_first() if descending else clause.nulls_last()
        clauses.append(clause)
    return clauses


def _bound(key: SortKey, value: Any) -> Any:
    return literal(value, key.column.type)


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == _bound(key, value)


def _beyond(key: SortKey, value: Any, descending: bool) -> ColumnElement[bool]:
    """Rows that sort after `value` in this direction (NULL is the greatest value)."""
    if value is None:
        return key.column.is_not(None) if descending else false()
    beyond = key.column < _bound(key, value) if descending else key.column > _bound(key, value)
    if key.nullable and not descending:
        return or_(beyond, key.column.is_(None))
    return beyond


def after(
    keys: Sequence[SortKey], values: Sequence[Any], *, backward: bool = False
) -> ColumnElement[bool]:
    """Rows strictly after the row whose sort key is `values` (before it when `backward`).

    Without NULLs and in one direction this is a row-value comparison, which both databases
    answer from an index on the columns; otherwise the lexicographic OR, led by a bound on the
    first column so that an index on it still narrows the scan.
    """
    directions = [key.descending != backward for key in keys]
    if len(keys) == 1:
        return _beyond(keys[0], values[0], directions[0])
    if not any(key.nullable for key in keys) and len(set(directions)) == 1:
        left = tuple_(*(key.column for key in keys))
        right = tuple_(*(_bound(key, value) for key, value in zip(keys, values, strict=True)))
        return left < right if directions[0] else left > right
    terms = []
    for index, key in enumerate(keys):
        beyond = _beyond(key, values[index], directions[index])
        equal = [_equal(keys[j], values[j]) for j in range(index)]
        terms.append(and_(*equal, beyond))
    condition = or_(*terms)
    first = keys[0]
    if not first.nullable:
        bound = _bound(first, values[0])
        lead = first.column <= bound if directions[0] else first.column >= bound
        condition = and_(lead, condition)
    return condition
