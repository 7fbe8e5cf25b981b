"""Turning the ids clients send into database keys."""

from __future__ import annotations

from domain.rules.keys import MAX_KEY, parse_key
from gateway.schema.base import from_global_id

__all__ = ["MAX_KEY", "database_id"]


def database_id(raw: str, *type_names: str) -> int | None:
    """The key behind a global id of one of `type_names`, or behind a plain database id.

    Returns None for anything else, so a wrong id reads as "not found", never as an error. A
    plain id is ASCII digits within the key column (domain.rules.keys): "²", "٢" and 2^40
    name no row.
    """
    pk = parse_key(raw)
    if pk is not None:
        return pk
    decoded = from_global_id(raw)
    if decoded is None or decoded[0] not in type_names:
        return None
    return decoded[1]
