"""Adicionar Serviço: one mutation per kind of service, removing and cancelling them, changing
passwords, and the password and domain queries that go with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from domain import errors as domain_errors
from domain.actions import accounts, domains, extra_services, ip, services
from domain.models.enums import AntivirusStatus as DomainAntivirusStatus
from domain.models.enums import ServiceKind
from domain.ports.registry import DomainRegistry, HttpDomainRegistry
from domain.rules import passwords
from gateway.resolvers.ids import database_id
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.billing import ReceivableType
from gateway.schema.errors import (
    Conflict,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    UserError,
    ValidationError,
    user_error,
)
from gateway.schema.plans import PlanType
from gateway.schema.services import (
    SERVICE_TYPES,
    AntivirusLicenseType,
    CircuitType,
    EmailAccountType,
    EmailAliasType,
    ExtraServiceType,
    HostedDomainType,
    IpAssignmentType,
    OnuType,
    RadiusLoginType,
    ServiceInterface,
    VoiceTerminalType,
    service_from_model,
)

T = TypeVar("T")

PasswordBand = strawberry.enum(
    passwords.Band, name="PasswordBand", description="The manual's strength bands."
)
PasswordRule = strawberry.enum(
    passwords.Rule, name="PasswordRule", description="An addition or deduction of the meter."
)

SERVICE_TYPE_NAMES = tuple(cls.graphql_name for cls in SERVICE_TYPES.values())


# --- password and domain queries -------------------------------------------------------------


@strawberry.type(description="One rule of the meter that applied, and the points it gave.")
class PasswordRuleScore:
    rule: PasswordRule  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many characters or runs matched.")
    points: int = strawberry.field(description="Positive for additions, negative for deductions.")


@strawberry.type(name="PasswordStrength", description="A password's score, as passwordmeter.com.")
class PasswordStrengthType:
    score: int = strawberry.field(description="0 to 100.")
    band: PasswordBand  # type: ignore[valid-type]
    requirements_met: bool = strawberry.field(
        description="At least 8 characters and 3 of upper, lower, digits and symbols."
    )
    rules: list[PasswordRuleScore]

    @classmethod
    def of(cls, strength: passwords.Strength) -> PasswordStrengthType:
        return cls(
            score=strength.score,
            band=strength.band,
            requirements_met=strength.requirements_met,
            rules=[
                PasswordRuleScore(rule=r.rule, count=r.count, points=r.points)
                for r in strength.rules
            ],
        )


@strawberry.type(description="A new random password and its strength; it is not stored anywhere.")
class GeneratedPassword:
    password: str
    strength: PasswordStrengthType


@strawberry.type(description="Whether the registry can register a name now.")
class DomainAvailability:
    name: str
    available: bool


GeneratePasswordResult = Annotated[
    GeneratedPassword | ValidationError, strawberry.union("GeneratePasswordResult")
]
PasswordStrengthResult = Annotated[
    PasswordStrengthType | ValidationError, strawberry.union("PasswordStrengthResult")
]
DomainAvailabilityResult = Annotated[
    DomainAvailability | ValidationError | NotAllowed | RuleViolation,
    strawberry.union("DomainAvailabilityResult"),
]


@asynccontextmanager
async def _registry(info: Info) -> AsyncIterator[DomainRegistry | None]:
    """The configured registry's client for one call, or None when none is configured."""
    url = info.context.settings.registry_base_url
    if not url:
        yield None
        return
    async with HttpDomainRegistry(url) as client:
        yield client


@strawberry.type
class ServiceQuery:
    @strawberry.field(description="A random, very strong password (8-64 characters).")
    def generate_password(
        self, length: int = passwords.GENERATED_DEFAULT_LENGTH
    ) -> GeneratePasswordResult:
        try:
            password = passwords.generate(length)
        except ValueError as error:
            return user_error(domain_errors.ValidationFailed.one("length", str(error)))  # type: ignore[return-value]
        return GeneratedPassword(
            password=password, strength=PasswordStrengthType.of(passwords.strength(password))
        )

    @strawberry.field(
        description="The strength of a password; 0 when it equals the login or e-mail given."
    )
    def password_strength(
        self, password: str, login: str | None = None, email: str | None = None
    ) -> PasswordStrengthResult:
        if len(password) > passwords.MAX_LENGTH:
            return user_error(  # type: ignore[return-value]
                domain_errors.ValidationFailed.one(
                    "password", f"must be at most {passwords.MAX_LENGTH} characters"
                )
            )
        return PasswordStrengthType.of(passwords.strength(password, login=login, email=email))

    @strawberry.field(description="Asks the domain registry whether a name is available.")
    async def domain_availability(self, info: Info, name: str) -> DomainAvailabilityResult:
        async with _registry(info) as registry:
            try:
                result = await domains.domain_availability(
                    registry, name=name, actor=info.context.identity
                )
            except domain_errors.DomainError as error:
                return user_error(error)  # type: ignore[return-value]
        return DomainAvailability(name=result.name, available=result.available)


# --- mutation inputs --------------------------------------------------------------------------


@strawberry.input(description="A RADIUS login; leave login out to have it generated.")
class AddRadiusLoginInput:
    plan_id: strawberry.ID
    password: str
    login: str | None = strawberry.field(
        default=None,
        description="Generated from the configured pattern when left out and the system "
        "variable auto_generate_radius_login is on.",
    )
    domain: str | None = strawberry.field(
        default=None, description="Required when the plan's offer requires a domain."
    )
    fixed_ip: str | None = strawberry.field(
        default=None, description="An address the plan already holds as an IP service."
    )


@strawberry.input(description="A mailbox login@domain.")
class AddEmailInput:
    plan_id: strawberry.ID
    login: str
    password: str
    domain: str | None = strawberry.field(
        default=None, description="Defaults to the ISP's e-mail domain (system variable)."
    )
    quota_mb: int | None = None


@strawberry.input(description="An extra address delivering to one of the plan's mailboxes.")
class AddEmailAliasInput:
    email_id: strawberry.ID
    login: str
    domain: str | None = strawberry.field(default=None, description="Defaults to the mailbox's.")


@strawberry.input(description="A fixed IP from the offer's pool: the next free one, or `address`.")
class AddIpAddressInput:
    plan_id: strawberry.ID
    address: str | None = None


@strawberry.input
class AddVoiceTerminalInput:
    plan_id: strawberry.ID
    phone_number: str
    sip_username: str | None = None


@strawberry.input
class AddOnuInput:
    plan_id: strawberry.ID
    serial: str
    olt: str
    pon_port: int


@strawberry.input(description="A domain hosted for the customer, registered elsewhere.")
class AddDomainInput:
    plan_id: strawberry.ID
    name: str


@strawberry.input(description="Registers a name at the registry for `years` and hosts it.")
class RegisterDomainInput:
    plan_id: strawberry.ID
    name: str
    years: int = strawberry.field(description="Registration period, 1 to 10 years.")


@strawberry.input
class AddCircuitInput:
    plan_id: strawberry.ID
    identifier: str
    bandwidth_kbps: int
    endpoint_a: str
    endpoint_b: str


@strawberry.input(
    description="An extra service from the catalog; start date and billing type come from it."
)
class AddExtraServiceInput:
    plan_id: strawberry.ID
    definition_id: strawberry.ID
    first_due_date: dt.date
    value: Decimal | None = strawberry.field(
        default=None, description="Defaults to the catalog's value."
    )
    installments: int = 1
    complement: str | None = None
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the plan's customer's contacts."
    )
    notes: str | None = None


@strawberry.input
class AddAntivirusInput:
    plan_id: strawberry.ID
    seats: int = 1
    activate: bool = True


@strawberry.input(description="A RADIUS login or a mailbox, and its new password.")
class ChangeServicePasswordInput:
    service_id: strawberry.ID
    password: str


@strawberry.input
class RemoveServiceInput:
    service_id: strawberry.ID


@strawberry.input
class CancelExtraServiceInput:
    service_id: strawberry.ID


@strawberry.input
class ActivateAntivirusInput:
    service_id: strawberry.ID


@strawberry.input
class SuspendAntivirusInput:
    service_id: strawberry.ID


@strawberry.input
class DeleteAntivirusInput:
    service_id: strawberry.ID


# --- payloads ---------------------------------------------------------------------------------


@strawberry.type
class AddRadiusLoginSuccess:
    service: RadiusLoginType
    plan: PlanType
    password_strength: PasswordStrengthType


@strawberry.type
class AddEmailSuccess:
    service: EmailAccountType
    plan: PlanType
    password_strength: PasswordStrengthType


@strawberry.type
class AddEmailAliasSuccess:
    service: EmailAliasType
    plan: PlanType


@strawberry.type
class AddIpAddressSuccess:
    service: IpAssignmentType
    plan: PlanType


@strawberry.type
class AddVoiceTerminalSuccess:
    service: VoiceTerminalType
    plan: PlanType


@strawberry.type
class AddOnuSuccess:
    service: OnuType
    plan: PlanType


@strawberry.type
class AddDomainSuccess:
    service: HostedDomainType
    plan: PlanType


@strawberry.type
class RegisterDomainSuccess:
    service: HostedDomainType
    plan: PlanType


@strawberry.type
class AddCircuitSuccess:
    service: CircuitType
    plan: PlanType


@strawberry.type(description="The extra service and the receivables of its installments.")
class AddExtraServiceSuccess:
    service: ExtraServiceType
    plan: PlanType
    receivables: list[ReceivableType]


@strawberry.type(description="The cancelled service, the receivables kept (already billed).")
class CancelExtraServiceSuccess:
    service: ExtraServiceType
    plan: PlanType
    kept_receivables: list[ReceivableType]
    dropped_installments: int = strawberry.field(
        description="Installments not yet billed, dropped by the cancellation."
    )


@strawberry.type
class AddAntivirusSuccess:
    service: AntivirusLicenseType
    plan: PlanType


@strawberry.type(description="The licence after activating or suspending it.")
class AntivirusLicenseSuccess:
    service: AntivirusLicenseType
    plan: PlanType


@strawberry.type(description="The password was changed; it is never returned.")
class ChangeServicePasswordSuccess:
    service: ServiceInterface
    password_strength: PasswordStrengthType


@strawberry.type(description="The removed service, and every service that ended with it.")
class RemoveServiceSuccess:
    service: ServiceInterface
    plan: PlanType
    ended: list[ServiceInterface]


_Errors = ValidationError | NotFound | NotAllowed | InvalidTransition | RuleViolation | Conflict


def _result(success: type, name: str) -> Any:
    return Annotated[success | _Errors, strawberry.union(name)]


AddRadiusLoginResult = _result(AddRadiusLoginSuccess, "AddRadiusLoginResult")
AddEmailResult = _result(AddEmailSuccess, "AddEmailResult")
AddEmailAliasResult = _result(AddEmailAliasSuccess, "AddEmailAliasResult")
AddIpAddressResult = _result(AddIpAddressSuccess, "AddIpAddressResult")
AddVoiceTerminalResult = _result(AddVoiceTerminalSuccess, "AddVoiceTerminalResult")
AddOnuResult = _result(AddOnuSuccess, "AddOnuResult")
AddDomainResult = _result(AddDomainSuccess, "AddDomainResult")
RegisterDomainResult = _result(RegisterDomainSuccess, "RegisterDomainResult")
AddCircuitResult = _result(AddCircuitSuccess, "AddCircuitResult")
AddExtraServiceResult = _result(AddExtraServiceSuccess, "AddExtraServiceResult")
CancelExtraServiceResult = _result(CancelExtraServiceSuccess, "CancelExtraServiceResult")
AddAntivirusResult = _result(AddAntivirusSuccess, "AddAntivirusResult")
ActivateAntivirusResult = _result(AntivirusLicenseSuccess, "ActivateAntivirusResult")
SuspendAntivirusResult = _result(AntivirusLicenseSuccess, "SuspendAntivirusResult")
DeleteAntivirusResult = _result(RemoveServiceSuccess, "DeleteAntivirusResult")
ChangeServicePasswordResult = _result(ChangeServicePasswordSuccess, "ChangeServicePasswordResult")
RemoveServiceResult = _result(RemoveServiceSuccess, "RemoveServiceResult")


# --- resolvers --------------------------------------------------------------------------------


def _key(raw: strawberry.ID, *type_names: str) -> int:
    """The database key of an id; -1 (a key no row has) so the action answers NotFound."""
    return database_id(raw, *type_names) or -1


def _plan_key(raw: strawberry.ID) -> int:
    return _key(raw, "Plan")


def _service_key(raw: strawberry.ID, *type_names: str) -> int:
    return _key(raw, *(type_names or SERVICE_TYPE_NAMES))


async def _run(
    info: Info,
    action: Callable[..., Awaitable[T]],
    build: Callable[[T], object],
    /,
    **arguments: Any,
) -> Any:
    """Runs `action(session, **arguments, actor=...)` as the mutation, then maps its result."""
    result = await perform(
        info, lambda session: action(session, **arguments, actor=info.context.identity)
    )
    if isinstance(result, UserError):
        return result
    return build(result)


def _plan(result: Any) -> PlanType:
    return PlanType.from_model(result.plan)


def _removed(result: services.RemovedServices) -> RemoveServiceSuccess:
    return RemoveServiceSuccess(
        service=service_from_model(result.service),
        plan=_plan(result),
        ended=[service_from_model(row) for row in result.ended],
    )


async def _antivirus(info: Info, raw_id: strawberry.ID, status: DomainAntivirusStatus) -> Any:
    return await _run(
        info,
        services.set_antivirus_status,
        lambda r: AntivirusLicenseSuccess(
            service=AntivirusLicenseType.from_model(r.service), plan=_plan(r)
        ),
        service_id=_service_key(raw_id, "AntivirusLicense"),
        status=status,
    )


@strawberry.type
class ServiceMutations:
    @strawberry.mutation(description="Adds a RADIUS login (login radius) to a plan.")
    async def add_radius_login(
        self, info: Info, input: AddRadiusLoginInput
    ) -> AddRadiusLoginResult:
        return await _run(
            info,
            accounts.add_radius_login,
            lambda r: AddRadiusLoginSuccess(
                service=RadiusLoginType.from_model(r.service),
                plan=_plan(r),
                password_strength=PasswordStrengthType.of(r.strength),
            ),
            plan_id=_plan_key(input.plan_id),
            login=input.login,
            password=input.password,
            domain=input.domain,
            fixed_ip=input.fixed_ip,
        )

    @strawberry.mutation(description="Adds a mailbox to a plan.")
    async def add_email(self, info: Info, input: AddEmailInput) -> AddEmailResult:
        return await _run(
            info,
            accounts.add_email,
            lambda r: AddEmailSuccess(
                service=EmailAccountType.from_model(r.service),
                plan=_plan(r),
                password_strength=PasswordStrengthType.of(r.strength),
            ),
            plan_id=_plan_key(input.plan_id),
            login=input.login,
            password=input.password,
            domain=input.domain,
            quota_mb=input.quota_mb,
        )

    @strawberry.mutation(description="Adds an alias to one of a plan's mailboxes.")
    async def add_email_alias(self, info: Info, input: AddEmailAliasInput) -> AddEmailAliasResult:
        return await _run(
            info,
            accounts.add_email_alias,
            lambda r: AddEmailAliasSuccess(
                service=EmailAliasType.from_model(r.service), plan=_plan(r)
            ),
            email_id=_service_key(input.email_id, "EmailAccount"),
            login=input.login,
            domain=input.domain,
        )

    @strawberry.mutation(description="Allocates a fixed IP from the plan offer's pool.")
    async def add_ip_address(self, info: Info, input: AddIpAddressInput) -> AddIpAddressResult:
        return await _run(
            info,
            ip.add_ip_address,
            lambda r: AddIpAddressSuccess(
                service=IpAssignmentType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            address=input.address,
        )

    @strawberry.mutation(description="Adds a phone number (terminal de voz) to a plan.")
    async def add_voice_terminal(
        self, info: Info, input: AddVoiceTerminalInput
    ) -> AddVoiceTerminalResult:
        return await _run(
            info,
            services.add_voice_terminal,
            lambda r: AddVoiceTerminalSuccess(
                service=VoiceTerminalType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            phone_number=input.phone_number,
            sip_username=input.sip_username,
        )

    @strawberry.mutation(description="Adds an ONU to a plan.")
    async def add_onu(self, info: Info, input: AddOnuInput) -> AddOnuResult:
        return await _run(
            info,
            services.add_onu,
            lambda r: AddOnuSuccess(service=OnuType.from_model(r.service), plan=_plan(r)),
            plan_id=_plan_key(input.plan_id),
            serial=input.serial,
            olt=input.olt,
            pon_port=input.pon_port,
        )

    @strawberry.mutation(description="Hosts a domain on a plan (no registration).")
    async def add_domain(self, info: Info, input: AddDomainInput) -> AddDomainResult:
        return await _run(
            info,
            domains.add_domain,
            lambda r: AddDomainSuccess(
                service=HostedDomainType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            name=input.name,
        )

    @strawberry.mutation(description="Registers a domain at the registry and hosts it on a plan.")
    async def register_domain(self, info: Info, input: RegisterDomainInput) -> RegisterDomainResult:
        async with _registry(info) as registry:
            return await _run(
                info,
                domains.register_domain,
                lambda r: RegisterDomainSuccess(
                    service=HostedDomainType.from_model(r.service), plan=_plan(r)
                ),
                plan_id=_plan_key(input.plan_id),
                name=input.name,
                years=input.years,
                registry=registry,
            )

    @strawberry.mutation(description="Adds a dedicated circuit to a plan.")
    async def add_circuit(self, info: Info, input: AddCircuitInput) -> AddCircuitResult:
        return await _run(
            info,
            services.add_circuit,
            lambda r: AddCircuitSuccess(service=CircuitType.from_model(r.service), plan=_plan(r)),
            plan_id=_plan_key(input.plan_id),
            identifier=input.identifier,
            bandwidth_kbps=input.bandwidth_kbps,
            endpoint_a=input.endpoint_a,
            endpoint_b=input.endpoint_b,
        )

    @strawberry.mutation(description="Adds an extra service and its installment receivables.")
    async def add_extra_service(
        self, info: Info, input: AddExtraServiceInput
    ) -> AddExtraServiceResult:
        contact_id = None if input.contact_id is None else _key(input.contact_id, "Contact")
        return await _run(
            info,
            extra_services.add_extra_service,
            lambda r: AddExtraServiceSuccess(
                service=ExtraServiceType.from_model(r.service),
                plan=_plan(r),
                receivables=ReceivableType.from_models(r.receivables),
            ),
            plan_id=_plan_key(input.plan_id),
            definition_id=_key(input.definition_id, "ExtraServiceDefinition"),
            first_due_date=input.first_due_date,
            value=input.value,
            installments=input.installments,
            complement=input.complement,
            contact_id=contact_id,
            notes=input.notes,
        )

    @strawberry.mutation(
        description="Cancels an extra service: unbilled installments are dropped, billed kept."
    )
    async def cancel_extra_service(
        self, info: Info, input: CancelExtraServiceInput
    ) -> CancelExtraServiceResult:
        return await _run(
            info,
            extra_services.cancel_extra_service,
            lambda r: CancelExtraServiceSuccess(
                service=ExtraServiceType.from_model(r.service),
                plan=_plan(r),
                kept_receivables=ReceivableType.from_models(r.receivables),
                dropped_installments=len(r.dropped),
            ),
            service_id=_service_key(input.service_id, "ExtraService"),
        )

    @strawberry.mutation(description="Adds an antivirus licence to a plan.")
    async def add_antivirus(self, info: Info, input: AddAntivirusInput) -> AddAntivirusResult:
        return await _run(
            info,
            services.add_antivirus,
            lambda r: AddAntivirusSuccess(
                service=AntivirusLicenseType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            seats=input.seats,
            activate=input.activate,
        )

    @strawberry.mutation(description="Activates a suspended antivirus licence.")
    async def activate_antivirus(
        self, info: Info, input: ActivateAntivirusInput
    ) -> ActivateAntivirusResult:
        return await _antivirus(info, input.service_id, DomainAntivirusStatus.ACTIVE)

    @strawberry.mutation(description="Suspends an active antivirus licence.")
    async def suspend_antivirus(
        self, info: Info, input: SuspendAntivirusInput
    ) -> SuspendAntivirusResult:
        return await _antivirus(info, input.service_id, DomainAntivirusStatus.SUSPENDED)

    @strawberry.mutation(description="Deletes an antivirus licence (the service is cancelled).")
    async def delete_antivirus(
        self, info: Info, input: DeleteAntivirusInput
    ) -> DeleteAntivirusResult:
        return await _run(
            info,
            services.remove_service,
            _removed,
            service_id=_service_key(input.service_id, "AntivirusLicense"),
            only=ServiceKind.ANTIVIRUS,
            action="deleteAntivirus",
        )

    @strawberry.mutation(description="Sets a new password on a RADIUS login or a mailbox.")
    async def change_service_password(
        self, info: Info, input: ChangeServicePasswordInput
    ) -> ChangeServicePasswordResult:
        return await _run(
            info,
            accounts.change_service_password,
            lambda r: ChangeServicePasswordSuccess(
                service=service_from_model(r.service),
                password_strength=PasswordStrengthType.of(r.strength),
            ),
            service_id=_service_key(input.service_id),
            password=input.password,
        )

    @strawberry.mutation(
        description="Removes a service from its plan, releasing what it held (an IP returns to "
        "its pool, a mailbox's aliases end with it). Extra services use cancelExtraService."
    )
    async def remove_service(self, info: Info, input: RemoveServiceInput) -> RemoveServiceResult:
        return await _run(
            info,
            services.remove_service,
            _removed,
            service_id=_service_key(input.service_id),
        )
