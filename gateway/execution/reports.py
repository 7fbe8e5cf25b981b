"""Report connections and aggregates on the compiled read path (ADR 0006, 0150, 0151).

A report connection is one keyset page statement (`domain.reads.reports.page_statement`) whose
rows carry the node's own columns and the sort key; a node that reads several tables (folded
to-one relations, the Service interface) reads the page's keys first and its rows in one batched
statement by key. Relations below are the usual batched levels. An aggregate is the domain's one
GROUP BY statement, serialized per the selection.

Arguments the standard path refuses (a forged cursor, a bad range, too many dimensions) and
money sums that staff may not read raise Fallback, so that the reference answers them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values

from domain.errors import NotAllowed, ValidationFailed
from domain.reads import reports
from domain.reads.batched import BatchSpec, CompiledBatch
from gateway.execution.compiled import Fallback, RootField, RootPlanner, _Run, build, plan_models
from gateway.execution.planner import (
    Planner,
    PolyShape,
    Shape,
    Unplannable,
    _StatementBuilder,
)
from gateway.resolvers import reports as report_resolvers
from gateway.resolvers.reports import AGGREGATE_ROOTS, REPORT_ROOTS, ReportRoot
from gateway.schema.keyset import encode


def _object_type(planner: Planner, name: str) -> GraphQLObjectType:
    graphql_type = planner.context.graphql_schema.get_type(name)
    assert isinstance(graphql_type, GraphQLObjectType)
    return graphql_type


@dataclass
class ReportConnectionRoot(RootField):
    root: ReportRoot | None = None
    parts: dict[str, Any] = field(default_factory=dict)  # response key -> (part, detail)
    columns: tuple[str, ...] = ()  # the node's columns on the page (one-table nodes)
    nodes: CompiledBatch | None = None  # the nodes by key (nodes reading several tables)
    selected: frozenset[str] = frozenset()

    def models(self) -> set[Any]:
        assert self.root is not None
        found: set[Any] = {self.root.report.model}
        for part, detail in self.parts.values():
            if part == "nodes" and isinstance(detail, Shape | PolyShape):
                plan_models(detail, found)
            elif part == "edges":
                for name, node_shape in detail.values():
                    if name == "node":
                        plan_models(node_shape, found)
        if self.nodes is not None:
            found.update(ref.model for ref in self.nodes.spec.tables)
        return found

    def arguments(self, run: _Run) -> tuple[dict[str, Any], Any, Any]:
        """(criteria, ordering, keyset window) of this request; Fallback if refused."""
        assert self.root is not None
        report = self.root.report
        arguments = get_argument_values(self.field_def, self.node, run.variables)
        try:
            wanted = report_resolvers.criteria(report, arguments.get("filter"))
            order = report_resolvers.ordering(report, arguments.get("orderBy") or ())
            page = report_resolvers.page_window(report, run.settings, order, arguments)
        except ValidationFailed:
            raise Fallback("report arguments refused") from None
        return wanted, order, page

    async def page(
        self,
        run: _Run,
        wanted: dict[str, Any],
        order: Any,
        page: Any,
        cursors_wanted: str = "all",
    ) -> tuple[list[tuple[str | None, Any]], bool, bool, tuple[Any, ...] | None]:
        """(cursor, row) of one keyset page, hasNextPage, hasPreviousPage and the sort key of
        its last row (where the next page starts). `cursors_wanted` says which rows' cursors to make
        (a cursor costs a checksum): "all", "ends" (the first and last, for pageInfo) or
        "none" (an export pages by `last` itself); the others are None."""
        assert self.root is not None
        report = self.root.report
        read = await reports.page_rows(
            run.reader, report, wanted, page.page, self.columns, run.identity
        )
        rows, has_next, has_previous = page.cut(read)
        width = len(self.columns)
        name = report_resolvers.ordering_name(report, order)
        cursors: list[str | None] = [None] * len(rows)
        wanted_at = (
            range(len(rows))
            if cursors_wanted == "all"
            else (0, len(rows) - 1)
            if cursors_wanted == "ends" and rows
            else ()
        )
        for index in wanted_at:
            cursors[index] = encode(name, rows[index][width:])
        last = tuple(rows[-1][width:]) if rows else None
        if self.nodes is None:
            return list(zip(cursors, rows, strict=True)), has_next, has_previous, last
        position = width + report_resolvers.key_position(report, order)
        keys = [row[position] for row in rows]
        found = await self.nodes.fetch(run.reader, keys, run.identity)
        by_key = {row[0]: row for row in found}
        pairs = [(c, by_key[k]) for c, k in zip(cursors, keys, strict=True) if k in by_key]
        return pairs, has_next, has_previous, last

    def cursors_wanted(self) -> str:
        """Which rows' cursors the selection shows: every edge's, pageInfo's two, or none."""
        parts = list(self.parts.values())
        for part, detail in parts:
            if part == "edges" and any(name == "cursor" for name, _ in detail.values()):
                return "all"
        return "ends" if any(part == "pageInfo" for part, _ in parts) else "none"

    def node_shape(self) -> Shape | PolyShape:
        """The shape of the selection's rows (`nodes`, or `edges { node }`)."""
        for part, detail in self.parts.values():
            if part == "nodes":
                return detail  # type: ignore[no-any-return]
            if part == "edges":
                for name, shape in detail.values():
                    if name == "node":
                        return shape  # type: ignore[no-any-return]
        raise Unplannable("the selection has no rows (nodes or edges { node })")

    async def run(self, run: _Run) -> Any:
        assert self.root is not None
        root, report = self.root, self.root.report
        wanted, order, page = self.arguments(run)
        pairs, has_next, has_previous, _ = await self.page(
            run, wanted, order, page, self.cursors_wanted()
        )
        total = (
            await reports.count_rows(run.reader, report, wanted, run.identity)
            if "totalCount" in self.selected
            else 0
        )
        node_name = root.types.prefix
        out: dict[str, Any] = {}
        for key, (part, detail) in self.parts.items():
            if part == "__typename":
                out[key] = f"{node_name}Connection"
            elif part == "totalCount":
                out[key] = total
            elif part == "nodes":
                out[key] = [build(detail, row, run.pending) for _, row in pairs]
            elif part == "pageInfo":
                values = {
                    "__typename": "PageInfo",
                    "hasNextPage": has_next,
                    "hasPreviousPage": has_previous,
                    "startCursor": pairs[0][0] if pairs else None,
                    "endCursor": pairs[-1][0] if pairs else None,
                }
                out[key] = {k: values[n] for k, n in detail}
            else:  # edges
                edges = []
                for cursor, row in pairs:
                    edge: dict[str, Any] = {}
                    for k, (n, node_shape) in detail.items():
                        if n == "__typename":
                            edge[k] = f"{node_name}Edge"
                        elif n == "cursor":
                            edge[k] = cursor
                        else:
                            edge[k] = build(node_shape, row, run.pending)
                    edges.append(edge)
                out[key] = edges
        return out


def _node_shape(
    planner: Planner, node_type: Any, details: list[FieldDetails], builder: _StatementBuilder
) -> Shape | PolyShape:
    if node_type.name == "Service":
        return planner.poly_shape(node_type, details, builder)
    return planner.shape(node_type, details, builder, 0)


def connection_root(
    planner: Planner,
    key: str,
    name: str,
    node: Any,
    field_def: Any,
    details: list[FieldDetails],
) -> ReportConnectionRoot:
    root = REPORT_ROOTS[name]
    names = root.types
    connection_type = _object_type(planner, f"{names.prefix}Connection")
    edge_type = _object_type(planner, f"{names.prefix}Edge")
    page_info_type = _object_type(planner, "PageInfo")
    node_type = planner.context.graphql_schema.get_type(names.node)
    model = root.report.model
    one_table = node_type.name != "Service"

    def plan(key_offset: int) -> tuple[dict[str, Any], _StatementBuilder]:
        builder = _StatementBuilder(model, key_offset=key_offset)
        builder.position(0, root.report.key)  # a page selecting no column still has its rows
        parts: dict[str, Any] = {}
        for part_key, part_details in planner.subfields(connection_type, details).items():
            part = part_details[0].node.name.value
            if part in ("__typename", "totalCount"):
                parts[part_key] = (part, None)
            elif part == "nodes":
                parts[part_key] = (part, _node_shape(planner, node_type, part_details, builder))
            elif part == "pageInfo":
                fields = [
                    (k, d[0].node.name.value)
                    for k, d in planner.subfields(page_info_type, part_details).items()
                ]
                parts[part_key] = (part, fields)
            elif part == "edges":
                edge_parts: dict[str, Any] = {}
                for edge_key, edge_details in planner.subfields(edge_type, part_details).items():
                    edge_field = edge_details[0].node.name.value
                    shape = None
                    if edge_field == "node":
                        shape = _node_shape(planner, node_type, edge_details, builder)
                    edge_parts[edge_key] = (edge_field, shape)
                parts[part_key] = (part, edge_parts)
            else:
                raise Unplannable(f"{connection_type.name}.{part} is not plannable")
        return parts, builder

    if one_table:
        parts, builder = plan(0)
        one_table = len(builder.tables) == 1
    if one_table:
        columns = tuple(column for _, column in builder.columns)
        nodes = None
    else:
        # The node reads several tables: the page reads keys, the nodes come by key.
        parts, builder = plan(1)
        builder.position(0, "id")
        spec = BatchSpec(tuple(builder.tables), tuple(builder.columns), "id", ())
        columns = ()
        nodes = CompiledBatch(spec)
    selected = frozenset(part for part, _ in parts.values())
    return ReportConnectionRoot(
        key, root.root, node, field_def, details,
        root=root, parts=parts, columns=columns, nodes=nodes, selected=selected,
    )  # fmt: skip


# ------------------------------------------------------------------------ aggregates


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class ReportAggregateRoot(RootField):
    root: ReportRoot | None = None
    parts: list[tuple[str, str, Any]] = field(default_factory=list)  # (key, part, detail)
    wanted: list[tuple[reports.Function, str]] = field(default_factory=list)

    def models(self) -> set[Any]:
        assert self.root is not None
        return {self.root.report.model}

    async def run(self, run: _Run) -> Any:
        assert self.root is not None
        report = self.root.report
        arguments = get_argument_values(self.field_def, self.node, run.variables)
        try:
            wanted = report_resolvers.criteria(report, arguments.get("filter"))
            by = report_resolvers.dimensions(report, arguments.get("groupBy"))
            groups = await reports.aggregate(
                run.reader, report, wanted, by, self.wanted, run.identity
            )
        except (ValidationFailed, NotAllowed):
            raise Fallback("aggregate arguments refused") from None
        node = self.root.types.prefix
        out: dict[str, Any] = {}
        for key, part, detail in self.parts:
            if part == "__typename":
                out[key] = f"{node}Aggregate"
            else:
                out[key] = [self._group(report, node, group, detail) for group in groups]
        return out

    @staticmethod
    def _group(
        report: reports.Report, node: str, group: reports.Group, detail: list[Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, part, fields in detail:
            if part == "__typename":
                out[key] = f"{node}Group"
            elif part == "count":
                out[key] = group.count
            elif part == "key":
                out[key] = {
                    k: (
                        f"{node}GroupKey"
                        if name == "__typename"
                        else _json(report_resolvers.key_value(report, name, group.key.get(name)))
                    )
                    for k, name in fields
                }
            else:
                function = report_resolvers.FUNCTIONS[part]
                type_name = "Averages" if function is reports.Function.AVG else "Measures"
                out[key] = {
                    k: (
                        f"{node}{type_name}"
                        if name == "__typename"
                        else _json(group.values.get((function, name)))
                    )
                    for k, name in fields
                }
        return out


def aggregate_root(
    planner: Planner,
    key: str,
    field_name: str,
    node: Any,
    field_def: Any,
    details: list[FieldDetails],
) -> ReportAggregateRoot:
    root = AGGREGATE_ROOTS[field_name]
    name = root.types.prefix
    aggregate_type = _object_type(planner, f"{name}Aggregate")
    group_type = _object_type(planner, f"{name}Group")
    measures = report_resolvers.measure_names(root.report)
    dimension_names = {report_resolvers.camel(d.name): d.name for d in root.report.dimensions}
    wanted: set[tuple[reports.Function, str]] = set()
    parts: list[tuple[str, str, Any]] = []
    for part_key, part_details in planner.subfields(aggregate_type, details).items():
        part = part_details[0].node.name.value
        if part == "__typename":
            parts.append((part_key, part, None))
            continue
        group_parts: list[Any] = []
        for group_key, group_details in planner.subfields(group_type, part_details).items():
            group_part = group_details[0].node.name.value
            if group_part in ("__typename", "count"):
                group_parts.append((group_key, group_part, None))
                continue
            inner_type = planner.context.graphql_schema.get_type(
                group_type.fields[group_part].type.of_type.name
            )
            assert isinstance(inner_type, GraphQLObjectType)
            fields = []
            for inner_key, inner_details in planner.subfields(inner_type, group_details).items():
                inner = inner_details[0].node.name.value
                if inner == "__typename":
                    fields.append((inner_key, inner))
                elif group_part == "key":
                    fields.append((inner_key, dimension_names[inner]))
                else:
                    fields.append((inner_key, measures[inner]))
                    wanted.add((report_resolvers.FUNCTIONS[group_part], measures[inner]))
            group_parts.append((group_key, group_part, fields))
        parts.append((part_key, part, group_parts))
    ordered = sorted(wanted, key=lambda pair: (pair[0].value, pair[1]))
    return ReportAggregateRoot(
        key, f"{root.root}Aggregate", node, field_def, details,
        root=root, parts=parts, wanted=ordered,
    )  # fmt: skip


# The root fields this module plans, for CompiledReads(roots=...).
PLANNERS: dict[str, RootPlanner] = {
    **dict.fromkeys(REPORT_ROOTS, connection_root),
    **dict.fromkeys(AGGREGATE_ROOTS, aggregate_root),
}
