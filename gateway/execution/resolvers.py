"""A root field's Strawberry resolver called directly, its arguments converted by a converter
made once per field (ADR 0270).

Strawberry's wrapper around a resolver converts the arguments graphql-core coerced into their
input types by walking each argument's type afresh on every call (`convert_argument`), then
chains the field's extensions around the call. On the compiled roads that is a sixth of a
mutation's CPU. `DirectCall` makes the same conversion a tree of small functions, built from
the field's Strawberry types once, and calls the resolver as Strawberry's `get_arguments` does
(self, parent, root and info injected).

It serves only fields whose extensions have nothing to do on those roads: RefuseOutOfBounds
answers only for an input past its bounds, and such a request never takes a compiled road
(ADR 0120). A field with any other extension or exception handler, or whose arguments hold a
type whose conversion is not plain (`Maybe`, `GlobalID`, an input with `from_input`), keeps
Strawberry's wrapper: `direct_call` answers None for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.schema.compat import is_scalar
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from gateway.resolvers.inputs import RefuseOutOfBounds

Convert = Callable[[Any], Any]
BACKREF = "strawberry-definition"  # where Strawberry keeps a GraphQLField's StrawberryField


class NotPlain(Exception):
    """The type's conversion is not plain: Strawberry's own converter must do it."""


def _same(value: Any) -> Any:
    return value


def _converter(type_: Any, schema: Any) -> Convert:
    """The converter of one input value of `type_`, as strawberry's `convert_argument`
    converts it (None and UNSET pass through)."""
    scalars = schema.schema_converter.scalar_registry
    if isinstance(type_, StrawberryMaybe):
        raise NotPlain("Maybe")
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, schema)
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), schema)
    if isinstance(type_, StrawberryList):
        item = _converter(type_.of_type, schema)
        if item is _same:
            # Copied: graphql-core hands every request that omits it the same default list.
            return lambda value: None if value is None or value is UNSET else list(value)

        def convert_list(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return [item(x) for x in value]

        return convert_list
    if type_ is GlobalID:
        raise NotPlain("GlobalID")
    if has_enum_definition(type_):
        type_ = type_.__strawberry_definition__
    if isinstance(type_, StrawberryEnumDefinition) or is_scalar(type_, scalars):
        return _same  # graphql-core's coercion already made the Python value
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if definition.from_input is not None:
            raise NotPlain("from_input")
        defaults = {
            f.python_name: None
            for f in definition.fields
            if definition.is_input and f.default_value is MISSING and f.default_factory is MISSING
        }
        name_of = schema.config.name_converter.from_field
        fields = [
            (name_of(f), f.python_name, f.resolve_type(type_definition=definition))
            for f in definition.fields
        ]
        return _object_converter(type_, defaults, fields, schema)
    raise NotPlain(repr(type_))


def _object_converter(
    cls: Any, defaults: dict[str, Any], fields: list[tuple[str, str, Any]], schema: Any
) -> Convert:
    converters = [(name, python_name, _converter(t, schema)) for name, python_name, t in fields]

    def convert_object(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(defaults)
        for name, python_name, convert in converters:
            if name in value:
                kwargs[python_name] = convert(value[name])
        return cls(**kwargs)

    return convert_object


class DirectCall:
    """One field's resolver, called with its arguments converted (see the module)."""

    def __init__(self, field: StrawberryField, schema: Any) -> None:
        self.field = field
        self.info_class = schema.config.info_class
        name_of = schema.config.name_converter.from_argument
        self.arguments = [
            (name_of(argument), argument.python_name, _converter(argument.type, schema))
            for argument in field.arguments
        ]
        resolver = field.base_resolver
        assert resolver is not None  # direct_call serves fields with a resolver only
        self.pass_self = resolver.self_parameter is not None
        self.source_names = [
            parameter.name
            for parameter in (resolver.parent_parameter, resolver.root_parameter)
            if parameter is not None
        ]
        info = resolver.info_parameter
        self.info_name = info.name if info is not None else None

    def convert(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The resolver's keyword arguments of graphql-core's coerced `arguments`, as
        Strawberry's `convert_arguments` makes them."""
        return {
            python_name: convert(arguments[name])
            for name, python_name, convert in self.arguments
            if name in arguments
        }

    def __call__(self, source: Any, raw_info: Any, arguments: dict[str, Any]) -> Any:
        kwargs = self.convert(arguments)
        for name in self.source_names:
            kwargs[name] = source
        if self.info_name is not None:
            kwargs[self.info_name] = self.info_class(_raw_info=raw_info, _field=self.field)
        args = [source] if self.pass_self else []
        return self.field.get_result(source, info=None, args=args, kwargs=kwargs)


_calls: dict[int, DirectCall | None] = {}


def direct_call(field_def: Any, schema: Any) -> DirectCall | None:
    """The direct call of a GraphQLField's resolver, or None when Strawberry's wrapper must
    run (see the module); made once per field."""
    key = id(field_def)
    if key in _calls:
        return _calls[key]
    field = (field_def.extensions or {}).get(BACKREF)
    call = None
    if (
        isinstance(field, StrawberryField)
        and field.base_resolver is not None
        and all(isinstance(e, RefuseOutOfBounds) for e in field.extensions)
        and not schema.schema_converter._get_field_exception_handlers(field)
    ):
        try:
            call = DirectCall(field, schema)
        except NotPlain:
            call = None
    _calls[key] = call
    return call
