"""Report connections and aggregates: the root fields, on the standard path, and the argument
handling both read paths share (gateway/execution/reports.py is the compiled one).

A connection reads its keyset page of keys (one statement), then its rows through the by-key
loader; an aggregate is one GROUP BY statement (domain.reads.reports).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import SelectedField

from domain import access
from domain.errors import NotAllowed, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Role
from domain.reads import reports
from gateway.loaders import container as L
from gateway.loaders import portal as P
from gateway.loaders import reports as R
from gateway.loaders.base import RequestLoader
from gateway.schema import errors
from gateway.schema.base import Info, PageInfo, to_global_id
from gateway.schema.billing import ReceivableType
from gateway.schema.billing_events import BillingEventType
from gateway.schema.ids import database_id
from gateway.schema.keyset import SortTerm, Window, encode, window
from gateway.schema.plans import PlanType
from gateway.schema.portal import CallRecordType, ConnectionSessionType, InvoiceType, TicketType
from gateway.schema.reports import ReportTypes, make_types
from gateway.schema.services import SERVICE_TYPES, ServiceInterface
from gateway.schema.tv import TvPackageSubscriptionType, TvPointType
from gateway.settings import Settings

MAX_DIMENSIONS = 2


@dataclass
class ReportRoot:
    """One report's root fields: `<root>` (the connection) and `<root>Aggregate`."""

    report: reports.Report
    root: str
    node: Any  # the Strawberry type of its rows
    loader: type[RequestLoader[Any]]  # its rows by key, for the standard path
    prefix: str | None = None  # of its types' names, where the node's name would collide
    types: ReportTypes = field(init=False)

    def __post_init__(self) -> None:
        self.types = make_types(self.report, self.root, self.node, self.prefix)

    def build(self, row: Any) -> Any:
        if self.node is ServiceInterface:
            return SERVICE_TYPES[row.kind].from_model(row)
        return self.node.from_model(row)


# Each report's root field, the type of its rows and their loader (reports.REPORTS).
REPORT_ROOTS: dict[str, ReportRoot] = {
    r.root: r
    for r in (
        ReportRoot(reports.RECEIVABLES, "receivables", ReceivableType, L.ReceivableByIdLoader),
        ReportRoot(reports.PLANS, "plans", PlanType, L.PlanByIdLoader),
        ReportRoot(reports.SERVICES, "services", ServiceInterface, L.ServiceByIdLoader),
        ReportRoot(
            reports.TV_PACKAGE_SUBSCRIPTIONS, "tvPackageSubscriptions",
            TvPackageSubscriptionType, L.TvPackageSubscriptionByIdLoader,
        ),
        ReportRoot(reports.TV_POINTS, "tvPoints", TvPointType, L.TvPointByIdLoader),
        ReportRoot(
            reports.BILLING_EVENTS, "billingEvents", BillingEventType, R.BillingEventByIdLoader
        ),
        ReportRoot(
            reports.SUPPORT_TICKETS, "supportTickets", TicketType, P.TicketByIdLoader,
            prefix="SupportTicket",
        ),
        ReportRoot(
            reports.CONNECTION_SESSIONS, "connectionSessions",
            ConnectionSessionType, R.ConnectionSessionByIdLoader,
        ),
        ReportRoot(reports.CALL_RECORDS, "callRecords", CallRecordType, R.CallRecordByIdLoader),
        ReportRoot(reports.INVOICES, "invoices", InvoiceType, P.InvoiceByIdLoader),
    )
}  # fmt: skip
assert [r.report for r in REPORT_ROOTS.values()] == list(reports.REPORTS)
AGGREGATE_ROOTS = {f"{r.root}Aggregate": r for r in REPORT_ROOTS.values()}


# ------------------------------------------------------------------------ arguments


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def _member(enum_class: type[enum.Enum], value: Any) -> enum.Enum:
    """An enum member from a member, its name or its value (the two paths differ)."""
    if isinstance(value, enum_class):
        return value
    if isinstance(value, enum.Enum):
        value = value.name
    return enum_class[value] if value in enum_class.__members__ else enum_class(value)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def criteria(report: reports.Report, given: Any) -> dict[str, Any]:
    """The domain criteria of a filter input: a Strawberry input (standard path) or the
    coerced argument's dict with GraphQL names (compiled path). ValidationFailed if refused."""
    wanted: dict[str, Any] = {}
    if given is None:
        return wanted
    for declared in report.filters:
        value = _get(given, declared.name)
        if value is None and isinstance(given, Mapping):
            value = given.get(camel(declared.name))
        if value is None:
            continue
        path = f"filter.{camel(declared.name)}"
        python_type = reports.column_value_type(report, declared.column)
        if declared.kind is reports.Kind.ANY_OF:
            if declared.refers is not None:
                name = declared.refers.__name__
                # Ids that name nothing match nothing, rather than everything.
                wanted[declared.name] = tuple(database_id(str(v), name) or -1 for v in value)
            elif issubclass(python_type, enum.Enum):
                wanted[declared.name] = tuple(_member(python_type, v) for v in value)
            else:
                wanted[declared.name] = tuple(value)
        elif declared.kind is reports.Kind.RANGE:
            start, end = _get(value, "start"), _get(value, "end")
            for bound, instant in (("start", start), ("end", end)):
                if isinstance(instant, dt.datetime) and instant.tzinfo is None:
                    raise ValidationFailed.one(
                        f"{path}.{bound}", _("Give the instant a time zone.")
                    )
            if start is not None and end is not None and end <= start:
                raise ValidationFailed.one(f"{path}.end", _("The end must come after the start."))
            wanted[declared.name] = (start, end)
        else:
            wanted[declared.name] = value
    return wanted


def ordering(report: reports.Report, terms: Iterable[Any]) -> tuple[tuple[str, bool], ...]:
    """(order name, descending) of an orderBy argument (inputs or dicts, members or names)."""
    result = []
    for term in terms:
        chosen, direction = _get(term, "field"), _get(term, "direction") or "ASC"
        name = chosen.name if isinstance(chosen, enum.Enum) else str(chosen)
        descending = (direction.name if isinstance(direction, enum.Enum) else direction) == "DESC"
        result.append((report.order(name).name, descending))
    return tuple(result)


def ordering_name(report: reports.Report, order: Sequence[tuple[str, bool]]) -> str:
    columns = reports.sort_columns(report, order)
    return f"{report.name}:" + ",".join(
        f"{column}.{'DESC' if descending else 'ASC'}" for column, descending, __ in columns
    )


def page_window(
    report: reports.Report,
    settings: Settings,
    order: tuple[tuple[str, bool], ...],
    arguments: Mapping[str, Any],
) -> Window:
    """The keyset page of a report connection's arguments (ValidationFailed if refused)."""
    terms = [
        SortTerm(reports.value_type(report.column_type(column)), nullable)
        for column, __, nullable in reports.sort_columns(report, order)
    ]
    return window(
        order=order,
        ordering=ordering_name(report, order),
        terms=terms,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


def key_position(report: reports.Report, order: Sequence[tuple[str, bool]]) -> int:
    """Where the table's key sits in a page row's sort key."""
    columns = [column for column, __, __ in reports.sort_columns(report, order)]
    return columns.index(report.key)


def missing_permission(identity: Identity | None, report: reports.Report) -> str | None:
    """The read permission staff lack for the report's table, if any."""
    if identity is None or identity.role is not Role.STAFF:
        return None
    missing = sorted(p.name for p in access.read_permissions({report.model}) - identity.permissions)
    return missing[0] if missing else None


def not_allowed(report: reports.Report, permission: str) -> errors.NotAllowed:
    return errors.NotAllowed(
        message=_(
            "Reading {report_name} needs the {permission} permission.",
            report_name=report.name,
            permission=permission,
        ),
        permission=permission,
    )


def dimensions(report: reports.Report, group_by: Iterable[Any] | None) -> tuple[str, ...]:
    """The dimensions of a groupBy argument (at most two, each once)."""
    names = tuple(
        (value.name if isinstance(value, enum.Enum) else str(value)).lower()
        for value in group_by or ()
    )
    if len(names) > MAX_DIMENSIONS:
        raise ValidationFailed.one(
            "groupBy",
            _("Group by at most {max_dimensions} dimensions.", max_dimensions=MAX_DIMENSIONS),
        )
    if len(set(names)) != len(names):
        raise ValidationFailed.one("groupBy", _("Name each dimension once."))
    for name in names:
        report.dimension(name)
    return names


FUNCTIONS = {
    "sum": reports.Function.SUM,
    "avg": reports.Function.AVG,
    "min": reports.Function.MIN,
    "max": reports.Function.MAX,
}


def measure_names(report: reports.Report) -> dict[str, str]:
    """GraphQL field name -> measure."""
    return {camel(x.name): x.name for x in report.measures}


def key_value(report: reports.Report, name: str, value: Any) -> Any:
    """A group key's value as GraphQL gives it: ids of rows as global ids."""
    declared = report.dimension(name)
    if value is None or declared.refers is None:
        return value
    return to_global_id(declared.refers.__name__, value)


# ------------------------------------------------------------------------ the standard path


def _selected(selections: Iterable[Any]) -> list[SelectedField]:
    """The fields of a selection, looking through fragments."""
    found = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        else:
            found.extend(_selected(selection.selections))
    return found


async def connection(
    info: Info,
    root: ReportRoot,
    arguments: dict[str, Any],
    filter: Any,
    order_by: list[Any] | None,
) -> Any:
    report, types = root.report, root.types
    permission = missing_permission(info.context.identity, report)
    if permission is not None:
        return not_allowed(report, permission)
    try:
        wanted = criteria(report, filter)
        order = ordering(report, order_by or ())
        page = page_window(report, info.context.settings, order, arguments)
    except ValidationFailed as error:
        return errors.user_error(error)
    read = await info.context.db.run(reports.page_rows, report, wanted, page.page)
    rows, has_next, has_previous = page.cut(read)
    position = key_position(report, order)
    found = await info.context.loaders.get(root.loader).load_many([row[position] for row in rows])
    name = ordering_name(report, order)
    edges = [
        types.edge(cursor=encode(name, row), node=root.build(node))
        for row, node in zip(rows, found, strict=True)
        if node is not None  # deleted since the page was read
    ]
    selected = {f.name for f in _selected(s for f in info.selected_fields for s in f.selections)}
    total = (
        await info.context.db.run(reports.count_rows, report, wanted)
        if "totalCount" in selected
        else 0
    )
    return types.connection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def wanted_measures(
    report: reports.Report, selections: Iterable[Any]
) -> list[tuple[reports.Function, str]]:
    """The (function, measure) pairs a selection of an aggregate asks for."""
    names = measure_names(report)
    wanted: set[tuple[reports.Function, str]] = set()
    for groups in _selected(selections):
        if groups.name != "groups":
            continue
        for part in _selected(groups.selections):
            function = FUNCTIONS.get(part.name)
            if function is None:
                continue
            for measure in _selected(part.selections):
                if measure.name in names:
                    wanted.add((function, names[measure.name]))
    return sorted(wanted, key=lambda pair: (pair[0].value, pair[1]))


async def aggregate(info: Info, root: ReportRoot, filter: Any, group_by: list[Any] | None) -> Any:
    report, types = root.report, root.types
    permission = missing_permission(info.context.identity, report)
    if permission is not None:
        return not_allowed(report, permission)
    try:
        wanted = criteria(report, filter)
        by = dimensions(report, group_by)
    except ValidationFailed as error:
        return errors.user_error(error)
    measures = wanted_measures(report, (s for f in info.selected_fields for s in f.selections))
    try:
        groups = await info.context.db.run(reports.aggregate, report, wanted, by, measures)
    except NotAllowed as error:
        return errors.user_error(error)
    out = []
    for group in groups:
        key = types.group_key(**{name: key_value(report, name, v) for name, v in group.key.items()})
        figures: dict[str, Any] = {}
        if types.measures is not None:
            for part, function in FUNCTIONS.items():
                kind = types.averages if function is reports.Function.AVG else types.measures
                figures[part] = kind(
                    **{x.name: group.values.get((function, x.name)) for x in report.measures}
                )
        out.append(types.group(key=key, count=group.count, **figures))
    return types.aggregate(groups=out)


# ------------------------------------------------------------------------ the root fields

_PAGE_ARGUMENTS = {
    "first": (int | None, "How many rows from the start (or after `after`); 20 by default."),
    "after": (str | None, "A cursor of this connection and ordering: the page starts after it."),
    "last": (int | None, "How many rows from the end (or before `before`)."),
    "before": (str | None, "A cursor of this connection and ordering: the page ends before it."),
}


def _connection_field(root: ReportRoot) -> Any:
    types = root.types

    async def resolve(
        info: Info,
        first: Any = None,
        after: Any = None,
        last: Any = None,
        before: Any = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> Any:
        arguments = {"first": first, "after": after, "last": last, "before": before}
        return await connection(info, root, arguments, filter, order_by)

    resolve.__annotations__ = {
        "info": Info,
        **{
            name: Annotated[annotation, strawberry.argument(description=doc)]
            for name, (annotation, doc) in _PAGE_ARGUMENTS.items()
        },
        "filter": Annotated[
            types.filter | None, strawberry.argument(description="Which rows to keep.")
        ],
        "order_by": Annotated[
            list[types.order] | None,  # type: ignore[name-defined]
            strawberry.argument(
                description="The ordering; the key always ends it (by key alone when not given)."
            ),
        ],
        "return": types.connection_result,
    }
    return strawberry.field(
        resolver=resolve, name=root.root, description=root.report.doc + " A keyset page."
    )


def _aggregate_field(root: ReportRoot) -> Any:
    types = root.types

    async def resolve(info: Info, filter: Any = None, group_by: Any = None) -> Any:
        return await aggregate(info, root, filter, group_by)

    resolve.__annotations__ = {
        "info": Info,
        "filter": Annotated[
            types.filter | None, strawberry.argument(description="Which rows to count in.")
        ],
        "group_by": Annotated[
            list[types.dimension] | None,  # type: ignore[name-defined]
            strawberry.argument(description="Split the figures by up to two dimensions."),
        ],
        "return": types.aggregate_result,
    }
    return strawberry.field(
        resolver=resolve,
        name=f"{root.root}Aggregate",
        description=f"Count, sums, means, minimums and maximums of {root.report.name}, "
        "optionally grouped, in one statement; scoped like the connection (staff need BILLING "
        "for money).",
    )


ReportQuery = strawberry.type(
    type(
        "ReportQuery",
        (),
        {
            **{root.root: _connection_field(root) for root in REPORT_ROOTS.values()},
            **{f"{root.root}_aggregate": _aggregate_field(root) for root in REPORT_ROOTS.values()},
        },
    ),
    description="Report connections and their aggregates.",
)
