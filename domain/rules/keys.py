"""Reading the numbers clients send as keys: one parser for every place (ids, paths, claims).

Python's `str.isdigit()` and `int()` accept far more than a client's key: superscripts ("²"
passes isdigit() but int() refuses it), other scripts' digits ("٢" is read as 2), signs,
underscores ("1_000") and surrounding blanks. A key here is 1 to 10 ASCII digits naming a row
of a 32-bit integer key column; anything else names no row.
"""

from __future__ import annotations

import re

# Every table's key is an INTEGER column: PostgreSQL's int4, SQLite's 64-bit integer, and the
# narrower of the two bounds both.
MAX_KEY = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def ascii_digits(text: str, *, max_length: int = 10) -> bool:
    """Whether `text` is 1 to `max_length` ASCII digits and nothing else."""
    return 0 < len(text) <= max_length and text.isascii() and text.isdigit()


def parse_key(raw: object) -> int | None:
    """The row key `raw` names (a str of ASCII digits, or an int), or None.

    Zero, negative numbers and numbers beyond the key column's range name no row; so do
    booleans (a JSON `true` is not a key).
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ASCII_DIGITS.fullmatch(raw):
        value = int(raw)
    else:
        return None
    return value if 0 < value <= MAX_KEY else None


def parse_count(raw: str, *, max_length: int = 18) -> int | None:
    """A non-negative number written in ASCII digits (offsets, versions, sizes), or None."""
    return int(raw) if ascii_digits(raw, max_length=max_length) else None
