"""Every input an operation carries, checked against its bound before anything runs (ADR 0120).

The check walks the operation's arguments, literals and variables alike, by their schema types:
- String and ID: at most `MAX_STRING` characters (or the field's own `max_length`), and no
  control character (U+0000-U+001F, U+007F-U+009F); multiline free text may hold tab, CR, LF;
- lists: at most `MAX_ITEMS` items (or the field's own `max_items`);
- Decimal: a finite number that fits the money column (no NaN, Infinity, 1e999999, 0.001).

It knows no field by name, so an input added later is bounded without doing anything; the
bounds a field declares (`gateway.schema.bounds`) travel in its Strawberry metadata.

A problem in an argument of a root field whose result union holds `ValidationError` is given
back as that ValidationError, as data (`refusals`); any other problem refuses the request with
`BAD_USER_INPUT` naming the argument and the field inside it. Either way, nothing runs for it.
"""

from __future__ import annotations

import decimal
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)

from domain.errors import FieldProblem
from domain.i18n import Message, _
from gateway.schema.bounds import MONEY_DIGITS, MONEY_PLACES, Bounds, bounds_of

_STRINGS = ("String", "ID")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A Decimal written with more characters than this cannot be one of ours (sign, 10 digits,
# point, 2 decimals, and room for zeros); Decimal() never sees a megabyte of digits.
_DECIMAL_TEXT = 40
_MAX_INTEGER_DIGITS = MONEY_DIGITS - MONEY_PLACES
_CENT = decimal.Decimal(1).scaleb(-MONEY_PLACES)
_CACHED_OPERATIONS = 1024


@dataclass(frozen=True)
class InputProblem:
    """One input out of bounds: the root field it belongs to (its response key), the field it
    is an argument of, the path from that argument down, and what is wrong."""

    root: str
    field: str
    path: tuple[str, ...]
    message: Message
    at_root: bool  # an argument of the root field itself, not of a field below it

    def as_error(self) -> dict[str, Any]:
        where = ".".join(self.path)
        return {
            "message": str(
                _(
                    "`{field}({path})` {problem}.",
                    field=self.field,
                    path=where,
                    problem=self.message,
                )
            ),
            "extensions": {"code": "BAD_USER_INPUT", "field": self.field, "path": list(self.path)},
        }


@dataclass(frozen=True)
class _Site:
    """An argument written in the operation: which root field it is under, and its value."""

    root: str
    field: str
    at_root: bool
    argument: GraphQLArgument
    name: str
    value: ValueNode


class InputBounds:
    """Checks an operation's inputs; one instance per schema (it remembers operations' sites)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._sites: OrderedDict[int, tuple[OperationDefinitionNode, list[_Site]]] = OrderedDict()
        # Which root fields give a ValidationError back as data, per root type.
        self._refusable: dict[tuple[str, str], bool] = {}

    def check(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> list[InputProblem]:
        """Every bound the operation's inputs go past (empty when all are within)."""
        variables = variables or {}
        defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        problems: list[InputProblem] = []
        for site in self._sites_of(document, operation):
            walker = _Walker(site, variables, defaults, problems)
            walker.literal(site.value, site.argument.type, bounds_of(site.argument), (site.name,))
        return problems

    def refusable(self, operation: OperationDefinitionNode, problems: list[InputProblem]) -> bool:
        """Whether every problem can go back as data: each belongs to an argument of a root
        field whose result union holds ValidationError."""
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None
        for problem in problems:
            if not problem.at_root or not self._gives_validation_error(root_type, problem.field):
                return False
        return True

    def _gives_validation_error(self, root_type: GraphQLObjectType, field_name: str) -> bool:
        key = (root_type.name, field_name)
        known = self._refusable.get(key)
        if known is None:
            result = get_named_type(root_type.fields[field_name].type)
            known = isinstance(result, GraphQLUnionType) and any(
                member.name == "ValidationError" for member in result.types
            )
            self._refusable[key] = known
        return known

    def _sites_of(self, document: DocumentNode, operation: OperationDefinitionNode) -> list[_Site]:
        cached = self._sites.get(id(operation))
        if cached is not None and cached[0] is operation:
            self._sites.move_to_end(id(operation))
            return cached[1]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        root_type = self.schema.get_root_type(operation.operation)
        sites: list[_Site] = []
        if root_type is not None:
            for key, node in _fields(operation.selection_set, fragments, self.schema, root_type):
                self._collect(node, root_type, key, True, fragments, sites)
        self._sites[id(operation)] = (operation, sites)
        if len(self._sites) > _CACHED_OPERATIONS:
            self._sites.popitem(last=False)
        return sites

    def _collect(
        self,
        node: FieldNode,
        parent: GraphQLObjectType,
        root: str,
        at_root: bool,
        fragments: dict[str, FragmentDefinitionNode],
        sites: list[_Site],
    ) -> None:
        definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename, __schema, __type: nothing of ours to bound
            return
        for argument in node.arguments or ():
            argument_def = definition.args.get(argument.name.value)
            if argument_def is not None:
                sites.append(
                    _Site(root, node.name.value, at_root, argument_def, argument.name.value,
                          argument.value)
                )  # fmt: skip
        result = get_named_type(definition.type)
        if node.selection_set is None or not is_composite_type(result):
            return
        for _key, child, child_parent in _typed_fields(
            node.selection_set, fragments, self.schema, result
        ):
            self._collect(child, child_parent, root, False, fragments, sites)


def _fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
) -> Iterator[tuple[str, FieldNode]]:
    for key, node, _parent in _typed_fields(selection_set, fragments, schema, parent):
        yield key, node


def _typed_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
) -> Iterator[tuple[str, FieldNode, GraphQLObjectType]]:
    """(response key, field node, the object type it is selected on) of a selection set,
    fragments followed; fields selected on an abstract type are given once per object type
    that may answer them, since arguments are the same for each."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            for object_type in _object_types(schema, parent):
                if selection.name.value in object_type.fields:
                    yield key, selection, object_type
                    break
        else:
            if isinstance(selection, InlineFragmentNode):
                fragment_set = selection.selection_set
                condition = selection.type_condition
            else:
                assert isinstance(selection, FragmentSpreadNode)
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    continue
                fragment_set, condition = fragment.selection_set, fragment.type_condition
            inner = parent if condition is None else schema.get_type(condition.name.value)
            if inner is not None:
                yield from _typed_fields(fragment_set, fragments, schema, inner)


def _object_types(schema: GraphQLSchema, parent: GraphQLNamedType) -> list[GraphQLObjectType]:
    if isinstance(parent, GraphQLObjectType):
        return [parent]
    return list(schema.get_possible_types(parent))  # type: ignore[arg-type]


class _Walker:
    """Walks one argument's value, literal or variable, by its type."""

    def __init__(
        self,
        site: _Site,
        variables: Mapping[str, Any],
        defaults: Mapping[str, ValueNode],
        problems: list[InputProblem],
    ) -> None:
        self.site = site
        self.variables = variables
        self.defaults = defaults
        self.problems = problems

    def refuse(self, path: tuple[str, ...], message: Message) -> None:
        site = self.site
        self.problems.append(InputProblem(site.root, site.field, path, message, site.at_root))

    def literal(self, node: ValueNode, type_: Any, bounds: Bounds, path: tuple[str, ...]) -> None:
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                self.raw(self.variables[name], type_, bounds, path)
            elif name in self.defaults:
                self.literal(self.defaults[name], type_, bounds, path)
            return
        if isinstance(node, NullValueNode):
            return
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            if len(items) > bounds.max_items:
                self.refuse(path, _too_many(bounds.max_items, len(items)))
                return
            for index, item in enumerate(items):
                self.literal(item, type_.of_type, bounds, (*path, str(index)))
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for field in node.fields:
                    definition = type_.fields.get(field.name.value)
                    if definition is not None:
                        self.literal(
                            field.value, definition.type, bounds_of(definition),
                            (*path, field.name.value),
                        )  # fmt: skip
        elif isinstance(type_, GraphQLScalarType) and isinstance(node, StringValueNode):
            self.scalar(node.value, type_, bounds, path)
        elif isinstance(type_, GraphQLScalarType) and type_.name == "Decimal":
            value = getattr(node, "value", None)
            if isinstance(value, str):
                self.scalar(value, type_, bounds, path)

    def raw(self, value: Any, type_: Any, bounds: Bounds, path: tuple[str, ...]) -> None:
        """A variable's JSON value; shapes that do not fit are left to variable coercion."""
        if value is None:
            return
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            items = value if isinstance(value, list) else [value]
            if len(items) > bounds.max_items:
                self.refuse(path, _too_many(bounds.max_items, len(items)))
                return
            for index, item in enumerate(items):
                self.raw(item, type_.of_type, bounds, (*path, str(index)))
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(value, dict):
                for name, item in value.items():
                    definition = type_.fields.get(name)
                    if definition is not None:
                        self.raw(item, definition.type, bounds_of(definition), (*path, name))
        elif isinstance(type_, GraphQLScalarType):
            self.scalar(value, type_, bounds, path)

    def scalar(
        self, value: Any, type_: GraphQLScalarType, bounds: Bounds, path: tuple[str, ...]
    ) -> None:
        if type_.name in _STRINGS and isinstance(value, str):
            control = _CONTROL_BUT_LINES if bounds.multiline else _CONTROL
            character = None if len(value) > bounds.max_length else control.search(value)
            if len(value) > bounds.max_length:
                self.refuse(
                    path,
                    _(
                        "must be at most {max_length} characters (has {count})",
                        max_length=bounds.max_length,
                        count=len(value),
                    ),
                )
            elif character is not None:
                self.refuse(
                    path,
                    _(
                        "must not hold control characters (U+{code:04X} at position {position})",
                        code=ord(character.group()),
                        position=character.start(),
                    ),
                )
        elif type_.name == "Decimal" and isinstance(value, (str, int, float)):
            message = decimal_problem(value)
            if message is not None:
                self.refuse(path, message)


def decimal_problem(value: str | int | float) -> Message | None:
    """What keeps `value` from being a money amount of the database, or None if it is one."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _DECIMAL_TEXT:
        return _("must be a decimal of at most {money_digits} digits", money_digits=MONEY_DIGITS)
    try:
        number = decimal.Decimal(text.strip())
    except (decimal.InvalidOperation, ValueError):
        return None  # not a decimal at all: the scalar's own coercion says so
    if not number.is_finite():
        return _("must be a finite number (not NaN or Infinity)")
    if number and number.adjusted() >= _MAX_INTEGER_DIGITS:
        return _("must be less than 10^{digits}", digits=_MAX_INTEGER_DIGITS)
    if number != number.quantize(_CENT):
        return _("must have at most {money_places} decimal places", money_places=MONEY_PLACES)
    return None


def _too_many(maximum: int, actual: int) -> Message:
    return _("must have at most {maximum} items (has {actual})", maximum=maximum, actual=actual)


def refusals(problems: list[InputProblem]) -> dict[str, list[FieldProblem]]:
    """The ValidationError each refused root field answers with (by response key), its paths
    inside the field's `input` as the domain's own ValidationErrors give them."""
    refused: dict[str, list[FieldProblem]] = {}
    for problem in problems:
        path = (
            problem.path[1:]
            if problem.path[0] == "input" and len(problem.path) > 1
            else problem.path
        )
        refused.setdefault(problem.root, []).append(FieldProblem(path, problem.message))
    return refused
