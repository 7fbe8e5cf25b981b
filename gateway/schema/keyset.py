"""Keyset cursors and Relay windows over them (ADR 0150, which replaces ADR 0003).

A cursor is opaque to clients: URL-safe base64 of the JSON `[ordering, sort key values]` and a
checksum. `ordering` names the connection and its ordering (`receivables:DUE_DATE.ASC`), so a
cursor taken under another ordering, or of another connection, is refused with a clear message;
so is one that does not decode, whose checksum does not match (an edited cursor), or whose
values do not fit the ordering's columns. Refusals are `CursorRefused`, which each connection
turns into its ValidationError.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from domain.errors import ValidationFailed
from domain.i18n import _
from domain.reads.reports import PageSpec

_CHECKSUM_KEY = b"isp-gateway keyset cursor"
_CHECKSUM_BYTES = 6


class CursorRefused(ValidationFailed):
    """A cursor that is not one of this connection's, under this ordering."""


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECKSUM_BYTES, key=_CHECKSUM_KEY).digest()


def encode(ordering: str, values: Sequence[Any]) -> str:
    """The cursor of the row whose sort key is `values`."""
    payload = orjson.dumps([ordering, [_json(value) for value in values]])
    return base64.urlsafe_b64encode(payload + _checksum(payload)).decode().rstrip("=")


def _typed(value: Any, python_type: Any, nullable: bool) -> Any:
    """`value` from a cursor's JSON as `python_type`; ValueError when it cannot be one."""
    if value is None:
        if not nullable:
            raise ValueError("null")
        return None
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return python_type[value]
    if python_type is bool or python_type is int:
        if type(value) is not int:
            raise ValueError("not an integer")
        return value
    if python_type is str:
        if not isinstance(value, str):
            raise ValueError("not text")
        return value
    if python_type is Decimal:
        return Decimal(str(value))
    if python_type is dt.datetime:
        instant = dt.datetime.fromisoformat(value)
        if instant.tzinfo is None:
            raise ValueError("naive instant")
        return instant
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    raise ValueError(f"no cursor value of type {python_type}")


@dataclass(frozen=True)
class SortTerm:
    """One value of a sort key as the cursor must carry it."""

    python_type: Any
    nullable: bool = False


def _opened(cursor: str) -> tuple[Any, Any]:
    """(ordering, values) of a cursor this gateway made; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
        if len(raw) <= _CHECKSUM_BYTES or checksum != _checksum(payload):
            raise ValueError("checksum")
        taken_under, values = orjson.loads(payload)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise ValueError("not a cursor") from None
    return taken_under, values


def is_cursor(cursor: str) -> bool:
    """Whether the text is a cursor this gateway made, under any ordering (checked on the
    operation before anything runs; the ordering is checked where the connection reads)."""
    try:
        _opened(cursor)
    except ValueError:
        return False
    return True


def decode(argument: str, cursor: str, ordering: str, terms: Sequence[SortTerm]) -> tuple[Any, ...]:
    """The sort key a cursor carries, for `argument` (`after` or `before`)."""
    try:
        taken_under, values = _opened(cursor)
    except ValueError:
        raise CursorRefused.one(
            argument, _("`{argument}` is not a cursor of this connection.", argument=argument)
        ) from None
    if taken_under != ordering:
        raise CursorRefused.one(
            argument,
            _(
                "`{argument}` is a cursor of another ordering or connection ({taken_under}); this "
                "one is {ordering}. Page again from the start with this ordering.",
                argument=argument,
                taken_under=taken_under,
                ordering=ordering,
            ),
        )
    try:
        if not isinstance(values, list) or len(values) != len(terms):
            raise ValueError("length")
        return tuple(
            _typed(value, term.python_type, term.nullable)
            for value, term in zip(values, terms, strict=True)
        )
    except (ValueError, KeyError, InvalidOperation):
        raise CursorRefused.one(
            argument, _("`{argument}` is not a cursor of this connection.", argument=argument)
        ) from None


@dataclass(frozen=True)
class Window:
    """What a connection's arguments ask of the table, and how to cut the rows read."""

    page: PageSpec
    first: int | None
    last: int | None

    def cut(self, rows: list[Any]) -> tuple[list[Any], bool, bool]:
        """(the page's rows, hasNextPage, hasPreviousPage) from the rows read.

        Paging forward, hasPreviousPage is true when `after` was given; paging backward,
        hasNextPage is true when `before` was given (the Relay spec lets a server answer those
        without reading further; the rows on that side existed when the cursor was taken).
        """
        page = self.page
        if page.backward:
            assert self.last is not None
            has_previous = len(rows) > self.last
            rows = rows[len(rows) - self.last :] if has_previous else rows
            return rows, page.before is not None, has_previous
        assert self.first is not None
        has_next = len(rows) > self.first
        rows = rows[: self.first]
        has_previous = page.after is not None
        if self.last is not None and len(rows) > self.last:
            rows, has_previous = rows[len(rows) - self.last :], True
        return rows, has_next, has_previous


def window(
    *,
    order: tuple[tuple[str, bool], ...],
    ordering: str,
    terms: Sequence[SortTerm],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default_size: int,
    max_size: int,
) -> Window:
    """The keyset page that first/after/last/before ask for (ValidationFailed if refused)."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_size:
            raise ValidationFailed.one(
                name,
                _(
                    "`{argument}` must be between 0 and {maximum}; got {value}.",
                    argument=name,
                    maximum=max_size,
                    value=value,
                ),
            )
    after_key = None if after is None else decode("after", after, ordering, terms)
    before_key = None if before is None else decode("before", before, ordering, terms)
    if first is None and last is None:
        first = default_size
    backward = first is None
    size = last if backward else first
    assert size is not None
    page = PageSpec(order, after_key, before_key, size + 1, backward)
    return Window(page, first, last)
