"""Every type, field, argument, input field and enum value of the schema carries a description.

Front-end developers read the SDL as the API's documentation: a thing without a description is a
thing they must guess. The bound notes that `gateway.schema.bounds.describe_bounds` appends
("At most 100 items.") do not count as a description on their own.

`.venv/bin/python -m tests.test_schema_descriptions` prints how many of each kind carry one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

from gateway.resolvers.root import schema

KINDS = ("type", "field", "argument", "input field", "enum value")
_BOUND_NOTE = re.compile(r"At most \d+ (items|characters)\.")


def _things(graphql_schema: GraphQLSchema) -> Iterator[tuple[str, str, str | None]]:
    """(kind, coordinate, description) of everything the schema defines, introspection aside."""
    for named in graphql_schema.type_map.values():
        if named.name.startswith("__"):
            continue
        yield "type", named.name, named.description
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                yield "field", f"{named.name}.{field_name}", field.description
                for argument_name, argument in field.args.items():
                    coordinate = f"{named.name}.{field_name}({argument_name}:)"
                    yield "argument", coordinate, argument.description
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                yield "input field", f"{named.name}.{field_name}", input_field.description
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                yield "enum value", f"{named.name}.{value_name}", value.description


def _described(description: str | None) -> bool:
    return bool(description and _BOUND_NOTE.sub("", description).strip())


def counts(graphql_schema: GraphQLSchema) -> dict[str, tuple[int, int]]:
    """Per kind: (how many carry a description, how many there are)."""
    totals = dict.fromkeys(KINDS, (0, 0))
    for kind, _, description in _things(graphql_schema):
        described, total = totals[kind]
        totals[kind] = (described + _described(description), total + 1)
    return totals


def test_everything_in_the_schema_is_described() -> None:
    missing = [
        f"{kind} {coordinate}"
        for kind, coordinate, description in _things(schema._schema)
        if not _described(description)
    ]
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_the_counts_cover_every_kind() -> None:
    totals = counts(schema._schema)
    assert all(total > 0 for _, total in totals.values()), totals
    assert all(described == total for described, total in totals.values()), totals


if __name__ == "__main__":
    for kind, (described, total) in counts(schema._schema).items():
        print(f"{kind + 's':<12} {described:>4} of {total:>4} described")
