"""Report connections and aggregates: their GraphQL types, made from the domain's declarations.

For each `domain.reads.reports.Report` this module makes, with the descriptions the
declaration carries: `<Node>Filter`, `<Node>OrderField` and `<Node>Order`, `<Node>Edge`,
`<Node>Connection` and its result union, and for the aggregate `<Node>Dimension`,
`<Node>GroupKey`, `<Node>Measures`, `<Node>Averages`, `<Node>Group`, `<Node>Aggregate` and
its result union. The root fields are in gateway/resolvers/reports.py.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from domain.reads import reports
from gateway.schema.base import OrderDirection, PageInfo
from gateway.schema.errors import AnyUserError


@strawberry.input(
    description="Dates from `start` (included) to `end` (excluded); either may be left open."
)
class DateRange:
    start: dt.date | None = strawberry.field(default=None, description="First date included.")
    end: dt.date | None = strawberry.field(default=None, description="First date excluded.")


@strawberry.input(
    description="Instants from `start` (included) to `end` (excluded), each with its time zone; "
    "either may be left open."
)
class InstantRange:
    start: dt.datetime | None = strawberry.field(
        default=None, description="First instant included."
    )
    end: dt.datetime | None = strawberry.field(default=None, description="First instant excluded.")


@dataclass(frozen=True)
class ReportTypes:
    """The GraphQL types of one report."""

    report: reports.Report
    root: str  # the connection's root field (the aggregate's is `<root>Aggregate`)
    node: str  # the GraphQL type of its rows
    prefix: str  # its types' names start with it (the node's name unless that collides)
    filter: Any
    order: Any
    order_field: Any
    edge: Any
    connection: Any
    connection_result: Any
    dimension: Any
    group_key: Any
    measures: Any
    averages: Any
    group: Any
    aggregate: Any
    aggregate_result: Any


REQUIRED = object()  # a field without a default


def _make(kind: Any, name: str, description: str, fields: dict[str, tuple[Any, str, Any]]) -> Any:
    """A Strawberry type (or input) named `name` with `fields`: name -> (type, doc, default)."""
    namespace: dict[str, Any] = {"__annotations__": {}}
    for field_name, (annotation, doc, default) in fields.items():
        namespace["__annotations__"][field_name] = annotation
        namespace[field_name] = (
            strawberry.field(description=doc)
            if default is REQUIRED
            else strawberry.field(default=default, description=doc)
        )
    return kind(type(name, (), namespace), name=name, description=description)


def _filter_type(report: reports.Report, node: str) -> Any:
    fields: dict[str, tuple[Any, str, Any]] = {}
    for declared in report.filters:
        python_type = reports.column_value_type(report, declared.column)
        doc = declared.doc + ("" if declared.index else " Scans the table: no index serves it.")
        if declared.kind is reports.Kind.ANY_OF:
            item = strawberry.ID if declared.refers is not None else python_type
            annotation: Any = list[item] | None  # type: ignore[valid-type]
            if declared.refers is not None:
                doc += " Global or database ids."
        elif declared.kind is reports.Kind.RANGE:
            annotation = (InstantRange if python_type is dt.datetime else DateRange) | None
        elif declared.kind is reports.Kind.IS_NULL:
            annotation = bool | None
        else:
            annotation = python_type | None
        fields[declared.name] = (annotation, doc, None)
    return _make(
        strawberry.input,
        f"{node}Filter",
        f"Which {report.name} to keep; every given criterion must hold.",
        fields,
    )


def _order_types(report: reports.Report, node: str) -> tuple[Any, Any]:
    members = {o.name: strawberry.enum_value(o.name, description=o.doc) for o in report.orders}
    order_field = strawberry.enum(
        enum.Enum(f"{node}OrderField", members),  # type: ignore[misc]
        name=f"{node}OrderField",
        description=f"What {report.name} can be ordered by; the key always ends the ordering.",
    )
    order = _make(
        strawberry.input,
        f"{node}Order",
        f"One term of an ordering of {report.name}.",
        {
            "field": (order_field, "What to order by.", REQUIRED),
            "direction": (OrderDirection, "Ascending unless DESC.", OrderDirection.ASC),
        },
    )
    return order_field, order


def _scalar(report: reports.Report, measure: reports.Measure) -> Any:
    if measure.money:
        return Decimal
    from gateway.schema.portal import BigInt

    return BigInt


def make_types(
    report: reports.Report, root: str, node_type: Any, prefix: str | None = None
) -> ReportTypes:
    node = prefix or node_type.graphql_name
    filter_type = _filter_type(report, node)
    order_field, order = _order_types(report, node)
    edge = _make(
        strawberry.type,
        f"{node}Edge",
        f"One of {report.name} and its cursor.",
        {
            "cursor": (str, "Pass as `after` (or `before`) to page from this row.", REQUIRED),
            "node": (node_type, "The row.", REQUIRED),
        },
    )
    connection = _make(
        strawberry.type,
        f"{node}Connection",
        f"A keyset page of {report.name}: page 1,000 costs what page 1 costs.",
        {
            "edges": (list[edge], "The page's rows with their cursors.", REQUIRED),  # type: ignore[valid-type]
            "nodes": (list[node_type], "The page's rows, without cursors.", REQUIRED),  # type: ignore[valid-type]
            "page_info": (PageInfo, "Where the page sits.", REQUIRED),
            "total_count": (
                int,
                "Matching rows across all pages; counted (a scan of the matching rows) only when "
                "asked for.",
                REQUIRED,
            ),
        },
    )
    connection_result = Annotated[
        connection | AnyUserError,  # type: ignore[operator]
        strawberry.union(
            f"{node}ConnectionResult",
            description=f"A page of {report.name}, or why the arguments were refused.",
        ),
    ]
    dimension = strawberry.enum(
        enum.Enum(  # type: ignore[misc]
            f"{node}Dimension",
            {
                d.name.upper(): strawberry.enum_value(d.name.upper(), description=d.doc)
                for d in report.dimensions
            },
        ),
        name=f"{node}Dimension",
        description=f"What {report.name} can be grouped by.",
    )
    key_fields: dict[str, tuple[Any, str, Any]] = {}
    for declared in report.dimensions:
        if declared.refers is not None:
            annotation: Any = strawberry.ID
        elif declared.truncate is not None:
            annotation = dt.date
        else:
            annotation = reports.column_value_type(report, declared.column)
        key_fields[declared.name] = (
            annotation | None,
            declared.doc + " Null when the groups are not split by it.",
            None,
        )
    group_key = _make(
        strawberry.type,
        f"{node}GroupKey",
        f"The values that define a group of {report.name}.",
        key_fields,
    )
    measures = averages = None
    group_fields: dict[str, tuple[Any, str, Any]] = {
        "key": (group_key, "The group's values of the dimensions grouped by.", REQUIRED),
        "count": (int, "How many rows the group has.", REQUIRED),
    }
    if report.measures:
        measures = _make(
            strawberry.type,
            f"{node}Measures",
            f"Sums, minimums or maximums of the numbers of {report.name}; sums of money are "
            "exact decimals.",
            {x.name: (_scalar(report, x) | None, x.doc, None) for x in report.measures},
        )
        averages = _make(
            strawberry.type,
            f"{node}Averages",
            f"Means of the numbers of {report.name} (money rounded half-even to the cent).",
            {
                x.name: ((Decimal if x.money else float) | None, x.doc, None)
                for x in report.measures
            },
        )
        group_fields.update(
            {
                "sum": (
                    measures,
                    "Sums over the group's rows (null when none has a value).",
                    REQUIRED,
                ),
                "avg": (averages, "Means over the group's rows that have a value.", REQUIRED),
                "min": (measures, "Smallest values in the group.", REQUIRED),
                "max": (measures, "Largest values in the group.", REQUIRED),
            }
        )
    group = _make(
        strawberry.type,
        f"{node}Group",
        f"One group of {report.name} and its figures.",
        group_fields,
    )
    aggregate = _make(
        strawberry.type,
        f"{node}Aggregate",
        f"Figures of {report.name}, computed by the database in one GROUP BY statement.",
        {
            "groups": (
                list[group],  # type: ignore[valid-type]
                "One group per combination of the dimensions' values, ordered by them (nulls "
                "last); one group of every row without `groupBy`.",
                REQUIRED,
            )
        },
    )
    aggregate_result = Annotated[
        aggregate | AnyUserError,  # type: ignore[operator]
        strawberry.union(
            f"{node}AggregateResult",
            description=f"Figures of {report.name}, or why they were refused.",
        ),
    ]
    return ReportTypes(
        report, root, node_type.graphql_name, node, filter_type, order, order_field, edge,
        connection, connection_result, dimension, group_key, measures, averages, group,
        aggregate, aggregate_result,
    )  # fmt: skip
