"""Turning the ids clients send into database keys."""

from __future__ import annotations

from gateway.schema.base import from_global_id

MAX_KEY = 2**31 - 1


def database_id(raw: str, *type_names: str) -> int | None:
    """The key behind a global id of one of `type_names`, or behind a plain database id.

    Returns None for anything else, so a wrong id reads as "not found", never as an error.
    """
    if raw.isdigit():
        pk = int(raw)
    else:
        decoded = from_global_id(raw)
        if decoded is None or decoded[0] not in type_names:
            return None
        pk = decoded[1]
    # Keys are 32-bit integers; a larger number names no row.
    return pk if 0 < pk <= MAX_KEY else None
