"""Service types: the `Service` interface and one type per kind (never a password or hash)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry

from domain import models as m
from domain.models import enums as domain_enums
from gateway.loaders import container as loaders
from gateway.schema.base import (
    AntivirusStatus,
    BillingType,
    FromModel,
    Info,
    Node,
    ServiceKind,
    ServiceStatus,
    register_type,
)
from gateway.schema.catalog import ExtraServiceDefinitionType, IpPoolType
from gateway.schema.customers import ContactType
from gateway.schema.relations import Computed, Relation

ALIAS_EMAIL = Relation(
    "EmailAlias", "email", loaders.ServiceByIdLoader, "email_id", "EmailAccount", many=False
)
IP_POOL = Relation("IpAddress", "pool", loaders.IpPoolByIdLoader, "pool_id", "IpPool", False)
EXTRA_SERVICE_DEFINITION = Relation(
    "ExtraService", "definition", loaders.ExtraServiceDefinitionByIdLoader, "definition_id",
    "ExtraServiceDefinition", many=False,
)  # fmt: skip
EXTRA_SERVICE_CONTACT = Relation(
    "ExtraService", "contact", loaders.ContactByIdLoader, "contact_id", "Contact", many=False
)


def email_address(login: str, domain: str) -> str:
    """An e-mail's or alias's full address."""
    return f"{login}@{domain}"


EMAIL_ADDRESS = Computed("EmailAccount", "address", ("login", "domain"), email_address)
ALIAS_ADDRESS = Computed("EmailAlias", "address", ("login", "domain"), email_address)


@strawberry.interface(name="Service", description="A service on a plan; one type per kind.")
class ServiceInterface(FromModel, Node):
    graphql_name = "Service"
    model = m.Service
    database_id: int
    kind: ServiceKind
    status: ServiceStatus
    created_at: dt.datetime
    ended_at: dt.datetime | None


@strawberry.type(name="EmailAccount", description="A mailbox: login@domain.")
class EmailAccountType(ServiceInterface):
    graphql_name = "EmailAccount"
    model = m.EmailAccount
    login: str
    domain: str
    quota_mb: int

    @strawberry.field(description="The full address, login@domain.")
    def address(self) -> str:
        return EMAIL_ADDRESS.resolve(self)


@strawberry.type(name="EmailAlias", description="An extra address delivering to a mailbox.")
class EmailAliasType(ServiceInterface):
    graphql_name = "EmailAlias"
    model = m.EmailAlias
    login: str
    domain: str
    email_id: strawberry.Private[int]

    @strawberry.field(description="The full alias address, login@domain.")
    def address(self) -> str:
        return ALIAS_ADDRESS.resolve(self)

    @strawberry.field(description="The mailbox the alias delivers to.")
    async def email(self, info: Info) -> EmailAccountType | None:
        return await ALIAS_EMAIL.resolve(self, info)


@strawberry.type(name="RadiusLogin", description="A RADIUS login, unique across the ISP.")
class RadiusLoginType(ServiceInterface):
    graphql_name = "RadiusLogin"
    model = m.RadiusLogin
    login: str
    domain: str | None
    fixed_ip: str | None


@strawberry.type(name="IpAddress", description="A fixed IP allocated from a pool.")
class IpAssignmentType(ServiceInterface):
    graphql_name = "IpAddress"
    model = m.IpAssignment
    address: str
    released_at: dt.datetime | None
    pool_id: strawberry.Private[int]

    @strawberry.field
    async def pool(self, info: Info) -> IpPoolType:
        return await IP_POOL.resolve(self, info)


@strawberry.type(name="VoiceTerminal", description="A phone number on the plan.")
class VoiceTerminalType(ServiceInterface):
    graphql_name = "VoiceTerminal"
    model = m.VoiceTerminal
    phone_number: str
    sip_username: str | None


@strawberry.type(name="Onu", description="An optical network unit.")
class OnuType(ServiceInterface):
    graphql_name = "Onu"
    model = m.Onu
    serial: str
    olt: str
    pon_port: int


@strawberry.type(name="HostedDomain", description="A domain hosted for the customer.")
class HostedDomainType(ServiceInterface):
    graphql_name = "HostedDomain"
    model = m.HostedDomain
    name: str
    registered: bool
    registration_years: int | None
    expires_on: dt.date | None


@strawberry.type(name="Circuit", description="A dedicated link.")
class CircuitType(ServiceInterface):
    graphql_name = "Circuit"
    model = m.Circuit
    identifier: str
    bandwidth_kbps: int
    endpoint_a: str
    endpoint_b: str


@strawberry.type(name="ExtraService", description="An extra service from the catalog.")
class ExtraServiceType(ServiceInterface):
    graphql_name = "ExtraService"
    model = m.ExtraService
    value: Decimal
    complement: str | None
    start_date: dt.date
    billing_type: BillingType
    first_due_date: dt.date
    installments: int
    notes: str | None
    definition_id: strawberry.Private[int]
    contact_id: strawberry.Private[int | None]

    @strawberry.field
    async def definition(self, info: Info) -> ExtraServiceDefinitionType:
        return await EXTRA_SERVICE_DEFINITION.resolve(self, info)

    @strawberry.field
    async def contact(self, info: Info) -> ContactType | None:
        return await EXTRA_SERVICE_CONTACT.resolve(self, info)


@strawberry.type(name="AntivirusLicense", description="An antivirus licence.")
class AntivirusLicenseType(ServiceInterface):
    graphql_name = "AntivirusLicense"
    model = m.AntivirusLicense
    license_key: str
    license_status: AntivirusStatus
    seats: int


SERVICE_TYPES: dict[domain_enums.ServiceKind, type[ServiceInterface]] = {
    domain_enums.ServiceKind.EMAIL: EmailAccountType,
    domain_enums.ServiceKind.EMAIL_ALIAS: EmailAliasType,
    domain_enums.ServiceKind.RADIUS_LOGIN: RadiusLoginType,
    domain_enums.ServiceKind.IP: IpAssignmentType,
    domain_enums.ServiceKind.VOICE_TERMINAL: VoiceTerminalType,
    domain_enums.ServiceKind.ONU: OnuType,
    domain_enums.ServiceKind.DOMAIN: HostedDomainType,
    domain_enums.ServiceKind.CIRCUIT: CircuitType,
    domain_enums.ServiceKind.EXTRA_SERVICE: ExtraServiceType,
    domain_enums.ServiceKind.ANTIVIRUS: AntivirusLicenseType,
}


def service_from_model(model: Any) -> ServiceInterface:
    """The GraphQL type of a service row, chosen by its kind."""
    return SERVICE_TYPES[model.kind].from_model(model)


class _AnyService:
    """Builds a `Service` interface value: the concrete type of the row's kind."""

    from_model = staticmethod(service_from_model)


register_type("Service", _AnyService)
