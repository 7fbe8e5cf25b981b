"""The Query root and the schema instance."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from domain import models as m
from domain.reads import common
from gateway.resolvers import customers as customer_resolvers
from gateway.resolvers import nodes
from gateway.schema.base import Info, Node
from gateway.schema.billing_events import BillingRunMutations
from gateway.schema.catalog import (
    BankType,
    BillingFormType,
    ContractTemplateType,
    ExtraServiceDefinitionType,
    PlanOfferType,
    TechnicianType,
    TvPackageType,
    TvPointLocationType,
)
from gateway.schema.connections import CustomerConnection, CustomerFilter, CustomerOrder
from gateway.schema.customers import CustomerType
from gateway.schema.extra_fields import ExtraFieldMutations
from gateway.schema.services import SERVICE_TYPES
from gateway.schema.tv_actions import TvMutations, TvQuery


@strawberry.type
class CoreQuery:
    """The read graph's entry points: customers, any node, the catalog."""

    @strawberry.field(description="A customer by global id (or database id); null if none.")
    async def customer(self, info: Info, id: strawberry.ID) -> CustomerType | None:
        return await customer_resolvers.customer(info, id)

    @strawberry.field(description="Customers, filtered and ordered, a page at a time.")
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: list[CustomerOrder] | None = None,
    ) -> CustomerConnection:
        return await customer_resolvers.customers(
            info, first, after, last, before, filter, order_by
        )

    @strawberry.field(description="Any object by its global id; null if none.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await nodes.node(info, id)

    @strawberry.field(description="Plan offers of the catalog.")
    async def plan_offers(self, info: Info) -> list[PlanOfferType]:
        return PlanOfferType.from_models(await info.context.db.run(common.all_rows, m.PlanOffer))

    @strawberry.field(description="TV packages with their channels.")
    async def tv_packages(self, info: Info, is_extra: bool | None = None) -> list[TvPackageType]:
        rows = await info.context.db.run(common.all_rows, m.TvPackage)
        if is_extra is not None:
            rows = [row for row in rows if row.is_extra == is_extra]
        return TvPackageType.from_models(rows)

    @strawberry.field(description="Extra services of the catalog.")
    async def extra_service_definitions(self, info: Info) -> list[ExtraServiceDefinitionType]:
        rows = await info.context.db.run(common.all_rows, m.ExtraServiceDefinition)
        return ExtraServiceDefinitionType.from_models(rows)

    @strawberry.field(description="Where TV points can be installed.")
    async def tv_point_locations(self, info: Info) -> list[TvPointLocationType]:
        rows = await info.context.db.run(common.all_rows, m.TvPointLocation)
        return TvPointLocationType.from_models(rows)

    @strawberry.field
    async def contract_templates(self, info: Info) -> list[ContractTemplateType]:
        rows = await info.context.db.run(common.all_rows, m.ContractTemplate)
        return ContractTemplateType.from_models(rows)

    @strawberry.field
    async def billing_forms(self, info: Info) -> list[BillingFormType]:
        return BillingFormType.from_models(
            await info.context.db.run(common.all_rows, m.BillingForm)
        )

    @strawberry.field
    async def banks(self, info: Info) -> list[BankType]:
        return BankType.from_models(await info.context.db.run(common.all_rows, m.Bank))

    @strawberry.field
    async def technicians(self, info: Info) -> list[TechnicianType]:
        return TechnicianType.from_models(await info.context.db.run(common.all_rows, m.Technician))


# Each aggregate contributes its own root fields: add its class to these tuples.
Query = merge_types("Query", (CoreQuery, TvQuery))
Mutation = merge_types("Mutation", (ExtraFieldMutations, TvMutations, BillingRunMutations))

schema = strawberry.Schema(query=Query, mutation=Mutation, types=list(SERVICE_TYPES.values()))
