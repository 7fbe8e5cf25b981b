"""Relay connection arithmetic over offsets: first/after/last/before -> one window of rows."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from graphql import GraphQLError

_PREFIX = "offset:"


def offset_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def parse_cursor(cursor: str, argument: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise GraphQLError(f"`{argument}` is not a cursor of this connection.")
    return int(text[len(_PREFIX) :])


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
            raise GraphQLError(f"`{name}` must be between 0 and {max_size}; got {value}.")
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
