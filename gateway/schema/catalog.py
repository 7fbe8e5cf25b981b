"""Catalog types: plan offers, TV packages and channels, extra services, locations, staff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from domain.actions.agenda import check_period
from gateway.loaders import container as loaders
from gateway.loaders.agenda import AppointmentsByAgendaKeyLoader
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
    model_type,
)
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.plans import InstallationAppointmentType

PACKAGE_CHANNELS = Relation(
    "TvPackage", "channels", loaders.ChannelsByPackageIdLoader, "id", "Channel", many=True
)
OFFER_SERVICE_KINDS = Relation(
    "PlanOffer", "allowedServiceKinds", loaders.ServiceKindsByOfferIdLoader, "id",
    "PlanOfferServiceKind", many=True, scalar="kind",
)  # fmt: skip
OFFER_DEFAULT_TV_PACKAGE = Relation(
    "PlanOffer", "defaultTvPackage", loaders.TvPackageByIdLoader, "default_tv_package_id",
    "TvPackage", many=False,
)  # fmt: skip
OFFER_IP_POOL = Relation(
    "PlanOffer", "ipPool", loaders.IpPoolByIdLoader, "ip_pool_id", "IpPool", many=False
)
TECHNICIAN_ROLE = Relation(
    "Technician", "role", loaders.RoleByIdLoader, "role_id", "Role", many=False
)


@strawberry.type(name="Channel", description="A TV channel on the grid.")
class ChannelType(FromModel, Node):
    graphql_name = "Channel"
    model = m.Channel
    database_id: int
    name: str
    number: int
    family: str


@strawberry.type(name="TvPackage", description="A TV package and its channels.")
class TvPackageType(FromModel, Node):
    graphql_name = "TvPackage"
    model = m.TvPackage
    database_id: int
    name: str
    value: Decimal
    is_extra: bool

    @strawberry.field(description="The package's channels in grid order.")
    async def channels(self, info: Info) -> list[ChannelType]:
        return await PACKAGE_CHANNELS.resolve(self, info)


@strawberry.type(name="IpPool", description="A block of addresses fixed IPs come from.")
class IpPoolType(FromModel, Node):
    graphql_name = "IpPool"
    model = m.IpPool
    database_id: int
    name: str
    network: str
    gateway: str | None


@strawberry.type(name="PlanOffer", description="A plan the ISP sells, and what it allows.")
class PlanOfferType(FromModel, Node):
    graphql_name = "PlanOffer"
    model = m.PlanOffer
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

    @strawberry.field(description="The kinds of service its plans may take, by name.")
    async def allowed_service_kinds(self, info: Info) -> list[ServiceKind]:
        return await OFFER_SERVICE_KINDS.resolve(self, info)

    @strawberry.field(description="The TV package every plan of a TV offer includes.")
    async def default_tv_package(self, info: Info) -> TvPackageType | None:
        return await OFFER_DEFAULT_TV_PACKAGE.resolve(self, info)

    @strawberry.field(description="The pool fixed IPs of its plans come from.")
    async def ip_pool(self, info: Info) -> IpPoolType | None:
        return await OFFER_IP_POOL.resolve(self, info)


@strawberry.type(name="ExtraServiceDefinition", description="An extra service of the catalog.")
class ExtraServiceDefinitionType(FromModel, Node):
    graphql_name = "ExtraServiceDefinition"
    model = m.ExtraServiceDefinition
    database_id: int
    name: str
    default_value: Decimal
    billing_type: BillingType
    start_date_rule: StartDateRule
    active: bool


@strawberry.type(name="TvPointLocation", description="Where in the premises a TV point sits.")
class TvPointLocationType(FromModel, Node):
    graphql_name = "TvPointLocation"
    model = m.TvPointLocation
    database_id: int
    name: str


@strawberry.type(name="ContractTemplate", description="A template contracts are printed from.")
class ContractTemplateType(FromModel, Node):
    graphql_name = "ContractTemplate"
    model = m.ContractTemplate
    database_id: int
    name: str
    active: bool


@strawberry.type(name="BillingForm", description="A billing form and its restoration limits.")
class BillingFormType(FromModel, Node):
    graphql_name = "BillingForm"
    model = m.BillingForm
    database_id: int
    name: str
    payment_method: PaymentMethod
    closing_day: int
    restoration_min_interval_days: int
    restoration_max_days_overdue: int


@strawberry.type(name="Bank", description="A bank, for bank-debit details.")
class BankType(FromModel, Node):
    graphql_name = "Bank"
    model = m.Bank
    database_id: int
    code: str
    name: str


@strawberry.input(description="A period of days, both included (the agenda's view).")
class DateRangeInput:
    from_: dt.date = strawberry.field(name="from", description="The first day.")
    to: dt.date = strawberry.field(description="The last day, at most 92 days after the first.")


async def _agenda(
    info: Info, kind: str, key: int, period: DateRangeInput
) -> list[InstallationAppointmentType]:
    check_period(period.from_, period.to)
    rows = await info.context.loaders.get(AppointmentsByAgendaKeyLoader).load(
        (kind, key, period.from_, period.to)
    )
    return model_type("InstallationAppointment").from_models(rows)  # type: ignore[no-any-return]


_PERIOD = strawberry.argument(description="The days to show.")


@strawberry.type(name="Role", description="A staff role an installation can be scheduled for.")
class RoleType(FromModel, Node):
    graphql_name = "Role"
    model = m.Role
    database_id: int
    name: str

    @strawberry.field(
        description="Installations booked for the role itself (no technician yet) in the "
        "period, by day and hour."
    )
    async def appointments(
        self, info: Info, period: Annotated[DateRangeInput, _PERIOD]
    ) -> list[Annotated[InstallationAppointmentType, strawberry.lazy("gateway.schema.plans")]]:
        return await _agenda(info, "role", self.database_id, period)


@strawberry.type(name="Technician", description="A field technician.")
class TechnicianType(FromModel, Node):
    graphql_name = "Technician"
    model = m.Technician
    database_id: int
    name: str
    active: bool
    role_id: strawberry.Private[int]

    @strawberry.field
    async def role(self, info: Info) -> RoleType:
        return await TECHNICIAN_ROLE.resolve(self, info)

    @strawberry.field(
        description="The technician's installations in the period (its agenda), by day and hour."
    )
    async def appointments(
        self, info: Info, period: Annotated[DateRangeInput, _PERIOD]
    ) -> list[Annotated[InstallationAppointmentType, strawberry.lazy("gateway.schema.plans")]]:
        return await _agenda(info, "technician", self.database_id, period)
