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
    DATABASE_ID,
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


@strawberry.interface(
    name="Service",
    description="A service on a plan (Adicionar Serviço); one type per kind. Every action on "
    "services needs the PLAN_ADMIN permission.",
)
class ServiceInterface(FromModel, Node):
    graphql_name = "Service"
    model = m.Service
    database_id: int = strawberry.field(description=DATABASE_ID)
    kind: ServiceKind = strawberry.field(description="Which kind of service it is.")
    status: ServiceStatus = strawberry.field(description="Its state on the plan.")
    created_at: dt.datetime = strawberry.field(description="When it was added.")
    ended_at: dt.datetime | None = strawberry.field(
        description="When it was cancelled, disabled or removed; null while it is live."
    )


@strawberry.type(name="EmailAccount", description="A mailbox: login@domain.")
class EmailAccountType(ServiceInterface):
    graphql_name = "EmailAccount"
    model = m.EmailAccount
    login: str = strawberry.field(description="The part before the @, lower-case.")
    domain: str = strawberry.field(
        description="The part after the @: one of the ISP's e-mail domains or a domain hosted "
        "for the customer."
    )
    quota_mb: int = strawberry.field(description="Mailbox size limit in megabytes (1 to 102400).")

    @strawberry.field(description="The full address, login@domain.")
    def address(self) -> str:
        return EMAIL_ADDRESS.resolve(self)


@strawberry.type(name="EmailAlias", description="An extra address delivering to a mailbox.")
class EmailAliasType(ServiceInterface):
    graphql_name = "EmailAlias"
    model = m.EmailAlias
    login: str = strawberry.field(description="The part before the @, lower-case.")
    domain: str = strawberry.field(description="The part after the @.")
    email_id: strawberry.Private[int]

    @strawberry.field(description="The full alias address, login@domain.")
    def address(self) -> str:
        return ALIAS_ADDRESS.resolve(self)

    @strawberry.field(
        description="The mailbox the alias delivers to (still there once the mailbox ended)."
    )
    async def email(self, info: Info) -> EmailAccountType | None:
        return await ALIAS_EMAIL.resolve(self, info)


@strawberry.type(
    name="RadiusLogin",
    description="A RADIUS login (login radius) the customer's connection authenticates with; "
    "its password is never shown.",
)
class RadiusLoginType(ServiceInterface):
    graphql_name = "RadiusLogin"
    model = m.RadiusLogin
    login: str = strawberry.field(
        description="The login, lower-case; unique across the ISP whatever its case."
    )
    domain: str | None = strawberry.field(
        description="The login's domain, which some offers require; null when it has none."
    )
    fixed_ip: str | None = strawberry.field(
        description="A fixed IP address of the plan given to this login; null: none (also "
        "once that IP service ended)."
    )


@strawberry.type(
    name="IpAddress",
    description="A fixed IP address allocated from the offer's pool; an address held now is "
    "held by one plan only.",
)
class IpAssignmentType(ServiceInterface):
    graphql_name = "IpAddress"
    model = m.IpAssignment
    address: str = strawberry.field(description="The IPv4 or IPv6 address, canonical form.")
    released_at: dt.datetime | None = strawberry.field(
        description="When the address went back to its pool (the service ended); null while "
        "the plan holds it."
    )
    pool_id: strawberry.Private[int]

    @strawberry.field(description="The pool the address came from.")
    async def pool(self, info: Info) -> IpPoolType:
        return await IP_POOL.resolve(self, info)


@strawberry.type(
    name="VoiceTerminal",
    description="A phone number on the plan (terminal de voz); its calls are the portal's "
    "call statement.",
)
class VoiceTerminalType(ServiceInterface):
    graphql_name = "VoiceTerminal"
    model = m.VoiceTerminal
    phone_number: str = strawberry.field(
        description="The number in E.164 form ('+' and 10 to 15 digits); unique."
    )
    sip_username: str | None = strawberry.field(
        description="Its SIP user, lower-case and unique; null when it has none."
    )


@strawberry.type(name="Onu", description="An optical network unit (ONU) at the customer's.")
class OnuType(ServiceInterface):
    graphql_name = "Onu"
    model = m.Onu
    serial: str = strawberry.field(
        description="Its serial: 8 to 32 letters and digits, upper-case; unique."
    )
    olt: str = strawberry.field(description="The OLT (optical line terminal) it connects to.")
    pon_port: int = strawberry.field(description="The OLT's PON port it is on, 0 to 255.")


@strawberry.type(
    name="HostedDomain",
    description="A domain (domínio) hosted for the customer, registered by the ISP at the "
    "registry (registerDomain) or held elsewhere (addDomain).",
)
class HostedDomainType(ServiceInterface):
    graphql_name = "HostedDomain"
    model = m.HostedDomain
    name: str = strawberry.field(description="The domain name, lower-case; unique.")
    registered: bool = strawberry.field(
        description="Whether the ISP registered it at the registry."
    )
    registration_years: int | None = strawberry.field(
        description="The registration period in years (1 to 10); null when not registered here."
    )
    expires_on: dt.date | None = strawberry.field(
        description="When the registration expires, as the registry said; null when not "
        "registered here."
    )


@strawberry.type(name="Circuit", description="A dedicated link (circuito).")
class CircuitType(ServiceInterface):
    graphql_name = "Circuit"
    model = m.Circuit
    identifier: str = strawberry.field(
        description="Its identifier, e.g. CIR-0001234: upper-case, single spaces; unique."
    )
    bandwidth_kbps: int = strawberry.field(
        description="Bandwidth in kbps, 1 to 100000000 (100 Gbit/s)."
    )
    endpoint_a: str = strawberry.field(description="One end of the link, as typed.")
    endpoint_b: str = strawberry.field(description="The other end of the link, as typed.")


@strawberry.type(
    name="ExtraService",
    description="An extra service (serviço extra) from the catalog, charged in installments. "
    "It can be viewed (Consultar Serviço) and cancelled, never edited.",
)
class ExtraServiceType(ServiceInterface):
    graphql_name = "ExtraService"
    model = m.ExtraService
    value: Decimal = strawberry.field(
        description="Its value in R$: the total for INSTALLMENTS, each month's for MONTHLY, "
        "the one charge for ONE_TIME."
    )
    complement: str | None = strawberry.field(
        description="Free text completing its name (complemento); null when none."
    )
    start_date: dt.date = strawberry.field(
        description="Its start date (data início), set by the catalog entry's start-date rule."
    )
    billing_type: BillingType = strawberry.field(
        description="How it is charged, from the catalog entry (tipo de cobrança)."
    )
    first_due_date: dt.date = strawberry.field(
        description="The due date of the first installment; the others follow monthly."
    )
    installments: int = strawberry.field(description="Number of installments, 1 to 60.")
    notes: str | None = strawberry.field(description="Notes (observações); null when none.")
    definition_id: strawberry.Private[int]
    contact_id: strawberry.Private[int | None]

    @strawberry.field(description="The catalog entry it was added from.")
    async def definition(self, info: Info) -> ExtraServiceDefinitionType:
        return await EXTRA_SERVICE_DEFINITION.resolve(self, info)

    @strawberry.field(
        description="The customer's contact for it; null when none was given or the contact "
        "was deleted."
    )
    async def contact(self, info: Info) -> ContactType | None:
        return await EXTRA_SERVICE_CONTACT.resolve(self, info)


@strawberry.type(
    name="AntivirusLicense",
    description="An antivirus licence (Licenc. Anti-Virus): activate, suspend or delete it.",
)
class AntivirusLicenseType(ServiceInterface):
    graphql_name = "AntivirusLicense"
    model = m.AntivirusLicense
    license_key: str = strawberry.field(
        description="The licence key, made by the gateway (AV- and 16 hex digits); unique."
    )
    license_status: AntivirusStatus = strawberry.field(
        description="The licence's own state; `status` follows it while the service is live."
    )
    seats: int = strawberry.field(description="How many devices it protects, 1 to 100.")


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
