"""Catalog types: plan offers, TV packages and channels, extra services, locations, staff."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.schema.base import (
    BillingType,
    FromModel,
    InactiveReason,
    Info,
    Node,
    PaymentMethod,
    PlanStatus,
    ServiceKind,
    StartDateRule,
)


@strawberry.type(name="Channel", description="A TV channel on the grid.")
class ChannelType(FromModel, Node):
    graphql_name = "Channel"
    database_id: int
    name: str
    number: int
    family: str


@strawberry.type(name="TvPackage", description="A TV package and its channels.")
class TvPackageType(FromModel, Node):
    graphql_name = "TvPackage"
    database_id: int
    name: str
    value: Decimal
    is_extra: bool

    @strawberry.field(description="The package's channels in grid order.")
    async def channels(self, info: Info) -> list[ChannelType]:
        return ChannelType.from_models(
            await info.context.loaders.channels_by_package.load(self.database_id)
        )


@strawberry.type(name="IpPool", description="A block of addresses fixed IPs come from.")
class IpPoolType(FromModel, Node):
    graphql_name = "IpPool"
    database_id: int
    name: str
    network: str
    gateway: str | None


@strawberry.type(name="PlanOffer", description="A plan the ISP sells, and what it allows.")
class PlanOfferType(FromModel, Node):
    graphql_name = "PlanOffer"
    database_id: int
    name: str
    price: Decimal
    download_kbps: int
    upload_kbps: int
    requires_domain: bool
    is_tv_offer: bool
    allows_speed_restoration: bool
    initial_status: PlanStatus
    initial_inactive_reason: InactiveReason | None
    active: bool
    default_tv_package_id: strawberry.Private[int | None]
    ip_pool_id: strawberry.Private[int | None]

    @strawberry.field(description="The kinds of service its plans may take.")
    async def allowed_service_kinds(self, info: Info) -> list[ServiceKind]:
        kinds = await info.context.loaders.service_kinds_by_offer.load(self.database_id)
        order = list(ServiceKind)
        return sorted(kinds, key=order.index)

    @strawberry.field(description="The TV package every plan of a TV offer includes.")
    async def default_tv_package(self, info: Info) -> TvPackageType | None:
        if self.default_tv_package_id is None:
            return None
        return TvPackageType.maybe(
            await info.context.loaders.tv_package.load(self.default_tv_package_id)
        )

    @strawberry.field(description="The pool fixed IPs of its plans come from.")
    async def ip_pool(self, info: Info) -> IpPoolType | None:
        if self.ip_pool_id is None:
            return None
        return IpPoolType.maybe(await info.context.loaders.ip_pool.load(self.ip_pool_id))


@strawberry.type(name="ExtraServiceDefinition", description="An extra service of the catalog.")
class ExtraServiceDefinitionType(FromModel, Node):
    graphql_name = "ExtraServiceDefinition"
    database_id: int
    name: str
    default_value: Decimal
    billing_type: BillingType
    start_date_rule: StartDateRule
    active: bool


@strawberry.type(name="TvPointLocation", description="Where in the premises a TV point sits.")
class TvPointLocationType(FromModel, Node):
    graphql_name = "TvPointLocation"
    database_id: int
    name: str


@strawberry.type(name="ContractTemplate", description="A template contracts are printed from.")
class ContractTemplateType(FromModel, Node):
    graphql_name = "ContractTemplate"
    database_id: int
    name: str
    active: bool


@strawberry.type(name="BillingForm", description="A billing form and its restoration limits.")
class BillingFormType(FromModel, Node):
    graphql_name = "BillingForm"
    database_id: int
    name: str
    payment_method: PaymentMethod
    closing_day: int
    restoration_min_interval_days: int
    restoration_max_days_overdue: int


@strawberry.type(name="Bank", description="A bank, for bank-debit details.")
class BankType(FromModel, Node):
    graphql_name = "Bank"
    database_id: int
    code: str
    name: str


@strawberry.type(name="Role", description="A staff role an installation can be scheduled for.")
class RoleType(FromModel, Node):
    graphql_name = "Role"
    database_id: int
    name: str


@strawberry.type(name="Technician", description="A field technician.")
class TechnicianType(FromModel, Node):
    graphql_name = "Technician"
    database_id: int
    name: str
    active: bool
    role_id: strawberry.Private[int]

    @strawberry.field
    async def role(self, info: Info) -> RoleType:
        role = await info.context.loaders.role.load(self.role_id)
        return RoleType.from_model(role)
