"""Relay connection arithmetic over offsets: first/after/last/before -> one window of rows."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from graphql import GraphQLError

from domain.rules.keys import parse_count

_PREFIX = "offset:"


def offset_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _offset(cursor: str) -> int | None:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return parse_count(text[len(_PREFIX) :]) if text.startswith(_PREFIX) else None


def is_cursor(cursor: str) -> bool:
    """Whether the text is a cursor this gateway hands out (checked before anything runs)."""
    return _offset(cursor) is not None


def parse_cursor(cursor: str, argument: str) -> int:
    offset = _offset(cursor)
    if offset is None:
        raise GraphQLError(
            f"`{argument}` is not a cursor of this connection.",
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )
    return offset


@dataclass(frozen=True)
class Window:
    """Rows [start, end) of the whole filtered list, and whether rows exist around them."""

    start: int
    end: int
    total: int

    @property
    def limit(self) -> int:
        return max(0, self.end - self.start)

    @property
    def has_previous_page(self) -> bool:
        return self.start > 0

    @property
    def has_next_page(self) -> bool:
        return self.end < self.total


def window(
    *,
    total: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default_size: int,
    max_size: int,
) -> Window:
    """The slice the Relay cursor connection spec asks for, with a bounded page size."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_size:
            raise GraphQLError(
                f"`{name}` must be between 0 and {max_size}; got {value}.",
                extensions={"code": "BAD_USER_INPUT", "argument": name},
            )
    start, end = 0, total
    if after is not None:
        start = min(max(parse_cursor(after, "after") + 1, 0), total)
    if before is not None:
        end = max(min(parse_cursor(before, "before"), total), start)
    if first is None and last is None:
        first = default_size
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    return Window(start=start, end=end, total=total)
