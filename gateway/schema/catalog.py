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
    DATABASE_ID,
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


@strawberry.type(
    name="Channel",
    description="A TV channel on the grid (Lista de Canais). Catalog: any caller may read it.",
)
class ChannelType(FromModel, Node):
    graphql_name = "Channel"
    model = m.Channel
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The channel's name (Nome do Canal).")
    number: int = strawberry.field(description="Its number on the grid (N° do Canal); unique.")
    family: str = strawberry.field(
        description="Its family or type (Família): news, sports, kids..."
    )


@strawberry.type(
    name="TvPackage",
    description="A TV package (pacote de TV) and its channels: a TV offer's default one, or an "
    "extra one sold on top. Catalog: any caller may read it.",
)
class TvPackageType(FromModel, Node):
    graphql_name = "TvPackage"
    model = m.TvPackage
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The package's name; unique.")
    value: Decimal = strawberry.field(
        description="Its value in R$ (Valor Pacote), charged per due date for an extra "
        "package; the default value of addTvPackage."
    )
    is_extra: bool = strawberry.field(
        description="Whether it is an extra package (Pacote Extra): only those can be added "
        "to a plan, and only those are billed by the TV billing run."
    )

    @strawberry.field(description="The package's channels in grid order.")
    async def channels(self, info: Info) -> list[ChannelType]:
        return await PACKAGE_CHANNELS.resolve(self, info)


@strawberry.type(
    name="IpPool",
    description="A block of addresses fixed IPs come from. Catalog: any caller may read it.",
)
class IpPoolType(FromModel, Node):
    graphql_name = "IpPool"
    model = m.IpPool
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The pool's name; unique.")
    network: str = strawberry.field(
        description="The block in CIDR notation, IPv4 or IPv6 (e.g. 177.10.0.0/24)."
    )
    gateway: str | None = strawberry.field(
        description="The block's gateway address, never allocated; null when it has none."
    )


@strawberry.type(
    name="PlanOffer",
    description="A plan the ISP sells (Planos e Serviços of the catalog), and what it allows. "
    "Catalog: any caller may read it.",
)
class PlanOfferType(FromModel, Node):
    graphql_name = "PlanOffer"
    model = m.PlanOffer
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The offer's name; unique.")
    price: Decimal = strawberry.field(
        description="Monthly price in R$: each cycle receivable's amount, and the base of a "
        "due-date change's figures (price / 30 per day)."
    )
    download_kbps: int = strawberry.field(description="Download speed in kbps.")
    upload_kbps: int = strawberry.field(description="Upload speed in kbps.")
    requires_domain: bool = strawberry.field(
        description="Whether its plans' RADIUS logins need a domain."
    )
    is_tv_offer: bool = strawberry.field(
        description="Whether it is a TV offer (Permite a criação de Planos de TV): only its "
        "plans take TV packages and points."
    )
    allows_speed_restoration: bool = strawberry.field(
        description="Whether its plans may have their speed temporarily restored."
    )
    initial_status: PlanStatus = strawberry.field(
        description="The status a new plan of this offer starts in (never CANCELLED)."
    )
    initial_inactive_reason: InactiveReason | None = strawberry.field(
        description="The reason a new plan starts INACTIVE with; null unless initialStatus is "
        "INACTIVE."
    )
    active: bool = strawberry.field(
        description="Whether it is still sold: addPlan refuses an inactive offer."
    )
    default_tv_package_id: strawberry.Private[int | None]
    ip_pool_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The kinds of service its plans may take (the Adicionar Serviço menu); "
        "adding any other kind is refused."
    )
    async def allowed_service_kinds(self, info: Info) -> list[ServiceKind]:
        return await OFFER_SERVICE_KINDS.resolve(self, info)

    @strawberry.field(
        description="The TV package every plan of a TV offer includes (Pacote liberado no "
        "Plano); null for offers that are not TV offers."
    )
    async def default_tv_package(self, info: Info) -> TvPackageType | None:
        return await OFFER_DEFAULT_TV_PACKAGE.resolve(self, info)

    @strawberry.field(
        description="The pool fixed IPs of its plans come from; null: its plans cannot take an IP."
    )
    async def ip_pool(self, info: Info) -> IpPoolType | None:
        return await OFFER_IP_POOL.resolve(self, info)


@strawberry.type(
    name="ExtraServiceDefinition",
    description="An extra service of the catalog (Serviço Extra, configured in the desktop "
    "module). Catalog: any caller may read it.",
)
class ExtraServiceDefinitionType(FromModel, Node):
    graphql_name = "ExtraServiceDefinition"
    model = m.ExtraServiceDefinition
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="Its name; unique.")
    default_value: Decimal = strawberry.field(
        description="The value in R$ an extra service added from it takes unless one is given."
    )
    billing_type: BillingType = strawberry.field(
        description="How the services added from it are charged."
    )
    start_date_rule: StartDateRule = strawberry.field(
        description="How the services added from it get their start date."
    )
    active: bool = strawberry.field(
        description="Whether it is still offered: addExtraService refuses an inactive one."
    )


@strawberry.type(
    name="TvPointLocation",
    description="Where in the premises a TV point sits (Local do Ponto). Catalog: any caller "
    "may read it.",
)
class TvPointLocationType(FromModel, Node):
    graphql_name = "TvPointLocation"
    model = m.TvPointLocation
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The location's name, e.g. a room; unique.")


@strawberry.type(
    name="ContractTemplate",
    description="A template (Modelo) service contracts are printed from. Catalog: any caller "
    "may read it.",
)
class ContractTemplateType(FromModel, Node):
    graphql_name = "ContractTemplate"
    model = m.ContractTemplate
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The template's name; unique.")
    active: bool = strawberry.field(
        description="Whether new contracts may use it: an inactive template is refused."
    )


@strawberry.type(
    name="BillingForm",
    description="A billing form (forma de cobrança): its closing day and the limits of "
    "temporary speed restorations and enablements. Catalog: any caller may read it.",
)
class BillingFormType(FromModel, Node):
    graphql_name = "BillingForm"
    model = m.BillingForm
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="Its name; unique.")
    payment_method: PaymentMethod = strawberry.field(description="The payment method it bills.")
    closing_day: int = strawberry.field(
        description="Day of the month, 1 to 28 (dia de fechamento): a cycle's receivable is "
        "generated on the last closing day before it falls due."
    )
    restoration_min_interval_days: int = strawberry.field(
        description="Days, 0 or more, that must pass after a temporary speed restoration (or "
        "enablement) before the next one."
    )
    restoration_max_days_overdue: int = strawberry.field(
        description="Days, 0 or more: a restoration or enablement is refused once the oldest "
        "open receivable is more days past due than this."
    )


@strawberry.type(
    name="Bank",
    description="A bank, for bank-debit details and boletos. Catalog: any caller may read it.",
)
class BankType(FromModel, Node):
    graphql_name = "Bank"
    model = m.Bank
    database_id: int = strawberry.field(description=DATABASE_ID)
    code: str = strawberry.field(description="Its 3-digit bank code (e.g. 001); unique.")
    name: str = strawberry.field(description="The bank's name.")


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


@strawberry.type(
    name="Role",
    description="A staff role (cargo) an installation can be scheduled for. Catalog: any "
    "caller may read it.",
)
class RoleType(FromModel, Node):
    graphql_name = "Role"
    model = m.Role
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The role's name; unique.")

    @strawberry.field(
        description="Installations booked for the role itself (no technician yet) in the "
        "period, by day and hour."
    )
    async def appointments(
        self, info: Info, period: Annotated[DateRangeInput, _PERIOD]
    ) -> list[Annotated[InstallationAppointmentType, strawberry.lazy("gateway.schema.plans")]]:
        return await _agenda(info, "role", self.database_id, period)


@strawberry.type(
    name="Technician",
    description="A field technician who carries out installations. Catalog: any caller may "
    "read it.",
)
class TechnicianType(FromModel, Node):
    graphql_name = "Technician"
    model = m.Technician
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The technician's name.")
    active: bool = strawberry.field(description="Whether installations may be scheduled for them.")
    role_id: strawberry.Private[int]

    @strawberry.field(description="The technician's role (cargo).")
    async def role(self, info: Info) -> RoleType:
        return await TECHNICIAN_ROLE.resolve(self, info)

    @strawberry.field(
        description="The technician's installations in the period (its agenda), by day and hour."
    )
    async def appointments(
        self, info: Info, period: Annotated[DateRangeInput, _PERIOD]
    ) -> list[Annotated[InstallationAppointmentType, strawberry.lazy("gateway.schema.plans")]]:
        return await _agenda(info, "technician", self.database_id, period)
