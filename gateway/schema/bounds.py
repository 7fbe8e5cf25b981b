"""Bounds on what a client may send: every string, list and decimal input has one (ADR 0120).

Nothing has to be declared for an input to be bounded: `gateway.execution.inputs` checks every
String and ID against `MAX_STRING` and refuses control characters in them, every list against
`MAX_ITEMS`, and every Decimal against the money column (`MONEY`: 12 digits, 2 of them
decimals). A field that needs another bound says so where it is declared:

    description: str = bounded(max_length=4000, multiline=True, description="What is wrong.")
    fields: list[ExtraFieldInput] = bounded(max_items=50, description="The fields to set.")

and an argument of a resolver with `Annotated[str, strawberry.argument(metadata=...)]` and
`bound(...)`. The schema's descriptions say every list's bound and every declared string bound,
from the same numbers the check uses (`gateway.execution.inputs.describe_bounds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter

from domain.models.base import MONEY

# A single-line value: names, logins, ids, cursors, searches. The widest such column is 254.
MAX_STRING = 255
# Items of any list input: every list argument ends up as the parameters of one statement, and
# PostgreSQL's driver takes at most 32,767 of them.
MAX_ITEMS = 100
# Decimal inputs are money: Numeric(12, 2).
MONEY_DIGITS = MONEY.precision
MONEY_PLACES = MONEY.scale

# Metadata keys read by the check.
MAX_LENGTH_KEY = "gateway.max_length"
MAX_ITEMS_KEY = "gateway.max_items"
MULTILINE_KEY = "gateway.multiline"


def bound(
    *, max_length: int | None = None, max_items: int | None = None, multiline: bool = False
) -> dict[str, Any]:
    """The metadata of a field or argument with bounds of its own.

    `multiline` free text may hold tabs and line breaks; no other control character is taken.
    """
    metadata: dict[str, Any] = {}
    if max_length is not None:
        metadata[MAX_LENGTH_KEY] = max_length
    if max_items is not None:
        metadata[MAX_ITEMS_KEY] = max_items
    if multiline:
        metadata[MULTILINE_KEY] = True
    return metadata


def bounded(
    *,
    description: str,
    max_length: int | None = None,
    max_items: int | None = None,
    multiline: bool = False,
    **field: Any,
) -> Any:
    """An input field with bounds of its own (`strawberry.field` with their metadata)."""
    return strawberry.field(
        description=description,
        metadata=bound(max_length=max_length, max_items=max_items, multiline=multiline),
        **field,
    )


@dataclass(frozen=True)
class Bounds:
    """The bounds of one field or argument."""

    max_length: int = MAX_STRING
    max_items: int = MAX_ITEMS
    multiline: bool = False


DEFAULT_BOUNDS = Bounds()
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


def bounds_of(definition: GraphQLArgument | GraphQLInputField) -> Bounds:
    """The bounds a field or argument declares in its Strawberry metadata, else the defaults."""
    declared = (definition.extensions or {}).get(_BACKREF)
    metadata = getattr(declared, "metadata", None)
    if not metadata:
        return DEFAULT_BOUNDS
    return Bounds(
        metadata.get(MAX_LENGTH_KEY, MAX_STRING),
        metadata.get(MAX_ITEMS_KEY, MAX_ITEMS),
        bool(metadata.get(MULTILINE_KEY, False)),
    )


def describe_bounds(schema: GraphQLSchema) -> None:
    """Says each list's bound, and each string bound a field declares, in its description, so
    the SDL tells front-end developers the numbers the check uses. Run once, on the built
    schema (gateway.resolvers.root)."""
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        if isinstance(named, GraphQLInputObjectType):
            for field in named.fields.values():
                field.description = _described(field)
        elif isinstance(named, GraphQLObjectType):
            for object_field in named.fields.values():
                for argument in object_field.args.values():
                    argument.description = _described(argument)


def _described(definition: GraphQLArgument | GraphQLInputField) -> str | None:
    description = definition.description
    bounds = bounds_of(definition)
    type_ = definition.type
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        note = f"At most {bounds.max_items} items."
    elif bounds.max_length != MAX_STRING:
        note = f"At most {bounds.max_length} characters."
    else:
        return description
    if description and note in description:
        return description
    return f"{description.rstrip()} {note}" if description else note
