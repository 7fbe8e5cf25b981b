"""Resolvers of the customer root fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import GraphQLError
from strawberry.types.nodes import SelectedField

from domain.errors import ValidationFailed
from domain.models import Customer
from domain.reads import customers as customer_reads
from domain.reads import reports
from gateway.schema.base import Info, PageInfo, PlanStatus
from gateway.schema.connections import (
    CustomerConnection,
    CustomerEdge,
    CustomerFilter,
    CustomerOrder,
)
from gateway.schema.customers import CustomerType
from gateway.schema.ids import database_id
from gateway.schema.keyset import SortTerm, Window, encode, window
from gateway.settings import Settings


async def customer(info: Info, id: str) -> CustomerType | None:
    pk = database_id(id, "Customer")
    if pk is None:
        return None
    return CustomerType.maybe(await info.context.loaders.customer.load(pk))


def criteria(
    *,
    search: str | None = None,
    name_contains: str | None = None,
    document_contains: str | None = None,
    city: str | None = None,
    plan_status: Sequence[Any] | None = None,
    offer_id: Sequence[str] | None = None,
) -> customer_reads.CustomerFilter:
    """The domain filter of a `CustomerFilter` input (enum members or their names)."""
    offer_ids = tuple(pk for pk in (database_id(raw, "PlanOffer") for raw in offer_id or ()) if pk)
    if offer_id and not offer_ids:
        offer_ids = (-1,)  # ids that name no offer match no customer, rather than every one
    return customer_reads.CustomerFilter(
        search=search,
        name_contains=name_contains,
        document_contains=document_contains,
        city=city,
        plan_statuses=tuple(
            PlanStatus[value] if isinstance(value, str) else value for value in plan_status or ()
        ),
        offer_ids=offer_ids,
    )


def order(terms: Sequence[tuple[Any, Any]]) -> list[customer_reads.CustomerOrder]:
    """The domain ordering of `(field, direction)` pairs (enum members or their names)."""
    result = []
    for field, direction in terms:
        name = field if isinstance(field, str) else field.name
        descending = (direction if isinstance(direction, str) else direction.name) == "DESC"
        result.append(
            customer_reads.CustomerOrder(
                field=customer_reads.CustomerOrderField[name], descending=descending
            )
        )
    return result


def sort_terms(ordering: Sequence[customer_reads.CustomerOrder]) -> tuple[str, list[SortTerm]]:
    """The ordering's name (cursors carry it) and the types of its sort key's values."""
    keys = customer_reads.sort_keys(ordering)
    name = "customers:" + ",".join(
        f"{key.column.key}.{'DESC' if key.descending else 'ASC'}" for key in keys
    )
    return name, [SortTerm(reports.value_type(key.column.type)) for key in keys]


def page_window(
    info_settings: Settings,
    ordering: Sequence[customer_reads.CustomerOrder],
    arguments: dict[str, Any],
) -> Window:
    """The keyset page the connection arguments ask for (shared by both read paths);
    CursorRefused (a ValidationFailed) for a cursor of another ordering or a forged one."""
    name, terms = sort_terms(ordering)
    return window(
        order=(),
        ordering=name,
        terms=terms,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
        default_size=info_settings.default_page_size,
        max_size=info_settings.max_page_size,
    )


def cursor_of(ordering: Sequence[customer_reads.CustomerOrder], values: Sequence[Any]) -> str:
    return encode(sort_terms(ordering)[0], values)


UNCOUNTED = 2**62  # never serialized: the count runs only when totalCount is selected
COUNTED_FIELDS = frozenset({"totalCount"})


def needs_total(selected: Iterable[str]) -> bool:
    """Whether the count, a scan of every matching customer, must run: only for totalCount
    (keyset pages know hasNextPage from one row more, ADR 0150)."""
    return not COUNTED_FIELDS.isdisjoint(selected)


def refused(error: ValidationFailed) -> GraphQLError:
    """A refused argument of the customers connection, as a GraphQL error carrying what a
    ValidationError would (`customers` is not a union, so it cannot return one as data)."""
    return GraphQLError(
        error.problems[0].message,
        extensions={
            "code": "BAD_USER_INPUT",
            "argument": error.problems[0].path[0],
            "fields": [{"path": list(p.path), "message": p.message} for p in error.problems],
        },
    )


def _selected_names(selections: Iterable[Any]) -> set[str]:
    """The field names of a selection, looking through fragments."""
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        else:  # a fragment spread or an inline fragment
            names |= _selected_names(selection.selections)
    return names


async def customers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: CustomerFilter | None = None,
    order_by: list[CustomerOrder] | None = None,
) -> CustomerConnection:
    matching = criteria(**vars(filter)) if filter is not None else criteria()
    ordering = order([(term.field, term.direction) for term in order_by or ()])
    arguments = {"first": first, "after": after, "last": last, "before": before}
    try:
        page = page_window(info.context.settings, ordering, arguments)
    except ValidationFailed as error:
        raise refused(error) from None
    selected = _selected_names(
        selection for field in info.selected_fields for selection in field.selections
    )
    total = (
        await info.context.db.run(customer_reads.count_customers, matching)
        if needs_total(selected)
        else UNCOUNTED
    )
    read: list[Customer] = await info.context.db.run(
        customer_reads.customer_page, matching, ordering, page.page
    )
    rows, has_next, has_previous = page.cut(read)
    keys = customer_reads.sort_keys(ordering)
    loader = info.context.loaders.customer
    edges = []
    for row in rows:
        loader.prime(row.id, row)
        values = [getattr(row, key.column.key) for key in keys]
        edges.append(
            CustomerEdge(cursor=cursor_of(ordering, values), node=CustomerType.from_model(row))
        )
    return CustomerConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
