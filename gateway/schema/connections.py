"""The customers connection: edges, filter and order inputs."""

from __future__ import annotations

import strawberry

from domain.reads import customers as customer_reads
from gateway.schema.base import OrderDirection, PageInfo, PlanStatus, described_enum
from gateway.schema.customers import CustomerType


@strawberry.type(name="CustomerEdge", description="A customer of the page and its cursor.")
class CustomerEdge:
    cursor: str = strawberry.field(
        description="Opaque: pass it as `after` or `before`, under the same orderBy."
    )
    node: CustomerType = strawberry.field(description="The customer.")


@strawberry.type(name="CustomerConnection", description="A page of customers.")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(
        description="The page's customers with their cursors, in the order asked for."
    )
    page_info: PageInfo = strawberry.field(
        description="Where the page sits, and its ends' cursors."
    )
    total_count: int = strawberry.field(description="Matching customers across all pages.")

    @strawberry.field(description="The page's customers, without cursors.")
    def nodes(self) -> list[CustomerType]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="Every given criterion must hold.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Name or document (CPF/CNPJ digits) contains this."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="The name contains this (case-insensitive)."
    )
    document_contains: str | None = strawberry.field(
        default=None, description="The CPF/CNPJ contains these digits (punctuation is ignored)."
    )
    city: str | None = strawberry.field(
        default=None, description="Has an address in this city (case-insensitive)."
    )
    plan_status: list[PlanStatus] | None = strawberry.field(
        default=None, description="Has a plan in one of these statuses."
    )
    offer_id: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Has a plan of one of these offers (global or database ids)."
    )


CustomerOrderField = described_enum(
    customer_reads.CustomerOrderField,
    "What customers can be ordered by.",
    {
        "ID": "The database key: the order they were registered in.",
        "NAME": "The name.",
        "DOCUMENT": "The CPF/CNPJ digits.",
        "CREATED_AT": "When they were registered.",
    },
)


@strawberry.input(
    description="One ordering term; ties are broken by the next term, and lastly by id."
)
class CustomerOrder:
    field: CustomerOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way (ascending by default)."
    )
