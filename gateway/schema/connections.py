"""The customers connection: edges, filter and order inputs."""

from __future__ import annotations

import strawberry

from domain.reads import customers as customer_reads
from gateway.schema.base import OrderDirection, PageInfo, PlanStatus
from gateway.schema.customers import CustomerType


@strawberry.type(name="CustomerEdge")
class CustomerEdge:
    cursor: str
    node: CustomerType


@strawberry.type(name="CustomerConnection", description="A page of customers.")
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matching customers across all pages.")

    @strawberry.field(description="The page's customers, without cursors.")
    def nodes(self) -> list[CustomerType]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="Every given criterion must hold.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Name or document (CPF/CNPJ digits) contains this."
    )
    name_contains: str | None = None
    document_contains: str | None = None
    city: str | None = strawberry.field(
        default=None, description="Has an address in this city (case-insensitive)."
    )
    plan_status: list[PlanStatus] | None = strawberry.field(
        default=None, description="Has a plan in one of these statuses."
    )
    offer_id: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Has a plan of one of these offers (global or database ids)."
    )


CustomerOrderField = strawberry.enum(customer_reads.CustomerOrderField)


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField
    direction: OrderDirection = OrderDirection.ASC
