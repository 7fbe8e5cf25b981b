"""Root fields of services: adding, changing and removing them, passwords and domains."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import strawberry

from domain import errors as domain_errors
from domain.actions import accounts, domains, extra_services, ip, services
from domain.i18n import _
from domain.models.enums import AntivirusStatus as DomainAntivirusStatus
from domain.models.enums import ServiceKind
from domain.ports.registry import DomainRegistry, HttpDomainRegistry
from domain.rules import passwords
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.billing import ReceivableType
from gateway.schema.errors import (
    UserError,
    user_error,
)
from gateway.schema.ids import database_id
from gateway.schema.plans import PlanType
from gateway.schema.service_actions import (
    SERVICE_TYPE_NAMES,
    ActivateAntivirusInput,
    ActivateAntivirusResult,
    AddAntivirusInput,
    AddAntivirusResult,
    AddAntivirusSuccess,
    AddCircuitInput,
    AddCircuitResult,
    AddCircuitSuccess,
    AddDomainInput,
    AddDomainResult,
    AddDomainSuccess,
    AddEmailAliasInput,
    AddEmailAliasResult,
    AddEmailAliasSuccess,
    AddEmailInput,
    AddEmailResult,
    AddEmailSuccess,
    AddExtraServiceInput,
    AddExtraServiceResult,
    AddExtraServiceSuccess,
    AddIpAddressInput,
    AddIpAddressResult,
    AddIpAddressSuccess,
    AddOnuInput,
    AddOnuResult,
    AddOnuSuccess,
    AddRadiusLoginInput,
    AddRadiusLoginResult,
    AddRadiusLoginSuccess,
    AddVoiceTerminalInput,
    AddVoiceTerminalResult,
    AddVoiceTerminalSuccess,
    AntivirusLicenseSuccess,
    CancelExtraServiceInput,
    CancelExtraServiceResult,
    CancelExtraServiceSuccess,
    ChangeServicePasswordInput,
    ChangeServicePasswordResult,
    ChangeServicePasswordSuccess,
    DeleteAntivirusInput,
    DeleteAntivirusResult,
    DomainAvailability,
    DomainAvailabilityResult,
    GeneratedPassword,
    GeneratePasswordResult,
    PasswordStrengthResult,
    PasswordStrengthType,
    RegisterDomainInput,
    RegisterDomainResult,
    RegisterDomainSuccess,
    RemoveServiceInput,
    RemoveServiceResult,
    RemoveServiceSuccess,
    SuspendAntivirusInput,
    SuspendAntivirusResult,
    T,
)
from gateway.schema.services import (
    AntivirusLicenseType,
    CircuitType,
    EmailAccountType,
    EmailAliasType,
    ExtraServiceType,
    HostedDomainType,
    IpAssignmentType,
    OnuType,
    RadiusLoginType,
    VoiceTerminalType,
    service_from_model,
)


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
    @strawberry.field(
        description="A random VERY_STRONG password, as the Gerar Senha button makes; nothing "
        "is stored. Any caller."
    )
    def generate_password(
        self,
        length: Annotated[
            int, strawberry.argument(description="How many characters, 8 to 64 (default 12).")
        ] = passwords.GENERATED_DEFAULT_LENGTH,
    ) -> GeneratePasswordResult:
        try:
            password = passwords.generate(length)
        except ValueError as error:
            return user_error(domain_errors.ValidationFailed.one("length", str(error)))  # type: ignore[return-value]
        return GeneratedPassword(
            password=password, strength=PasswordStrengthType.of(passwords.strength(password))
        )

    @strawberry.field(
        description="The strength of a password (Força da Senha), to show while it is typed; "
        "0 when it equals the login or e-mail given. Nothing is stored. Any caller."
    )
    def password_strength(
        self,
        password: Annotated[
            str, strawberry.argument(description="The password to score, at most 128 characters.")
        ],
        login: Annotated[
            str | None,
            strawberry.argument(
                description="The login it is for; a password equal to it scores 0."
            ),
        ] = None,
        email: Annotated[
            str | None,
            strawberry.argument(
                description="The e-mail it is for; a password equal to it, or to its part "
                "before the @, scores 0."
            ),
        ] = None,
    ) -> PasswordStrengthResult:
        if len(password) > passwords.MAX_LENGTH:
            return user_error(  # type: ignore[return-value]
                domain_errors.ValidationFailed.one(
                    "password",
                    _("must be at most {max_length} characters", max_length=passwords.MAX_LENGTH),
                )
            )
        return PasswordStrengthType.of(passwords.strength(password, login=login, email=email))

    @strawberry.field(
        description="Asks the domain registry whether a name can be registered (Novo Registro "
        "de Domínio, Verificar Disponibilidade). Needs the PLAN_ADMIN permission."
    )
    async def domain_availability(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="A fully qualified name such as example.com.br.")
        ],
    ) -> DomainAvailabilityResult:
        async with _registry(info) as registry:
            try:
                result = await domains.domain_availability(
                    registry, name=name, actor=info.context.identity
                )
            except domain_errors.DomainError as error:
                return user_error(error)  # type: ignore[return-value]
        return DomainAvailability(name=result.name, available=result.available)


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
    @strawberry.mutation(
        description="Adds a RADIUS login to a plan (Adicionar Serviço, Login Radius). Needs the "
        "PLAN_ADMIN permission."
    )
    async def add_radius_login(
        self,
        info: Info,
        input: Annotated[
            AddRadiusLoginInput, strawberry.argument(description="The login to add and its plan.")
        ],
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

    @strawberry.mutation(
        description="Adds a mailbox to a plan (Adicionar Serviço, E-mail). Needs the PLAN_ADMIN "
        "permission."
    )
    async def add_email(
        self,
        info: Info,
        input: Annotated[
            AddEmailInput, strawberry.argument(description="The mailbox to add and its plan.")
        ],
    ) -> AddEmailResult:
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

    @strawberry.mutation(
        description="Adds an alias to one of a plan's mailboxes (Alias de E-mail). Needs the "
        "PLAN_ADMIN permission."
    )
    async def add_email_alias(
        self,
        info: Info,
        input: Annotated[
            AddEmailAliasInput, strawberry.argument(description="The alias to add and its mailbox.")
        ],
    ) -> AddEmailAliasResult:
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

    @strawberry.mutation(
        description="Allocates a fixed IP from the plan offer's pool (Adicionar Serviço, IP). "
        "Needs the PLAN_ADMIN permission."
    )
    async def add_ip_address(
        self,
        info: Info,
        input: Annotated[
            AddIpAddressInput,
            strawberry.argument(description="The plan, and the address wanted if any."),
        ],
    ) -> AddIpAddressResult:
        return await _run(
            info,
            ip.add_ip_address,
            lambda r: AddIpAddressSuccess(
                service=IpAssignmentType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            address=input.address,
        )

    @strawberry.mutation(
        description="Adds a phone number (Terminal de Voz) to a plan. Needs the PLAN_ADMIN "
        "permission."
    )
    async def add_voice_terminal(
        self,
        info: Info,
        input: Annotated[
            AddVoiceTerminalInput,
            strawberry.argument(description="The phone number to add and its plan."),
        ],
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

    @strawberry.mutation(description="Adds an ONU to a plan. Needs the PLAN_ADMIN permission.")
    async def add_onu(
        self,
        info: Info,
        input: Annotated[
            AddOnuInput, strawberry.argument(description="The ONU to add and its plan.")
        ],
    ) -> AddOnuResult:
        return await _run(
            info,
            services.add_onu,
            lambda r: AddOnuSuccess(service=OnuType.from_model(r.service), plan=_plan(r)),
            plan_id=_plan_key(input.plan_id),
            serial=input.serial,
            olt=input.olt,
            pon_port=input.pon_port,
        )

    @strawberry.mutation(
        description="Hosts a domain on a plan, without registering it (Adicionar Domínio). Needs "
        "the PLAN_ADMIN permission."
    )
    async def add_domain(
        self,
        info: Info,
        input: Annotated[
            AddDomainInput, strawberry.argument(description="The domain to host and its plan.")
        ],
    ) -> AddDomainResult:
        return await _run(
            info,
            domains.add_domain,
            lambda r: AddDomainSuccess(
                service=HostedDomainType.from_model(r.service), plan=_plan(r)
            ),
            plan_id=_plan_key(input.plan_id),
            name=input.name,
        )

    @strawberry.mutation(
        description="Registers a domain at the registry and hosts it on a plan (Novo Registro de "
        "Domínio). The registry is called before the transaction commits. Needs the "
        "PLAN_ADMIN permission."
    )
    async def register_domain(
        self,
        info: Info,
        input: Annotated[
            RegisterDomainInput,
            strawberry.argument(description="The name to register, for how long, and its plan."),
        ],
    ) -> RegisterDomainResult:
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

    @strawberry.mutation(
        description="Adds a dedicated circuit (Circuito) to a plan. Needs the PLAN_ADMIN "
        "permission."
    )
    async def add_circuit(
        self,
        info: Info,
        input: Annotated[
            AddCircuitInput, strawberry.argument(description="The circuit to add and its plan.")
        ],
    ) -> AddCircuitResult:
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

    @strawberry.mutation(
        description="Adds an extra service and its installment receivables (Adicionar Serviço "
        "Extra). The same terms on the same plan within 60 seconds answer the first one "
        "again (`repeated`). Needs the PLAN_ADMIN permission."
    )
    async def add_extra_service(
        self,
        info: Info,
        input: Annotated[
            AddExtraServiceInput,
            strawberry.argument(description="The catalog entry, its terms and the plan."),
        ],
    ) -> AddExtraServiceResult:
        contact_id = None if input.contact_id is None else _key(input.contact_id, "Contact")
        return await _run(
            info,
            extra_services.add_extra_service,
            lambda r: AddExtraServiceSuccess(
                service=ExtraServiceType.from_model(r.service),
                plan=_plan(r),
                receivables=ReceivableType.from_models(r.receivables),
                repeated=r.repeated,
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
        description="Cancels an extra service (Cancelar Serviço): open installments not yet "
        "billed are dropped, billed ones kept. Needs the PLAN_ADMIN permission."
    )
    async def cancel_extra_service(
        self,
        info: Info,
        input: Annotated[
            CancelExtraServiceInput, strawberry.argument(description="The extra service to cancel.")
        ],
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

    @strawberry.mutation(
        description="Adds an antivirus licence to a plan (Licenc. Anti-Virus). Needs the "
        "PLAN_ADMIN permission."
    )
    async def add_antivirus(
        self,
        info: Info,
        input: Annotated[
            AddAntivirusInput, strawberry.argument(description="The plan and the licence's seats.")
        ],
    ) -> AddAntivirusResult:
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

    @strawberry.mutation(
        description="Activates a suspended antivirus licence (Ativar). Needs the PLAN_ADMIN "
        "permission."
    )
    async def activate_antivirus(
        self,
        info: Info,
        input: Annotated[
            ActivateAntivirusInput, strawberry.argument(description="The licence to activate.")
        ],
    ) -> ActivateAntivirusResult:
        return await _antivirus(info, input.service_id, DomainAntivirusStatus.ACTIVE)

    @strawberry.mutation(
        description="Suspends an active antivirus licence (Suspender). Needs the PLAN_ADMIN "
        "permission."
    )
    async def suspend_antivirus(
        self,
        info: Info,
        input: Annotated[
            SuspendAntivirusInput, strawberry.argument(description="The licence to suspend.")
        ],
    ) -> SuspendAntivirusResult:
        return await _antivirus(info, input.service_id, DomainAntivirusStatus.SUSPENDED)

    @strawberry.mutation(
        description="Deletes an antivirus licence (Excluir): the service is CANCELLED and the "
        "licence DELETED. Needs the PLAN_ADMIN permission."
    )
    async def delete_antivirus(
        self,
        info: Info,
        input: Annotated[
            DeleteAntivirusInput, strawberry.argument(description="The licence to delete.")
        ],
    ) -> DeleteAntivirusResult:
        return await _run(
            info,
            services.remove_service,
            _removed,
            service_id=_service_key(input.service_id, "AntivirusLicense"),
            only=ServiceKind.ANTIVIRUS,
            action="deleteAntivirus",
        )

    @strawberry.mutation(
        description="Sets a new password on a live RADIUS login or mailbox. Needs the PLAN_ADMIN "
        "permission."
    )
    async def change_service_password(
        self,
        info: Info,
        input: Annotated[
            ChangeServicePasswordInput,
            strawberry.argument(description="The login or mailbox and its new password."),
        ],
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
        "its pool, a mailbox's aliases end with it). Extra services use cancelExtraService. "
        "Needs the PLAN_ADMIN permission."
    )
    async def remove_service(
        self,
        info: Info,
        input: Annotated[
            RemoveServiceInput, strawberry.argument(description="The service to remove.")
        ],
    ) -> RemoveServiceResult:
        return await _run(
            info,
            services.remove_service,
            _removed,
            service_id=_service_key(input.service_id),
        )
