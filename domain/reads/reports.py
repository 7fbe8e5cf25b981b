"""Report tables: filters, keyset pages and grouped aggregates over one table, scoped.

Each `Report` declares a table's filters (with the index that serves each, or None where it
scans), orderings, numeric measures and group-by dimensions once. The page and the aggregate
statements are built from the declaration and carry the caller's row filters (domain.access),
so the standard path (on the request's session) and the compiled path (on the driver
connection, `Reader`) run the same SQL. ADR 0150 (keyset pages), ADR 0151 (aggregates).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.util import ClauseAdapter

from domain import access
from domain import models as m
from domain.errors import NotAllowed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.base import UtcDateTime
from domain.reads import keyset
from domain.reads.batched import Reader

Db = AsyncSession | Reader
CENT = Decimal("0.01")


class Kind(enum.Enum):
    """How a filter compares its column with the value given."""

    ANY_OF = "ANY_OF"  # the column is one of the values
    RANGE = "RANGE"  # from `start` (included) to `end` (excluded); either may be open
    EQUALS = "EQUALS"
    EQUALS_IGNORING_CASE = "EQUALS_IGNORING_CASE"
    IS_NULL = "IS_NULL"  # true: the column is null; false: it is not


@dataclass(frozen=True)
class Hop:
    """A to-one step: the previous table's `via` column holds the primary key of `model`."""

    via: str
    model: Any


@dataclass(frozen=True)
class Column:
    """A column of the report's table, or of a table reached through to-one hops."""

    name: str
    hops: tuple[Hop, ...] = ()


@dataclass(frozen=True)
class Filter:
    name: str
    column: Column
    kind: Kind
    index: str | None  # the index that serves it; None where the filter scans
    doc: str
    refers: Any = None  # the model an id filter names (values arrive as its global ids)


@dataclass(frozen=True)
class Order:
    name: str  # the ordering's enum member
    column: str  # a column of the report's own table
    doc: str
    nullable: bool = False


@dataclass(frozen=True)
class Measure:
    name: str
    column: str
    doc: str
    money: bool = False  # staff need BILLING; sums are exact decimals


class Truncate(enum.Enum):
    DAY = "DAY"
    MONTH = "MONTH"


@dataclass(frozen=True)
class Dimension:
    name: str
    column: Column
    doc: str
    truncate: Truncate | None = None
    refers: Any = None  # the model whose id the dimension's values are


@dataclass(frozen=True)
class Report:
    """One table a reporting tool pages, filters, orders and aggregates."""

    name: str
    model: Any
    doc: str
    filters: tuple[Filter, ...]
    orders: tuple[Order, ...]
    measures: tuple[Measure, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    key: str = "id"

    def filter(self, name: str) -> Filter:
        return next(f for f in self.filters if f.name == name)

    def measure(self, name: str) -> Measure:
        return next(x for x in self.measures if x.name == name)

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def order(self, name: str) -> Order:
        return next(o for o in self.orders if o.name == name)

    def column_type(self, name: str) -> Any:
        return self.model.__table__.c[name].type


# ------------------------------------------------------------------------ the statements


class _From:
    """The report's table (alias `r`), the to-one tables its filters and dimensions reach
    (LEFT JOINs, each carrying its own row filter, so an invisible row reads as null), and
    the caller's row filter on the report's table."""

    def __init__(self, report: Report, identity: Identity | None) -> None:
        self.report = report
        self.identity = identity
        self.base = report.model.__table__.alias("r")
        self.clause: FromClause = self.base
        self.where: list[ColumnElement[bool]] = []
        self._joined: dict[tuple[Hop, ...], FromClause] = {(): self.base}
        self.owner = None
        if identity is not None and identity.role is not Role.STAFF:
            self.owner = bindparam("owner", access.owner_key(identity), type_=Integer)
        criterion = self._scope(report.model, self.base)
        if criterion is not None:
            self.where.append(criterion)

    def _scope(self, model: Any, alias: FromClause) -> ColumnElement[bool] | None:
        """`model`'s row filter for the caller, on `alias` (None: it sees the whole table).
        Staff lacking the table's permission get NotAllowed, as in their session."""
        if self.identity is None:
            return None
        criterion = access.row_filter(model, self.identity, self.owner)
        if criterion is None:
            return None
        return ClauseAdapter(alias).traverse(criterion)  # type: ignore[no-any-return]

    def table(self, hops: tuple[Hop, ...]) -> FromClause:
        joined = self._joined.get(hops)
        if joined is None:
            parent = self.table(hops[:-1])
            hop = hops[-1]
            joined = hop.model.__table__.alias(f"j{len(self._joined)}")
            on = joined.c.id == parent.c[hop.via]
            criterion = self._scope(hop.model, joined)
            if criterion is not None:
                on = on & criterion
            self.clause = self.clause.outerjoin(joined, on)
            self._joined[hops] = joined
        return joined

    def column(self, column: Column) -> ColumnElement[Any]:
        return self.table(column.hops).c[column.name]  # type: ignore[no-any-return]


def _conditions(
    source: _From, criteria: Mapping[str, Any], named: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the given filters (values already in the columns' types).
    `named`: each value is the parameter `_criteria_values` names, so that one statement (its
    shape keyed by `_criteria_shape`) serves any values."""
    conditions = []
    values = _criteria_values(source.report, criteria)

    def value_of(key: str, column: ColumnElement[Any], expanding: bool = False) -> Any:
        if not named:
            return values[key]
        return bindparam(key, values[key], type_=column.type, expanding=expanding)

    for name, value in criteria.items():
        if value is None:
            continue
        declared = source.report.filter(name)
        column = source.column(declared.column)
        if declared.kind is Kind.ANY_OF:
            conditions.append(column.in_(value_of(f"f_{name}", column, expanding=True)))
        elif declared.kind is Kind.RANGE:
            start, end = value
            if start is not None:
                conditions.append(column >= value_of(f"f_{name}_start", column))
            if end is not None:
                conditions.append(column < value_of(f"f_{name}_end", column))
        elif declared.kind is Kind.EQUALS:
            conditions.append(column == value_of(f"f_{name}", column))
        elif declared.kind is Kind.EQUALS_IGNORING_CASE:
            lowered = func.lower(column)
            conditions.append(lowered == value_of(f"f_{name}", lowered))
        else:  # IS_NULL
            conditions.append(column.is_(None) if value else column.is_not(None))
    return conditions


def _criteria_values(report: Report, criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The filters' values by the parameter names `_conditions(named=True)` gives them."""
    values: dict[str, Any] = {}
    for name, value in criteria.items():
        if value is None:
            continue
        kind = report.filter(name).kind
        if kind is Kind.ANY_OF:
            values[f"f_{name}"] = list(value)
        elif kind is Kind.RANGE:
            start, end = value
            if start is not None:
                values[f"f_{name}_start"] = start
            if end is not None:
                values[f"f_{name}_end"] = end
        elif kind is Kind.EQUALS:
            values[f"f_{name}"] = value
        elif kind is Kind.EQUALS_IGNORING_CASE:
            values[f"f_{name}"] = str(value).lower()
    return values


def _criteria_shape(report: Report, criteria: Mapping[str, Any]) -> tuple[Any, ...]:
    """What of the filters shapes the statement: which are set, which range ends are open,
    which way an IS_NULL goes (the values themselves are parameters)."""
    shape: list[Any] = []
    for name, value in criteria.items():
        if value is None:
            continue
        kind = report.filter(name).kind
        if kind is Kind.RANGE:
            shape.append((name, value[0] is None, value[1] is None))
        elif kind is Kind.IS_NULL:
            shape.append((name, bool(value)))
        else:
            shape.append(name)
    return tuple(shape)


@dataclass(frozen=True)
class PageSpec:
    """Which rows of the ordered, filtered table a page reads."""

    order: tuple[tuple[str, bool], ...]  # (order name, descending); the key is added last
    after: tuple[Any, ...] | None = None  # sort key of the row the page starts after
    before: tuple[Any, ...] | None = None  # ... and of the row it ends before
    limit: int = 20
    backward: bool = False  # read from the end (`last`): rows come back in page order


def sort_columns(report: Report, order: Sequence[tuple[str, bool]]) -> list[tuple[str, bool, bool]]:
    """(column, descending, nullable) of an ordering, ending with the table's key."""
    terms = []
    for name, descending in order:
        declared = report.order(name)
        terms.append((declared.column, descending, declared.nullable))
    if not any(column == report.key for column, __, __ in terms):
        terms.append((report.key, False, False))
    return terms


def page_statement(
    report: Report,
    criteria: Mapping[str, Any],
    page: PageSpec,
    columns: Sequence[str],
    identity: Identity | None,
    render: Callable[[FromClause], list[ColumnElement[Any]]] | None = None,
) -> Select[Any]:
    """The page: each row is `columns` of the report's table (or what `render` makes of the
    table), then the sort key's values."""
    source = _From(report, identity)
    keys = [
        keyset.SortKey(source.base.c[column], descending, nullable)
        for column, descending, nullable in sort_columns(report, page.order)
    ]
    where = source.where + _conditions(source, criteria)
    if page.after is not None:
        where.append(keyset.after(keys, page.after))
    if page.before is not None:
        where.append(keyset.after(keys, page.before, backward=True))
    selected = [source.base.c[name] for name in columns] if render is None else render(source.base)
    selected += [key.column for key in keys]
    return (
        select(*selected)
        .select_from(source.clause)
        .where(*where)
        .order_by(*keyset.order_by(keys, backward=page.backward))
        .limit(page.limit)
    )


async def _rows(db: Db, statement: Select[Any]) -> list[Sequence[Any]]:
    if isinstance(db, Reader):
        return await db.rows(statement)
    return list((await db.execute(statement)).all())


def _identity(db: Db, identity: Identity | None) -> Identity | None:
    return identity if isinstance(db, Reader) else access.identity_of(db)


async def page_rows(
    db: Db,
    report: Report,
    criteria: Mapping[str, Any],
    page: PageSpec,
    columns: Sequence[str] = (),
    identity: Identity | None = None,
) -> list[Sequence[Any]]:
    """One page, in page order. `identity` scopes a Reader (a session is scoped already)."""
    if page.limit <= 0:
        return []
    statement = page_statement(report, criteria, page, columns, _identity(db, identity))
    rows = await _rows(db, statement)
    return rows[::-1] if page.backward else rows


# ------------------------------------------------------------------------ CSV lines


class Cell(enum.Enum):
    """How PostgreSQL renders a CSV cell of a column's values as the GraphQL answer gives
    them (its CSV writer then quotes as Python's does: a comma, a quote, CR or LF)."""

    INTEGER = "INTEGER"  # decimal digits
    MONEY = "MONEY"  # a fixed-scale NUMERIC: its digits with its scale (`str(Decimal)`)
    DATE = "DATE"  # ISO 8601
    NAME = "NAME"  # an enum member's name (stored as such)
    TEXT = "TEXT"  # as it is
    GLOBAL_ID = "GLOBAL_ID"  # base64 of "Type:key" (the detail: the type's name)
    CONSTANT = "CONSTANT"  # the same cell on every row (the detail: its text)


def cell_of(column_type: Any) -> Cell | None:
    """The Cell that renders a column type's values exactly as the GraphQL answer would;
    None for the types it does not (instants, booleans, JSON...)."""
    if getattr(column_type, "enum_class", None) is not None:
        return Cell.NAME
    if isinstance(column_type, UtcDateTime):
        return None
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return None
    if python_type is int:
        return Cell.INTEGER
    if python_type is Decimal and getattr(column_type, "scale", None) is not None:
        return Cell.MONEY
    if python_type is dt.date:
        return Cell.DATE
    if python_type is str:
        return Cell.TEXT
    return None


def _cell_sql(column: ColumnElement[Any] | None, cell: Cell, detail: Any) -> ColumnElement[Any]:
    """The value COPY's CSV writer gets for a cell: text as the GraphQL answer gives it, an
    empty text as null (COPY would write `""`, Python's writer writes nothing)."""
    if cell is Cell.CONSTANT:
        return literal(detail or None, String)
    assert column is not None
    if cell is Cell.DATE:
        return func.to_char(column, "YYYY-MM-DD")  # whatever the DateStyle
    if cell is Cell.GLOBAL_ID:
        # Short ids: PostgreSQL's base64 breaks lines only after 76 characters.
        text = literal(f"{detail}:", String) + cast(column, String)
        return func.encode(func.convert_to(text, "UTF8"), "base64")
    if cell is Cell.TEXT:
        return func.nullif(column, "")
    return column  # INTEGER, MONEY, NAME: their text output


async def copy_csv(
    reader: Reader,
    report: Report,
    criteria: Mapping[str, Any],
    order: Sequence[tuple[str, bool]],
    cells: Sequence[tuple[str | None, Cell, Any]],
    sink: Callable[[bytes], Any],
    identity: Identity | None = None,
) -> None:
    """Every matching row, in the ordering, as CSV written by PostgreSQL (`COPY (...) TO
    STDOUT (FORMAT csv)`, LF line ends) into `sink`, batch by batch. `cells` are (column of the
    report's table or None, Cell, detail). The page statement's FROM, scoping and ORDER BY
    (`page_statement`, with no limit), selecting the cells."""

    def render(base: FromClause) -> list[ColumnElement[Any]]:
        return [
            _cell_sql(None if name is None else base.c[name], cell, detail)
            for name, cell, detail in cells
        ]

    page = PageSpec(order=tuple(order), limit=None)  # type: ignore[arg-type]
    statement = page_statement(report, criteria, page, (), identity, render)
    selected = list(statement.selected_columns)[: len(cells)]
    await reader.copy_csv(statement.with_only_columns(*selected, maintain_column_froms=True), sink)


async def count_rows(
    db: Db, report: Report, criteria: Mapping[str, Any], identity: Identity | None = None
) -> int:
    """How many rows match (totalCount: a scan of the matching rows, run only when asked)."""
    source = _From(report, _identity(db, identity))
    where = source.where + _conditions(source, criteria)  # joins what the filters reach, first
    statement = select(func.count()).select_from(source.clause).where(*where)
    rows = await _rows(db, statement)
    return int(rows[0][0])


# ------------------------------------------------------------------------ aggregates


class Function(enum.Enum):
    SUM = "SUM"
    AVG = "AVG"
    MIN = "MIN"
    MAX = "MAX"


@dataclass(frozen=True)
class Group:
    """One group of an aggregate: its dimensions' values, its row count and the measures."""

    key: dict[str, Any]
    count: int
    values: dict[tuple[Function, str], Any] = field(default_factory=dict)


def _dimension(source: _From, dimension: Dimension, dialect: str) -> ColumnElement[Any]:
    column = source.column(dimension.column)
    if dimension.truncate is None:
        return column
    is_date = isinstance(column.type, Date)
    if dialect == "postgresql":
        # Instants are grouped by their UTC day or month, as SQLite (which stores UTC) does.
        value = column if is_date else func.timezone("UTC", column)
        unit = "month" if dimension.truncate is Truncate.MONTH else "day"
        return cast(func.date_trunc(unit, value), Date)
    if dimension.truncate is Truncate.MONTH:
        return type_coerce(func.date(column, "start of month"), Date)
    return type_coerce(func.date(column), Date)


def _measure_parts(measure: Measure, functions: set[Function], dialect: str) -> list[str]:
    """The SELECT items one measure needs, in order: sum (for SUM and AVG); for AVG, a money
    mean's avg on PostgreSQL (NUMERIC's avg shares sum's running state, so it costs nothing
    more; to the cent it is sum / count) or count elsewhere (integer means are sum / count as
    floats); then min and max."""
    parts = []
    if functions & {Function.SUM, Function.AVG}:
        parts.append("sum")
        if Function.AVG in functions:
            parts.append("avg" if measure.money and dialect == "postgresql" else "count")
    if Function.MIN in functions:
        parts.append("min")
    if Function.MAX in functions:
        parts.append("max")
    return parts


def _measure_column(source: _From, measure: Measure, part: str, dialect: str) -> ColumnElement[Any]:
    column = source.base.c[measure.column]
    if part == "sum":
        if measure.money and dialect == "sqlite":
            # SQLite keeps NUMERIC as a binary float: sum whole cents, exactly.
            return func.sum(cast(func.round(column * 100), BigInteger))
        return func.sum(column)
    return {"avg": func.avg, "count": func.count, "min": func.min, "max": func.max}[part](column)


def _dialect(db: Db) -> str:
    if isinstance(db, Reader):
        return db.dialect
    return db.bind.dialect.name


def _scope_key(identity: Identity | None) -> Any:
    """What of the caller shapes a statement: the role (its row filters take the owner as a
    parameter); for staff, their permissions (a missing one refuses the table)."""
    if identity is None:
        return None
    if identity.role is Role.STAFF:
        return (identity.role, identity.permissions)
    return identity.role


async def aggregate(
    db: Db,
    report: Report,
    criteria: Mapping[str, Any],
    group_by: Sequence[str],
    wanted: Sequence[tuple[Function, str]],
    identity: Identity | None = None,
) -> list[Group]:
    """Count and `wanted` (function, measure) of the matching rows, per group of `group_by`'s
    values, in one GROUP BY statement; groups in the order of their dimensions' values.

    Staff need BILLING for a money measure (and the table's own permission, as for any read).
    On a Reader the statement is built and compiled once per shape (`Reader.rows_prepared`).
    """
    identity = _identity(db, identity)
    measures = {name for __, name in wanted}
    if (
        identity is not None
        and identity.role is Role.STAFF
        and any(report.measure(name).money for name in measures)
        and not identity.has(Permission.BILLING)
    ):
        raise NotAllowed(_("Sums of money need the BILLING permission."), permission="BILLING")
    dialect = _dialect(db)
    positions: dict[tuple[str, str], int] = {}
    items: list[tuple[str, str]] = []  # (part, measure name) after the dimensions and count
    for name in sorted(measures):
        functions = {function for function, measure in wanted if measure == name}
        for part in _measure_parts(report.measure(name), functions, dialect):
            positions[(part, name)] = len(group_by) + 1 + len(items)
            items.append((part, name))

    def build() -> Select[Any]:
        source = _From(report, identity)
        dimensions = [_dimension(source, report.dimension(name), dialect) for name in group_by]
        selected: list[ColumnElement[Any]] = [*dimensions, func.count()]
        for part, name in items:
            selected.append(_measure_column(source, report.measure(name), part, dialect))
        # The conditions join the tables the filters reach: before the FROM is taken.
        where = source.where + _conditions(source, criteria, named=True)
        statement = select(*selected).select_from(source.clause).where(*where)
        if dimensions:
            statement = statement.group_by(*dimensions).order_by(
                *(d.asc().nulls_last() for d in dimensions)
            )
        return statement

    if isinstance(db, Reader):
        # Everything else that shapes the statement is in the key; its values are parameters.
        key = ("aggregate", report.name, tuple(group_by), tuple(items),
               _criteria_shape(report, criteria), _scope_key(identity))  # fmt: skip
        values = _criteria_values(report, criteria)
        if identity is not None and identity.role is not Role.STAFF:
            values["owner"] = access.owner_key(identity)
        rows = await db.rows_prepared(key, build, values)
    else:
        rows = await _rows(db, build())
    groups = []
    for row in rows:
        key_values = {
            name: _dimension_value(report, report.dimension(name), row[index])
            for index, name in enumerate(group_by)
        }
        values_of = {
            (function, name): _value(report.measure(name), function, row, positions, dialect)
            for function, name in wanted
        }
        groups.append(Group(key_values, int(row[len(group_by)]), values_of))
    return groups


def _dimension_value(report: Report, dimension: Dimension, value: Any) -> Any:
    """The dimension's value as the session would give it (a date, an enum member)."""
    if value is None:
        return None
    column = dimension.column
    python_type = column_value_type(report, column)
    if dimension.truncate is not None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
        return value
    if python_type is not None and issubclass(python_type, enum.Enum) and isinstance(value, str):
        return python_type[value]
    return value


def _python_type(model: Any, name: str) -> Any:
    return value_type(model.__table__.c[name].type)


def value_type(column_type: Any) -> Any:
    """The Python type of a column's values: its enum class, datetime for UtcDateTime, ..."""
    enum_class = getattr(column_type, "enum_class", None)
    if enum_class is not None:
        return enum_class
    if isinstance(column_type, UtcDateTime):
        return dt.datetime
    try:
        return column_type.python_type
    except NotImplementedError:
        return None


def column_value_type(report: Report, column: Column) -> Any:
    """The Python type of a report column's values (through its hops)."""
    return _python_type(column.hops[-1].model if column.hops else report.model, column.name)


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _value(
    measure: Measure,
    function: Function,
    row: Sequence[Any],
    positions: dict[tuple[str, str], int],
    dialect: str,
) -> Any:
    name = measure.name
    if function in (Function.MIN, Function.MAX):
        value = row[positions[(function.value.lower(), name)]]
        return _money(value) if measure.money else (None if value is None else int(value))
    summed = row[positions[("sum", name)]]
    if summed is None:
        return None
    if measure.money:
        total = Decimal(int(summed)).scaleb(-2) if dialect == "sqlite" else Decimal(summed)
        total = total.quantize(CENT)
    else:
        total = int(summed)
    if function is Function.SUM:
        return total
    if ("avg", name) in positions:  # PostgreSQL's avg of money, to 16 digits at least
        mean = Decimal(row[positions[("avg", name)]])
        return mean.quantize(CENT, rounding=ROUND_HALF_EVEN)
    counted = int(row[positions[("count", name)]])
    if counted == 0:
        return None
    if measure.money:
        return (Decimal(total) / counted).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return total / counted


# ------------------------------------------------------------------------ the reports


def _via(*steps: tuple[str, Any]) -> tuple[Hop, ...]:
    return tuple(Hop(via, model) for via, model in steps)


PLAN = _via(("plan_id", m.Plan))
INSTALLATION = _via(("installation_address_id", m.Address))
PLAN_INSTALLATION = _via(("plan_id", m.Plan), ("installation_address_id", m.Address))
CITY_DOC = "Has its installation address in this city (case-insensitive)."

RECEIVABLES = Report(
    name="receivables",
    model=m.Receivable,
    doc="Receivables (contas a receber) of every customer the caller may see.",
    filters=(
        Filter(
            "status",
            Column("status"),
            Kind.ANY_OF,
            "ix_receivable_due",
            "In one of these statuses.",
        ),
        Filter(
            "due_date",
            Column("due_date"),
            Kind.RANGE,
            "ix_receivable_due_date_id",
            "Due within this range.",
        ),
        Filter(
            "paid",
            Column("paid_at"),
            Kind.RANGE,
            "ix_receivable_paid_at",
            "Paid within this range (instants).",
        ),
        Filter(
            "payment_method",
            Column("payment_method", PLAN),
            Kind.ANY_OF,
            "ix_plan_payment_method",
            "Its plan is paid by one of these methods.",
        ),
        Filter(
            "offer_id",
            Column("offer_id", PLAN),
            Kind.ANY_OF,
            "ix_plan_offer_id",
            "Its plan is of one of these offers.",
            refers=m.PlanOffer,
        ),
        Filter(
            "city",
            Column("city", PLAN_INSTALLATION),
            Kind.EQUALS_IGNORING_CASE,
            None,
            "Its plan's installation address is in this city (case-insensitive).",
        ),
        Filter(
            "customer_id",
            Column("customer_id"),
            Kind.ANY_OF,
            "ix_receivable_customer_id",
            "Owed by one of these customers.",
            refers=m.Customer,
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("DUE_DATE", "due_date", "Due date."),
        Order("AMOUNT", "amount", "Amount."),
        Order("PAID_AT", "paid_at", "When it was paid; unpaid ones last.", nullable=True),
    ),
    measures=(
        Measure("amount", "amount", "The amount owed.", money=True),
        Measure(
            "paid_amount", "paid_amount", "The amount paid (paid receivables only).", money=True
        ),
    ),
    dimensions=(
        Dimension("status", Column("status"), "Open, paid or cancelled."),
        Dimension(
            "due_month",
            Column("due_date"),
            "The month it falls due (its first day).",
            Truncate.MONTH,
        ),
        Dimension(
            "paid_month",
            Column("paid_at"),
            "The month it was paid, UTC (its first day).",
            Truncate.MONTH,
        ),
        Dimension("origin", Column("origin"), "What it charges for."),
        Dimension("customer_id", Column("customer_id"), "Who owes it.", refers=m.Customer),
        Dimension("offer_id", Column("offer_id", PLAN), "Its plan's offer.", refers=m.PlanOffer),
        Dimension("city", Column("city", PLAN_INSTALLATION), "Its plan's installation city."),
        Dimension("payment_method", Column("payment_method", PLAN), "Its plan's payment method."),
    ),
)

PLANS = Report(
    name="plans",
    model=m.Plan,
    doc="Customers' plans (planos do cliente).",
    filters=(
        Filter(
            "status", Column("status"), Kind.ANY_OF, "ix_plan_status", "In one of these statuses."
        ),
        Filter(
            "inactive_reason",
            Column("inactive_reason"),
            Kind.ANY_OF,
            "ix_plan_inactive_reason",
            "Inactive for one of these reasons.",
        ),
        Filter(
            "offer_id",
            Column("offer_id"),
            Kind.ANY_OF,
            "ix_plan_offer_id",
            "Of one of these offers.",
            refers=m.PlanOffer,
        ),
        Filter("city", Column("city", INSTALLATION), Kind.EQUALS_IGNORING_CASE, None, CITY_DOC),
        Filter(
            "payment_method",
            Column("payment_method"),
            Kind.ANY_OF,
            "ix_plan_payment_method",
            "Paid by one of these methods.",
        ),
        Filter(
            "due_day",
            Column("due_day"),
            Kind.EQUALS,
            "ix_plan_due_day",
            "Falls due on this day of the month.",
        ),
        Filter(
            "created",
            Column("created_at"),
            Kind.RANGE,
            "ix_plan_created_at",
            "Created within this range.",
        ),
        Filter(
            "customer_id",
            Column("customer_id"),
            Kind.ANY_OF,
            "ix_plan_customer_id",
            "Of one of these customers.",
            refers=m.Customer,
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("CREATED_AT", "created_at", "When it was created."),
        Order("DUE_DAY", "due_day", "Its due day."),
    ),
    dimensions=(
        Dimension("status", Column("status"), "Active, inactive or cancelled."),
        Dimension("inactive_reason", Column("inactive_reason"), "Why it is inactive."),
        Dimension("offer_id", Column("offer_id"), "Its offer.", refers=m.PlanOffer),
        Dimension("city", Column("city", INSTALLATION), "Its installation city."),
        Dimension("payment_method", Column("payment_method"), "How it is paid."),
        Dimension("due_day", Column("due_day"), "Its due day."),
        Dimension(
            "created_month", Column("created_at"), "The month it was created, UTC.", Truncate.MONTH
        ),
    ),
)

SERVICES = Report(
    name="services",
    model=m.Service,
    doc="Services on plans (e-mail, RADIUS logins, IPs, ...), each as its kind's type.",
    filters=(
        Filter("kind", Column("kind"), Kind.ANY_OF, "ix_service_kind", "Of one of these kinds."),
        Filter(
            "status",
            Column("status"),
            Kind.ANY_OF,
            "ix_service_status",
            "In one of these statuses.",
        ),
        Filter(
            "plan_status",
            Column("status", PLAN),
            Kind.ANY_OF,
            "ix_plan_status",
            "On a plan in one of these statuses.",
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("CREATED_AT", "created_at", "When it was added."),
    ),
    dimensions=(
        Dimension("kind", Column("kind"), "Its kind."),
        Dimension("status", Column("status"), "Its status."),
        Dimension("plan_status", Column("status", PLAN), "Its plan's status."),
    ),
)

TV_PACKAGE_SUBSCRIPTIONS = Report(
    name="tv_package_subscriptions",
    model=m.TvPackageSubscription,
    doc="TV packages on plans, current and ended.",
    filters=(
        Filter(
            "package_id",
            Column("package_id"),
            Kind.ANY_OF,
            "ix_tv_package_subscription_package_id",
            "Of one of these packages.",
            refers=m.TvPackage,
        ),
        Filter(
            "ended",
            Column("end_date"),
            Kind.IS_NULL,
            None,
            "False: current ones (no end date); true: ended ones.",
        ),
        Filter(
            "sync_state",
            Column("sync_state"),
            Kind.ANY_OF,
            "ix_tv_package_subscription_sync_state",
            "In one of these TV platform sync states.",
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("START_DATE", "start_date", "Start date."),
        Order("VALUE", "value", "Monthly value."),
    ),
    measures=(Measure("value", "value", "The monthly value charged.", money=True),),
    dimensions=(
        Dimension("package_id", Column("package_id"), "The package.", refers=m.TvPackage),
        Dimension("sync_state", Column("sync_state"), "Its TV platform sync state."),
        Dimension("start_month", Column("start_date"), "The month it started.", Truncate.MONTH),
    ),
)

TV_POINTS = Report(
    name="tv_points",
    model=m.TvPoint,
    doc="TV points (set-top boxes) on plans.",
    filters=(
        Filter(
            "status",
            Column("status"),
            Kind.ANY_OF,
            "ix_tv_point_status",
            "In one of these statuses.",
        ),
        Filter(
            "sync_state",
            Column("sync_state"),
            Kind.ANY_OF,
            "ix_tv_point_sync_state",
            "In one of these TV platform sync states.",
        ),
        Filter(
            "location_id",
            Column("location_id"),
            Kind.ANY_OF,
            "ix_tv_point_location_id",
            "At one of these locations.",
            refers=m.TvPointLocation,
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("CREATED_AT", "created_at", "When it was added."),
    ),
    dimensions=(
        Dimension("status", Column("status"), "Active or removed."),
        Dimension("sync_state", Column("sync_state"), "Its TV platform sync state."),
        Dimension(
            "location_id", Column("location_id"), "Where it is installed.", refers=m.TvPointLocation
        ),
    ),
)

BILLING_EVENTS = Report(
    name="billing_events",
    model=m.BillingEvent,
    doc="Charges waiting for, or made by, the billing run.",
    filters=(
        Filter(
            "status",
            Column("status"),
            Kind.ANY_OF,
            "ix_billing_event_status",
            "In one of these statuses.",
        ),
        Filter(
            "due_date",
            Column("due_date"),
            Kind.RANGE,
            "ix_billing_event_due_date",
            "Due within this range.",
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("DUE_DATE", "due_date", "Due date."),
        Order("AMOUNT", "amount", "Amount."),
    ),
    measures=(Measure("amount", "amount", "The amount charged.", money=True),),
    dimensions=(
        Dimension("status", Column("status"), "Pending or processed."),
        Dimension("kind", Column("kind"), "What it charges."),
        Dimension("due_month", Column("due_date"), "The month it falls due.", Truncate.MONTH),
    ),
)

SUPPORT_TICKETS = Report(
    name="support_tickets",
    model=m.Ticket,
    doc="Support tickets (atendimentos) of every customer the caller may see.",
    filters=(
        Filter("type", Column("type"), Kind.EQUALS, "ix_ticket_type", "Of exactly this type."),
        Filter(
            "status", Column("status"), Kind.ANY_OF, "ix_ticket_status", "In one of these statuses."
        ),
        Filter(
            "opened",
            Column("opened_at"),
            Kind.RANGE,
            "ix_ticket_opened_at",
            "Opened within this range.",
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("OPENED_AT", "opened_at", "When it was opened."),
        Order("CLOSED_AT", "closed_at", "When it was closed; open ones last.", nullable=True),
    ),
    dimensions=(
        Dimension("type", Column("type"), "Its type."),
        Dimension("status", Column("status"), "Its status."),
        Dimension(
            "opened_month", Column("opened_at"), "The month it was opened, UTC.", Truncate.MONTH
        ),
    ),
)

CONNECTION_SESSIONS = Report(
    name="connection_sessions",
    model=m.ConnectionSession,
    key="radacctid",
    doc="RADIUS accounting sessions (radacct) of the logins the caller may see.",
    filters=(
        Filter(
            "login",
            Column("username"),
            Kind.EQUALS,
            "ix_radacct_username_start",
            "Of this RADIUS login.",
        ),
        Filter(
            "nas_ip_address",
            Column("nasipaddress"),
            Kind.EQUALS,
            "ix_radacct_nasipaddress",
            "Through this NAS.",
        ),
        Filter(
            "period",
            Column("acctstarttime"),
            Kind.RANGE,
            "ix_radacct_acctstarttime",
            "Started within this range.",
        ),
    ),
    orders=(
        Order("ID", "radacctid", "Accounting order (the default)."),
        Order("STARTED_AT", "acctstarttime", "When it started.", nullable=True),
    ),
    measures=(
        Measure("duration_seconds", "acctsessiontime", "Seconds connected."),
        Measure("input_octets", "acctinputoctets", "Bytes received from the subscriber."),
        Measure("output_octets", "acctoutputoctets", "Bytes sent to the subscriber."),
    ),
    dimensions=(
        Dimension("day", Column("acctstarttime"), "The UTC day it started.", Truncate.DAY),
        Dimension("month", Column("acctstarttime"), "The UTC month it started.", Truncate.MONTH),
        Dimension("nas_ip_address", Column("nasipaddress"), "The NAS."),
        Dimension("login", Column("username"), "The RADIUS login."),
    ),
)

CALL_RECORDS = Report(
    name="call_records",
    model=m.CallRecord,
    doc="Calls from voice terminals and resellers' lines the caller may see.",
    filters=(
        Filter(
            "termination",
            Column("termination"),
            Kind.ANY_OF,
            "ix_call_record_termination",
            "Of one of these termination types.",
        ),
        Filter(
            "period",
            Column("started_at"),
            Kind.RANGE,
            "ix_call_record_started_at",
            "Started within this range.",
        ),
    ),
    orders=(
        Order("ID", "id", "Record order (the default)."),
        Order("STARTED_AT", "started_at", "When it started."),
        Order("DURATION", "duration_seconds", "How long it lasted."),
        Order("COST", "cost", "What it cost."),
    ),
    measures=(
        Measure("duration_seconds", "duration_seconds", "Seconds talked (minutes: divide by 60)."),
        Measure("cost", "cost", "What it cost.", money=True),
    ),
    dimensions=(
        Dimension("termination", Column("termination"), "Its termination type."),
        Dimension("month", Column("started_at"), "The UTC month it started.", Truncate.MONTH),
        Dimension("day", Column("started_at"), "The UTC day it started.", Truncate.DAY),
    ),
)

INVOICES = Report(
    name="invoices",
    model=m.Invoice,
    doc="Fiscal invoices (notas fiscais) of every customer the caller may see.",
    filters=(
        Filter(
            "issued",
            Column("issued_on"),
            Kind.RANGE,
            "ix_invoice_issued_on",
            "Issued within this range.",
        ),
        Filter(
            "customer_id",
            Column("customer_id"),
            Kind.ANY_OF,
            "ix_invoice_customer_id",
            "Of one of these customers.",
            refers=m.Customer,
        ),
    ),
    orders=(
        Order("ID", "id", "Creation order (the default)."),
        Order("ISSUED_ON", "issued_on", "Issue date."),
        Order("AMOUNT", "amount", "Amount."),
    ),
    measures=(Measure("amount", "amount", "The amount invoiced.", money=True),),
    dimensions=(
        Dimension("issued_month", Column("issued_on"), "The month it was issued.", Truncate.MONTH),
        Dimension("customer_id", Column("customer_id"), "Whose it is.", refers=m.Customer),
    ),
)

REPORTS: tuple[Report, ...] = (
    RECEIVABLES,
    PLANS,
    SERVICES,
    TV_PACKAGE_SUBSCRIPTIONS,
    TV_POINTS,
    BILLING_EVENTS,
    SUPPORT_TICKETS,
    CONNECTION_SESSIONS,
    CALL_RECORDS,
    INVOICES,
)
