"""The Query root and the schema instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from domain.reads import common
from gateway.resolvers import customers as customer_resolvers
from gateway.resolvers import nodes
from gateway.resolvers.add_plan import AddPlanMutation, AddPlanQuery
from gateway.resolvers.agenda import AgendaQuery
from gateway.resolvers.authentication import AuthenticationMutation, AuthenticationQuery
from gateway.resolvers.billing_runs import BillingRunMutations, BillingRunQuery
from gateway.resolvers.extra_fields import ExtraFieldMutations
from gateway.resolvers.inputs import refuse_out_of_bounds
from gateway.resolvers.plan_lifecycle import PlanLifecycleMutation, PlanLifecycleQuery
from gateway.resolvers.portal import PortalMutations, PortalQuery
from gateway.resolvers.registration import RegistrationMutation, RegistrationQuery
from gateway.resolvers.reports import ReportQuery
from gateway.resolvers.services import ServiceMutations, ServiceQuery
from gateway.resolvers.subscriptions import Subscription
from gateway.resolvers.tv import TvMutations, TvQuery
from gateway.resolvers.voice import MeQuery, VoiceMutations, VoicePanelQuery
from gateway.resolvers.voice_self import VoiceSelfMutations, VoiceSelfQuery
from gateway.schema.base import Info, Node, model_type
from gateway.schema.bounds import describe_bounds
from gateway.schema.catalog import (
    BankType,
    BillingFormType,
    ContractTemplateType,
    ExtraServiceDefinitionType,
    PlanOfferType,
    RoleType,
    TechnicianType,
    TvPackageType,
    TvPointLocationType,
)
from gateway.schema.connections import CustomerConnection, CustomerFilter, CustomerOrder
from gateway.schema.customers import CustomerType
from gateway.schema.portal import BIG_INT_SCALAR, BigInt, SmsCreditValueType
from gateway.schema.services import SERVICE_TYPES


@dataclass(frozen=True)
class RootList:
    """A root field listing a whole catalog table, optionally filtered by equality."""

    type_name: str
    filters: tuple[tuple[str, str], ...] = ()  # (GraphQL argument, model attribute)

    async def resolve(self, info: Info, **arguments: Any) -> list[Any]:
        builder = model_type(self.type_name)
        rows = await info.context.db.run(common.all_rows, builder.model)
        for argument, attribute in self.filters:
            if arguments.get(argument) is not None:
                rows = [row for row in rows if getattr(row, attribute) == arguments[argument]]
        return builder.from_models(rows)


# Root fields that list a catalog table; the compiled read path reads the same declarations.
ROOT_LISTS = {
    "planOffers": RootList("PlanOffer"),
    "tvPackages": RootList("TvPackage", (("isExtra", "is_extra"),)),
    "extraServiceDefinitions": RootList("ExtraServiceDefinition"),
    "tvPointLocations": RootList("TvPointLocation"),
    "contractTemplates": RootList("ContractTemplate"),
    "billingForms": RootList("BillingForm"),
    "banks": RootList("Bank"),
    "technicians": RootList("Technician"),
    "roles": RootList("Role"),
    "smsCreditValues": RootList("SmsCreditValue"),
}


@strawberry.type
class CoreQuery:
    """The read graph's entry points: customers, any node, the catalog."""

    @strawberry.field(
        description="A customer by global id (or database id); null if none, or not the "
        "caller's to see (a subscriber sees only its own)."
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The customer's global id or database id."),
        ],
    ) -> CustomerType | None:
        return await customer_resolvers.customer(info, id)

    @strawberry.field(
        description="Customers, filtered and ordered, a page at a time (keyset cursors, ADR "
        "0150). A subscriber's connection holds only its own customer. A refused argument "
        "(a size out of range, a cursor of another ordering) is a BAD_USER_INPUT error naming "
        "it."
    )
    async def customers(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Page size from the start or `after`, 0 to 100 "
                "(GATEWAY_MAX_PAGE_SIZE); 20 when neither first nor last is given."
            ),
        ] = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="A cursor of this connection: the page after it."),
        ] = None,
        last: Annotated[
            int | None,
            strawberry.argument(
                description="Page size counted back from the end or `before`, 0 to 100."
            ),
        ] = None,
        before: Annotated[
            str | None,
            strawberry.argument(description="A cursor of this connection: the page before it."),
        ] = None,
        filter: Annotated[
            CustomerFilter | None,
            strawberry.argument(description="Criteria that must all hold; null: every customer."),
        ] = None,
        order_by: Annotated[
            list[CustomerOrder] | None,
            strawberry.argument(
                description="Ordering terms, most significant first; the id always ends it. "
                "Null: by id."
            ),
        ] = None,
    ) -> CustomerConnection:
        return await customer_resolvers.customers(
            info, first, after, last, before, filter, order_by
        )

    @strawberry.field(
        description="Any object by its global id; null if none, or not the caller's to see."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="A global id (`id` of any Node); not a database id."),
        ],
    ) -> Node | None:
        return await nodes.node(info, id)

    @strawberry.field(
        description="Plan offers of the catalog, inactive ones included, by id. Any caller."
    )
    async def plan_offers(self, info: Info) -> list[PlanOfferType]:
        return await ROOT_LISTS["planOffers"].resolve(info)

    @strawberry.field(description="TV packages with their channels, by id. Any caller.")
    async def tv_packages(
        self,
        info: Info,
        is_extra: Annotated[
            bool | None,
            strawberry.argument(
                description="True: extra packages only; false: non-extra only; null: all."
            ),
        ] = None,
    ) -> list[TvPackageType]:
        return await ROOT_LISTS["tvPackages"].resolve(info, isExtra=is_extra)

    @strawberry.field(
        description="Extra services of the catalog, inactive ones included, by id. Any caller."
    )
    async def extra_service_definitions(self, info: Info) -> list[ExtraServiceDefinitionType]:
        return await ROOT_LISTS["extraServiceDefinitions"].resolve(info)

    @strawberry.field(
        description="Where TV points can be installed (Local do Ponto), by id. Any caller."
    )
    async def tv_point_locations(self, info: Info) -> list[TvPointLocationType]:
        return await ROOT_LISTS["tvPointLocations"].resolve(info)

    @strawberry.field(
        description="Contract templates (Modelo), inactive ones included, by id. Any caller."
    )
    async def contract_templates(self, info: Info) -> list[ContractTemplateType]:
        return await ROOT_LISTS["contractTemplates"].resolve(info)

    @strawberry.field(description="Billing forms (formas de cobrança), by id. Any caller.")
    async def billing_forms(self, info: Info) -> list[BillingFormType]:
        return await ROOT_LISTS["billingForms"].resolve(info)

    @strawberry.field(description="Banks, by id; the first one issues new boletos. Any caller.")
    async def banks(self, info: Info) -> list[BankType]:
        return await ROOT_LISTS["banks"].resolve(info)

    @strawberry.field(description="Field technicians, inactive ones included, by id. Any caller.")
    async def technicians(self, info: Info) -> list[TechnicianType]:
        return await ROOT_LISTS["technicians"].resolve(info)

    @strawberry.field(
        description="Staff roles (cargos) installations can be booked for, by id. Any caller."
    )
    async def roles(self, info: Info) -> list[RoleType]:
        return await ROOT_LISTS["roles"].resolve(info)

    @strawberry.field(
        description="SMS credit packages the subscriber portal sells (Compra de Crédito), by "
        "id. Any caller."
    )
    async def sms_credit_values(self, info: Info) -> list[SmsCreditValueType]:
        return await ROOT_LISTS["smsCreditValues"].resolve(info)


# Each aggregate contributes its own root fields: add its class to these tuples.
Query = merge_types(
    "Query",
    (
        CoreQuery,
        ServiceQuery,
        PlanLifecycleQuery,
        AddPlanQuery,
        TvQuery,
        BillingRunQuery,
        PortalQuery,
        MeQuery,
        VoicePanelQuery,
        VoiceSelfQuery,
        RegistrationQuery,
        AuthenticationQuery,
        AgendaQuery,
        ReportQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        ExtraFieldMutations,
        ServiceMutations,
        PlanLifecycleMutation,
        AddPlanMutation,
        TvMutations,
        BillingRunMutations,
        PortalMutations,
        VoiceMutations,
        VoiceSelfMutations,
        RegistrationMutation,
        AuthenticationMutation,
    ),
)

Query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Every read of the gateway. Needs `Authorization: Bearer <token>`; each field says who may "
    "read it, and rows are scoped to the caller (docs/security.md)."
)
Mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Every action of the gateway: one transaction each; a refusal is a typed error in the "
    "field's result union, and a refused action changes nothing. Send an Idempotency-Key to "
    "retry safely."
)

# Every root field answers an out-of-bounds input with its ValidationError (ADR 0120).
refuse_out_of_bounds(Query, Mutation)

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=list(SERVICE_TYPES.values()),
    config=StrawberryConfig(scalar_map={BigInt: BIG_INT_SCALAR}),
)
# The SDL says every list's bound and every declared string bound (gateway.schema.bounds).
describe_bounds(schema._schema)
