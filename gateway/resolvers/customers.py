"""Resolvers of the customer root fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.types.nodes import SelectedField

from domain.models import Customer
from domain.reads import customers as customer_reads
from gateway.schema.base import Info, PageInfo, PlanStatus
from gateway.schema.connections import (
    CustomerConnection,
    CustomerEdge,
    CustomerFilter,
    CustomerOrder,
)
from gateway.schema.customers import CustomerType
from gateway.schema.ids import database_id
from gateway.schema.pagination import Window, offset_cursor, window
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


def page_window(info_settings: Settings, total: int, arguments: dict[str, Any]) -> Window:
    """The page the connection arguments ask for (shared by both read paths)."""
    return window(
        total=total,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
        default_size=info_settings.default_page_size,
        max_size=info_settings.max_page_size,
    )


UNCOUNTED = 2**62  # a total larger than any table, when the page does not need the real one
COUNTED_FIELDS = frozenset({"totalCount", "pageInfo"})  # the connection's fields needing it


def needs_total(selected: Iterable[str], arguments: dict[str, Any]) -> bool:
    """Whether the page needs the real total: asked for (totalCount, or pageInfo, whose
    hasNextPage reads it) or counted from the end (last, before). Otherwise the page is offset
    + first, and the count, a scan of every matching customer, is skipped (both read paths)."""
    return (
        not COUNTED_FIELDS.isdisjoint(selected)
        or arguments.get("last") is not None
        or arguments.get("before") is not None
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
    selected = _selected_names(
        selection for field in info.selected_fields for selection in field.selections
    )
    total = (
        await info.context.db.run(customer_reads.count_customers, matching)
        if needs_total(selected, arguments)
        else UNCOUNTED
    )
    page = page_window(info.context.settings, total, arguments)
    rows: list[Customer] = await info.context.db.run(
        customer_reads.customer_page, matching, ordering, offset=page.start, limit=page.limit
    )
    loader = info.context.loaders.customer
    edges = []
    for index, row in enumerate(rows):
        loader.prime(row.id, row)
        edges.append(
            CustomerEdge(
                cursor=offset_cursor(page.start + index), node=CustomerType.from_model(row)
            )
        )
    return CustomerConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
