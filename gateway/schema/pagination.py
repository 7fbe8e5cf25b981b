"""Offset cursors of the portal's connection statement (a period's sessions, newest first).

Relay connections page by keyset instead (gateway/schema/keyset.py, ADR 0150)."""

from __future__ import annotations

import base64
import binascii

from graphql import GraphQLError

from domain.i18n import _
from domain.rules.keys import parse_count

_PREFIX = "offset:"


def offset_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def parse_cursor(cursor: str, argument: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    offset = parse_count(text[len(_PREFIX) :]) if text.startswith(_PREFIX) else None
    if offset is None:
        raise GraphQLError(
            str(_("`{argument}` is not a cursor of this connection.", argument=argument)),
            extensions={"code": "BAD_USER_INPUT", "argument": argument},
        )
    return offset
