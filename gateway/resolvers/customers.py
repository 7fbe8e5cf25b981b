"""Resolvers of the customer root fields."""

from __future__ import annotations

from domain.models import Customer
from domain.reads import customers as customer_reads
from gateway.resolvers.ids import database_id
from gateway.resolvers.pagination import offset_cursor, window
from gateway.schema.base import Info, OrderDirection, PageInfo
from gateway.schema.connections import (
    CustomerConnection,
    CustomerEdge,
    CustomerFilter,
    CustomerOrder,
)
from gateway.schema.customers import CustomerType


async def customer(info: Info, id: str) -> CustomerType | None:
    pk = database_id(id, "Customer")
    if pk is None:
        return None
    return CustomerType.maybe(await info.context.loaders.customer.load(pk))


def _criteria(filter: CustomerFilter | None) -> customer_reads.CustomerFilter:
    if filter is None:
        return customer_reads.CustomerFilter()
    offer_ids = tuple(
        pk for pk in (database_id(raw, "PlanOffer") for raw in filter.offer_id or ()) if pk
    )
    if filter.offer_id and not offer_ids:
        offer_ids = (-1,)  # ids that name no offer match no customer, rather than every one
    return customer_reads.CustomerFilter(
        search=filter.search,
        name_contains=filter.name_contains,
        document_contains=filter.document_contains,
        city=filter.city,
        plan_statuses=tuple(filter.plan_status or ()),
        offer_ids=offer_ids,
    )


async def customers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: CustomerFilter | None = None,
    order_by: list[CustomerOrder] | None = None,
) -> CustomerConnection:
    settings = info.context.settings
    criteria = _criteria(filter)
    order = [
        customer_reads.CustomerOrder(
            field=term.field, descending=term.direction == OrderDirection.DESC
        )
        for term in order_by or ()
    ]
    total = await info.context.db.run(customer_reads.count_customers, criteria)
    page = window(
        total=total,
        first=first,
        after=after,
        last=last,
        before=before,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )
    rows: list[Customer] = await info.context.db.run(
        customer_reads.customer_page, criteria, order, offset=page.start, limit=page.limit
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
