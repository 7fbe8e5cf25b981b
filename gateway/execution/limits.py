"""Limits on an operation, checked on the parsed, validated document before anything runs.

Depth, aliases, directives and the estimated cost are measured on the operation (fragments
followed); the document's size and token count are bounded earlier, when it is read and parsed
(`max_document_bytes`, `max_tokens`). Defaults and reasons: ADR 0082.

Cost: every object a field returns costs 1 per parent instance; a field with `first`/`last`
(or a connection without them, at the default page size) multiplies the cost of everything
below it by that page size. Scalars are free: what costs is rows and round trips.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.utilities import type_from_ast

from domain.i18n import Message, _
from gateway.schema.keyset import is_cursor
from gateway.settings import Settings

PAGE_ARGUMENTS = ("first", "last")
CURSOR_ARGUMENTS = ("after", "before")


@dataclass(frozen=True)
class ArgumentRefused:
    """A paging argument a connection cannot take (a negative or too large page, a string that
    is no cursor): one rule for all, a BAD_USER_INPUT request error naming the argument."""

    field: str
    argument: str
    message: Message

    def as_error(self) -> dict[str, Any]:
        return {
            "message": str(self.message),
            "extensions": {
                "code": "BAD_USER_INPUT",
                "field": self.field,
                "argument": self.argument,
            },
        }


@dataclass(frozen=True)
class LimitExceeded:
    """One limit an operation went past: which, its configured value, and the measure."""

    limit: str
    maximum: int
    actual: int

    @property
    def message(self) -> Message:
        return _(
            "The operation exceeds the {limit} limit: {actual} > {maximum}.",
            limit=self.limit,
            actual=self.actual,
            maximum=self.maximum,
        )

    def as_error(self) -> dict[str, Any]:
        return {
            "message": str(self.message),
            "extensions": {
                "code": "LIMIT_EXCEEDED",
                "limit": self.limit,
                "maximum": self.maximum,
                "actual": self.actual,
            },
        }


@dataclass
class _Measure:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    cost: int = 0
    page_size: int = 0
    refused: ArgumentRefused | None = None  # the first paging argument out of bounds


_SORTED = orjson.OPT_SORT_KEYS
_CHECKED_SIZE = 1024  # remembered (document, variables) measurements per process


class OperationLimits:
    """Measures operations against the configured limits."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self._checked: dict[tuple[int, int, bytes], tuple[DocumentNode, Any]] = {}

    def check(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> LimitExceeded | ArgumentRefused | None:
        """The first limit the operation exceeds or argument it refuses, or None to run it."""
        # The same document with the same variables measures the same: remember the answer.
        key = (id(document), id(operation), orjson.dumps(variables or {}, option=_SORTED))
        cached = self._checked.get(key)
        if cached is not None and cached[0] is document:
            return cached[1]
        result = self._check(document, operation, variables)
        if len(self._checked) >= _CHECKED_SIZE:
            self._checked.pop(next(iter(self._checked)))
        self._checked[key] = (document, result)
        return result

    def _check(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> LimitExceeded | ArgumentRefused | None:
        settings = self.settings
        measure = _Walk(self.schema, document, operation, variables or {}, settings).run()
        if measure.refused is not None:
            return measure.refused
        for limit, maximum, actual in (
            ("depth", settings.max_depth, measure.depth),
            ("aliases", settings.max_aliases, measure.aliases),
            ("directives", settings.max_directives, measure.directives),
            ("cost", settings.max_cost, measure.cost),
        ):
            if actual > maximum:
                return LimitExceeded(limit, maximum, actual)
        return None


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        settings: Settings,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.variables = dict(self._variable_defaults(operation))
        self.variables.update(variables)
        self.settings = settings
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measure = _Measure()

    def _variable_defaults(self, operation: OperationDefinitionNode) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        for definition in operation.variable_definitions or ():
            value = definition.default_value
            if isinstance(value, IntValueNode):
                defaults[definition.variable.name.value] = int(value.value)
        return defaults

    def run(self) -> _Measure:
        root = self.schema.get_root_type(self.operation.operation)
        self.measure.directives += len(self.operation.directives or ())
        if root is not None:
            self._selection_set(self.operation.selection_set, root, 1, 1, frozenset())
        return self.measure

    def _selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        depth: int,
        multiplier: int,
        visiting: frozenset[str],
    ) -> None:
        for selection in selection_set.selections:
            self.measure.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                self._field(selection, parent, depth, multiplier, visiting)
            elif isinstance(selection, InlineFragmentNode):
                condition = parent
                if selection.type_condition is not None:
                    condition = type_from_ast(self.schema, selection.type_condition) or parent
                self._selection_set(selection.selection_set, condition, depth, multiplier, visiting)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visiting:
                    continue
                self.measure.directives += len(fragment.directives or ())
                condition = type_from_ast(self.schema, fragment.type_condition) or parent
                self._selection_set(
                    fragment.selection_set, condition, depth, multiplier, visiting | {name}
                )

    def _field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        depth: int,
        multiplier: int,
        visiting: frozenset[str],
    ) -> None:
        name = node.name.value
        if name.startswith("__"):
            # Introspection is governed by its own switch; __typename costs nothing.
            return
        if node.alias is not None:
            self.measure.aliases += 1
        self.measure.depth = max(self.measure.depth, depth)
        definition = _field_definition(parent, name)
        if definition is None or node.selection_set is None:
            return
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return
        self.measure.cost += multiplier
        # A plain list (a customer's plans) is short by nature and not multiplied; a paged field
        # multiplies what is below it by its page size.
        below = multiplier
        page = self._page_size(node, named)
        if page is not None:
            self.measure.page_size = max(self.measure.page_size, page)
            below = multiplier * page
        self._selection_set(node.selection_set, named, depth + 1, below, visiting)

    def _argument(self, value: Any) -> Any:
        """An argument's value as sent: a literal, or the variable's value (None if neither)."""
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, StringValueNode):
            return value.value
        return None

    def _refuse(self, node: FieldNode, argument: str, message: Message) -> None:
        if self.measure.refused is None:
            self.measure.refused = ArgumentRefused(node.name.value, argument, message)

    def _page_size(self, node: FieldNode, named: GraphQLNamedType) -> int | None:
        sizes = []
        maximum = self.settings.max_page_size
        for argument in node.arguments or ():
            name = argument.name.value
            raw = self._argument(argument.value)
            if name in CURSOR_ARGUMENTS and isinstance(raw, str):
                if named.name.endswith("Connection") and not is_cursor(raw):
                    self._refuse(
                        node,
                        name,
                        _("`{argument}` is not a cursor of this connection.", argument=name),
                    )
                continue
            if name not in PAGE_ARGUMENTS or not isinstance(raw, int) or isinstance(raw, bool):
                continue
            if not 0 <= raw <= maximum:
                self._refuse(
                    node,
                    name,
                    _(
                        "`{argument}` must be between 0 and {maximum}; got {value}.",
                        argument=name,
                        maximum=maximum,
                        value=raw,
                    ),
                )
            sizes.append(raw)
        if sizes:
            return max(0, max(sizes))
        if named.name.endswith("Connection"):
            return self.settings.default_page_size
        return None


def _field_definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)  # unions have none: only fragments select on them
    return None if fields is None else fields.get(name)
