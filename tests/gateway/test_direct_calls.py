"""Every root field's resolver is called directly on the compiled roads (ADR 0270), and the
direct call converts arguments exactly as Strawberry's wrapper does."""

from __future__ import annotations

import random
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from strawberry.types.arguments import convert_arguments

from gateway.execution.resolvers import BACKREF, direct_call
from gateway.resolvers.root import schema

ROOTS = [
    (root.name, name, field)
    for root in (schema._schema.query_type, schema._schema.mutation_type)
    for name, field in root.fields.items()
]


def value_of(graphql_type: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value as graphql-core's coercion hands it over: leaves are opaque objects (neither
    converter looks into them), input objects dicts of some of their fields, lists of two."""
    if isinstance(graphql_type, GraphQLNonNull):
        return value_of(graphql_type.of_type, rng, depth)
    if isinstance(graphql_type, GraphQLList):
        return [value_of(graphql_type.of_type, rng, depth + 1) for _ in range(2)]
    if isinstance(graphql_type, GraphQLScalarType | GraphQLEnumType):
        return object()
    assert isinstance(graphql_type, GraphQLInputObjectType)
    return {
        name: None
        if not isinstance(field.type, GraphQLNonNull) and rng.random() < 0.2
        else value_of(field.type, rng, depth + 1)
        for name, field in graphql_type.fields.items()
        if isinstance(field.type, GraphQLNonNull) or depth > 3 or rng.random() < 0.7
    }


def test_every_root_field_is_called_directly() -> None:
    assert len(ROOTS) > 100
    indirect = [
        f"{root}.{name}" for root, name, field in ROOTS if direct_call(field, schema) is None
    ]
    assert indirect == []


@pytest.mark.parametrize("seed", range(5))
def test_arguments_are_converted_as_strawberry_converts_them(seed: int) -> None:
    rng = random.Random(seed)
    compared = 0
    for root, name, field in ROOTS:
        call = direct_call(field, schema)
        assert call is not None
        arguments = {
            argument: value_of(definition.type, rng)
            for argument, definition in field.args.items()
            if isinstance(definition.type, GraphQLNonNull) or rng.random() < 0.6
        }
        expected = convert_arguments(
            arguments,
            field.extensions[BACKREF].arguments,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
        )
        assert call.convert(arguments) == expected, f"{root}.{name}"
        compared += bool(arguments)
    assert compared > 80
