"""Random read queries over the schema, for the differential test of the two read paths.

Drawn with hypothesis: random selections at every level, aliases, inline and named fragments,
fragments on the `Service` interface's concrete types, `@skip`/`@include` with variables,
arguments (valid, out of range and malformed), and ids that exist, do not exist or are garbage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)
from hypothesis import strategies as st

from gateway.schema.base import to_global_id

# Fields whose arguments the generator fills in itself.
ROOT_FIELDS = ("customers", "customer", "node", "me", "planOffers", "tvPackages",
               "extraServiceDefinitions", "tvPointLocations", "contractTemplates",
               "billingForms", "banks", "technicians", "smsCreditValues",
               "connectionStatement", "callStatement", "voiceLineCallStatement", "tickets",
               "dueDateChangePreview", "validateAddPlan", "equipmentByCasn",
               "tvPointPlatformData", "tvBillingPreview", "voicePanelUsername",
               "authenticationDiagnosis", "freeSlots")  # fmt: skip
# Periods: a year of the seed's usage, an older one, and refused ones (reversed, too long, no
# time zone).
PERIODS = [
    '{start: "2025-03-01T00:00:00Z", end: "2026-03-01T00:00:00Z"}',
    '{start: "2024-01-01T00:00:00-03:00", end: "2024-12-31T00:00:00Z"}',
    '{start: "2026-01-01T00:00:00Z", end: "2025-01-01T00:00:00Z"}',
    '{start: "2020-01-01T00:00:00Z", end: "2023-01-01T00:00:00Z"}',
    '{start: "2025-06-01T00:00:00", end: "2025-07-01T00:00:00"}',
]
CITIES = ["São Paulo", "curitiba", "Recife", "Nowhere"]
# Not a Node type: its ids name nothing, on both paths.
NOT_NODES = ["ExtraField", "Service"]


COMPOSITE = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


def _named(graphql_type: Any) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


@dataclass
class Drawn:
    """A query text with its variables, built by `QueryBuilder`."""

    text: str
    variables: dict[str, Any] = field(default_factory=dict)


class QueryBuilder:
    def __init__(self, schema: GraphQLSchema, draw: Any, max_id: int) -> None:
        self.schema = schema
        self.draw = draw
        self.max_id = max_id
        self.fragments: list[str] = []
        self.variables: dict[str, tuple[str, Any]] = {}
        self.aliases = 0

    def _alias(self, name: str) -> str:
        if self.draw(st.integers(0, 5)) == 0:
            self.aliases += 1
            return f"a{self.aliases}: {name}"
        return name

    def _directive(self) -> str:
        choice = self.draw(st.integers(0, 9))
        if choice == 0:
            name = f"v{len(self.variables)}"
            self.variables[name] = ("Boolean!", self.draw(st.booleans()))
            return f" @{self.draw(st.sampled_from(['skip', 'include']))}(if: ${name})"
        if choice == 1:
            return f" @include(if: {self.draw(st.sampled_from(['true', 'false']))})"
        return ""

    def _enum_list(self, enum_type: GraphQLEnumType) -> str:
        values = self.draw(st.lists(st.sampled_from(sorted(enum_type.values)), max_size=3))
        return "[" + ", ".join(values) + "]"

    def _arguments(self, field_def: Any) -> str:
        parts = []
        for name, argument in field_def.args.items():
            named = _named(argument.type)
            if isinstance(named, GraphQLEnumType) and self.draw(st.booleans()):
                parts.append(f"{name}: {self._enum_list(named)}")
            elif named.name == "PeriodInput":  # required where it appears
                parts.append(f"{name}: {self.draw(st.sampled_from(PERIODS))}")
            elif name == "last" and self.draw(st.booleans()):
                parts.append(f"last: {self.draw(st.sampled_from([-1, 0, 1, 2, 5]))}")
            elif named.name == "Boolean" and self.draw(st.booleans()):
                parts.append(f"{name}: {self.draw(st.sampled_from(['true', 'false']))}")
        return f"({', '.join(parts)})" if parts else ""

    def _id(self, type_name: str) -> str:
        """An id of `type_name`: one that may exist (global or plain), none, or garbage."""
        pk = self.draw(st.sampled_from([1, 2, 3, 5, 8, 13, 21, 40, 10**6]))
        return self.draw(
            st.sampled_from([to_global_id(type_name, pk), str(pk), to_global_id("Bank", 1), "@@"])
        )

    def _cursor(self) -> str:
        import base64

        offset = self.draw(st.sampled_from([0, 1, 3]))
        return self.draw(
            st.sampled_from([base64.b64encode(f"offset:{offset}".encode()).decode(), "bad"])
        )

    def _enum(self, name: str) -> GraphQLEnumType:
        enum_type = self.schema.get_type(name)
        assert isinstance(enum_type, GraphQLEnumType)
        return enum_type

    def selection(self, graphql_type: Any, depth: int) -> str:
        """A non-empty selection set for `graphql_type`."""
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            return self._abstract_selection(graphql_type, depth)
        fields = graphql_type.fields
        names = sorted(fields)
        leaves = [n for n in names if not isinstance(_named(fields[n].type), COMPOSITE)]
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
        if depth <= 0:
            chosen = [n for n in chosen if n in leaves] or leaves[:1] or ["__typename"]
        leaves = leaves or ["__typename"]
        parts = []
        for name in chosen:
            if name == "__typename":
                parts.append(name)
                continue
            field_def = fields[name]
            named = _named(field_def.type)
            text = self._alias(name) + self._arguments(field_def)
            if isinstance(named, COMPOSITE):
                text += self._directive() + " { " + self.selection(named, depth - 1) + " }"
            else:
                text += self._directive()
            parts.append(text)
        if self.draw(st.integers(0, 6)) == 0:
            parts.append("__typename")
        if self.draw(st.integers(0, 8)) == 0:
            name = f"F{len(self.fragments)}"
            leaf = self.draw(st.sampled_from(leaves))
            self.fragments.append(f"fragment {name} on {graphql_type.name} {{ {leaf} }}")
            parts.append(f"...{name}")
        if self.draw(st.integers(0, 8)) == 0:
            parts.append(f"... on {graphql_type.name} {{ {self.draw(st.sampled_from(leaves))} }}")
        return " ".join(parts)

    def _abstract_selection(self, graphql_type: Any, depth: int) -> str:
        parts = ["__typename"] if self.draw(st.booleans()) else []
        if isinstance(graphql_type, GraphQLInterfaceType):
            own = sorted(n for n, f in graphql_type.fields.items()
                         if not isinstance(_named(f.type), GraphQLObjectType))  # fmt: skip
            parts += self.draw(st.lists(st.sampled_from(own), max_size=3, unique=True))
        possible = sorted(t.name for t in self.schema.get_possible_types(graphql_type))
        for type_name in self.draw(st.lists(st.sampled_from(possible), max_size=4, unique=True)):
            concrete = self.schema.get_type(type_name)
            parts.append(f"... on {type_name} {{ {self.selection(concrete, depth - 1)} }}")
        return " ".join(parts) or "__typename"

    def root(self) -> str:
        query_type = self.schema.query_type
        assert query_type is not None
        chosen = self.draw(st.lists(st.sampled_from(ROOT_FIELDS), min_size=1, max_size=3))
        parts = []
        for index, name in enumerate(chosen):
            field_def = query_type.fields[name]
            selection = self.selection(_named(field_def.type), depth=3)
            parts.append(f"r{index}: {name}{self._root_arguments(name)} {{ {selection} }}")
        return " ".join(parts)

    def _root_arguments(self, name: str) -> str:
        draw = self.draw
        if name == "customers":
            parts = []
            size = draw(st.sampled_from([None, 0, 1, 5, 30, 100, 101]))
            if size is not None:
                if draw(st.booleans()):
                    self.variables["n"] = ("Int", size)
                    parts.append(f"{draw(st.sampled_from(['first', 'last']))}: $n")
                else:
                    parts.append(f"{draw(st.sampled_from(['first', 'last']))}: {size}")
            cursor = draw(st.sampled_from([None, 0, 3, 40, "garbage"]))
            if cursor is not None:
                value = "bad" if cursor == "garbage" else to_global_id("x", 0)
                if cursor != "garbage":
                    import base64

                    value = base64.b64encode(f"offset:{cursor}".encode()).decode()
                parts.append(f'{draw(st.sampled_from(["after", "before"]))}: "{value}"')
            criteria = []
            if draw(st.booleans()):
                criteria.append(f'city: "{draw(st.sampled_from(CITIES))}"')
            if draw(st.integers(0, 3)) == 0:
                criteria.append(
                    f"planStatus: [{draw(st.sampled_from(['ACTIVE', 'CANCELLED', 'INACTIVE']))}]"
                )
            if draw(st.integers(0, 3)) == 0:
                criteria.append(f'search: "{draw(st.sampled_from(["a", "Silva", "123", "zz"]))}"')
            if criteria:
                parts.append("filter: {" + ", ".join(criteria) + "}")
            if draw(st.integers(0, 2)) == 0:
                field_name = draw(st.sampled_from(["ID", "NAME", "DOCUMENT", "CREATED_AT"]))
                direction = draw(st.sampled_from(["ASC", "DESC"]))
                parts.append(f"orderBy: [{{field: {field_name}, direction: {direction}}}]")
            return f"({', '.join(parts)})" if parts else ""
        if name == "customer":
            raw = draw(
                st.sampled_from(["1", "2", str(self.max_id), "999999999", "junk",
                                 to_global_id("Customer", 3), to_global_id("Plan", 3)])
            )  # fmt: skip
            return f'(id: "{raw}")'
        if name == "node":
            node_types = sorted(t.name for t in self.schema.get_possible_types(
                self.schema.get_type("Node")))  # fmt: skip
            type_name = draw(st.sampled_from(node_types + NOT_NODES))
            pk = draw(st.sampled_from([1, 2, 7, 50, 10**6]))
            raw = draw(
                st.sampled_from([to_global_id(type_name, pk), "@@", to_global_id(type_name, 0)])
            )
            return f'(id: "{raw}")'
        if name in ("connectionStatement", "callStatement", "dueDateChangePreview"):
            parts = [f'planId: "{self._id("Plan")}"']
            if name == "dueDateChangePreview":
                parts.append(f"newDueDay: {draw(st.sampled_from([0, 1, 5, 10, 12, 28, 32]))}")
            else:
                parts.append(f"period: {draw(st.sampled_from(PERIODS))}")
            if name == "connectionStatement":
                if draw(st.booleans()):
                    parts.append(f"first: {draw(st.sampled_from([0, 1, 2, 50, 101, -1]))}")
                if draw(st.integers(0, 3)) == 0:
                    parts.append(f'after: "{self._cursor()}"')
            if name == "callStatement" and draw(st.booleans()):
                parts.append(f"termination: {self._enum_list(self._enum('CallTermination'))}")
            return f"({', '.join(parts)})"
        if name == "voiceLineCallStatement":
            parts = [
                f'lineId: "{self._id("VoiceLine")}"',
                f"period: {draw(st.sampled_from(PERIODS))}",
            ]
            if draw(st.booleans()):
                parts.append(f"termination: {self._enum_list(self._enum('CallTermination'))}")
            return f"({', '.join(parts)})"
        if name == "tickets":
            criteria = []
            if draw(st.booleans()):
                criteria.append(f"status: {self._enum_list(self._enum('TicketStatus'))}")
            for field_name in ("description", "type", "contactName", "protocol"):
                if draw(st.integers(0, 4)) == 0:
                    text = draw(st.sampled_from(["a", "net", "SEM", "ú", "%", "zz"]))
                    criteria.append(f'{field_name}: "{text}"')
            if draw(st.integers(0, 3)) == 0:
                criteria.append(f"opened: {draw(st.sampled_from(PERIODS))}")
            parts = []
            if criteria:
                parts.append("filter: {" + ", ".join(criteria) + "}")
            if draw(st.integers(0, 2)) == 0:
                parts.append(f'customerId: "{self._id("Customer")}"')
            return f"({', '.join(parts)})" if parts else ""
        if name == "validateAddPlan":
            offer = f', offerId: "{self._id("PlanOffer")}"' if draw(st.booleans()) else ""
            return f'(input: {{customerId: "{self._id("Customer")}"{offer}}})'
        if name == "equipmentByCasn":
            casn = draw(st.sampled_from(["000000000000", "1234", "x"]))
            return f'(locationId: "{self._id("TvPointLocation")}", casn: "{casn}")'
        if name == "voicePanelUsername":
            username = draw(st.sampled_from(["joao", "ramal.1", "Zé", "x" * 3]))
            other = (
                f', subscriberId: "{self._id("VoiceSubscriber")}"' if draw(st.booleans()) else ""
            )
            return f'(username: "{username}"{other})'
        if name == "authenticationDiagnosis":
            return f'(planId: "{self._id("Plan")}")'
        if name == "freeSlots":
            day = draw(st.sampled_from(["2026-01-05", "2026-01-12", "2025-12-01"]))
            who = draw(st.sampled_from(["technicianId", "roleId"]))
            kind = "Technician" if who == "technicianId" else "Role"
            minutes = draw(st.sampled_from([30, 60, 240, 0]))
            return f'(date: "{day}", duration: {minutes}, {who}: "{self._id(kind)}")'
        if name == "tvBillingPreview":
            day = draw(st.sampled_from(["2026-01-10", "2026-02-05", "2025-12-20", "1999-01-01"]))
            return f'(dueDate: "{day}")'
        if name == "tvPointPlatformData":
            return f'(tvPointId: "{self._id("TvPoint")}")'
        if name == "tvPackages" and draw(st.booleans()):
            return f"(isExtra: {draw(st.sampled_from(['true', 'false']))})"
        return ""


@st.composite
def read_queries(draw: Any, schema: GraphQLSchema, max_id: int) -> Drawn:
    builder = QueryBuilder(schema, draw, max_id)
    body = builder.root()
    definitions = ", ".join(f"${name}: {kind}" for name, (kind, _) in builder.variables.items())
    head = f"query Q({definitions})" if definitions else "query Q"
    text = f"{head} {{ {body} }} " + " ".join(builder.fragments)
    return Drawn(text, {name: value for name, (_, value) in builder.variables.items()})
