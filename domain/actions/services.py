"""Services without money or credentials: voice terminals, ONUs, circuits, antivirus licences,
and removing any service the manuals let staff remove."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions.service_common import (
    USE_CANCEL_EXTRA_SERVICE,
    Problems,
    end_service,
    plan_taking,
    record,
    require_not_ended,
    require_plan_admin,
    service_to_change,
    snapshot,
)
from domain.errors import InvalidTransition, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity
from domain.models import AntivirusLicense, Circuit, Onu, Plan, Service, VoiceTerminal
from domain.models.enums import AntivirusStatus, ServiceKind, ServiceStatus
from domain.reads import services as reads
from domain.rules import services as rules

MAX_PON_PORT = 255
MAX_BANDWIDTH_KBPS = 100_000_000  # 100 Gbit/s
MAX_SEATS = 100


@dataclass(frozen=True)
class ServiceResult:
    """The service an action added or changed, and its plan."""

    service: Service
    plan: Plan


@dataclass(frozen=True)
class RemovedServices:
    """The service that was removed, every service that ended with it, and their plan."""

    service: Service
    plan: Plan
    ended: list[Service] = field(default_factory=list)


async def _unique(session: AsyncSession, path: str, column: object, value: object) -> None:
    if await reads.value_taken(session, column, value):  # type: ignore[arg-type]
        raise ValidationFailed.one(path, _("{value} is already in use", value=value))


async def _added(
    session: AsyncSession, service: Service, plan: Plan, action: str, actor: Identity
) -> ServiceResult:
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action=action, service=service, before=None)
    return ServiceResult(service, plan)


async def add_voice_terminal(
    session: AsyncSession,
    *,
    plan_id: int,
    phone_number: str,
    sip_username: str | None = None,
    actor: Identity,
) -> ServiceResult:
    """Adds a phone number (terminal de voz) to the plan; numbers are unique."""
    require_plan_admin(actor, _("Adding a voice terminal"))
    problems = Problems()
    number = problems.check("phoneNumber", rules.phone_number, phone_number)
    sip = problems.check("sipUsername", rules.sip_username, sip_username) if sip_username else None
    problems.raise_any()
    plan = await plan_taking(session, plan_id, ServiceKind.VOICE_TERMINAL)
    await _unique(session, "phoneNumber", VoiceTerminal.phone_number, number)
    if sip is not None:
        await _unique(session, "sipUsername", VoiceTerminal.sip_username, sip)
    service = VoiceTerminal(
        plan_id=plan.id, status=ServiceStatus.ACTIVE, phone_number=number, sip_username=sip
    )
    return await _added(session, service, plan, "addVoiceTerminal", actor)


async def add_onu(
    session: AsyncSession,
    *,
    plan_id: int,
    serial: str,
    olt: str,
    pon_port: int,
    actor: Identity,
) -> ServiceResult:
    """Adds an optical network unit (serial, OLT, PON port); serials are unique."""
    require_plan_admin(actor, _("Adding an ONU"))
    problems = Problems()
    serial_value = problems.check("serial", rules.onu_serial, serial)
    olt_value = problems.check("olt", rules.text, olt, max_length=80)
    if not 0 <= pon_port <= MAX_PON_PORT:
        problems.add(
            "ponPort", _("must be between 0 and {max_pon_port}", max_pon_port=MAX_PON_PORT)
        )
    problems.raise_any()
    plan = await plan_taking(session, plan_id, ServiceKind.ONU)
    await _unique(session, "serial", Onu.serial, serial_value)
    service = Onu(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        serial=serial_value,
        olt=olt_value,
        pon_port=pon_port,
    )
    return await _added(session, service, plan, "addOnu", actor)


async def add_circuit(
    session: AsyncSession,
    *,
    plan_id: int,
    identifier: str,
    bandwidth_kbps: int,
    endpoint_a: str,
    endpoint_b: str,
    actor: Identity,
) -> ServiceResult:
    """Adds a dedicated link (circuito); identifiers are unique."""
    require_plan_admin(actor, _("Adding a circuit"))
    problems = Problems()
    ident = problems.check("identifier", rules.circuit_identifier, identifier)
    if not 1 <= bandwidth_kbps <= MAX_BANDWIDTH_KBPS:
        problems.add(
            "bandwidthKbps",
            _("must be between 1 and {max_bandwidth_kbps}", max_bandwidth_kbps=MAX_BANDWIDTH_KBPS),
        )
    a = problems.check("endpointA", rules.text, endpoint_a, max_length=200)
    b = problems.check("endpointB", rules.text, endpoint_b, max_length=200)
    problems.raise_any()
    plan = await plan_taking(session, plan_id, ServiceKind.CIRCUIT)
    await _unique(session, "identifier", Circuit.identifier, ident)
    service = Circuit(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        identifier=ident,
        bandwidth_kbps=bandwidth_kbps,
        endpoint_a=a,
        endpoint_b=b,
    )
    return await _added(session, service, plan, "addCircuit", actor)


async def add_antivirus(
    session: AsyncSession, *, plan_id: int, seats: int = 1, activate: bool = True, actor: Identity
) -> ServiceResult:
    """Adds an antivirus licence with a new key, active unless `activate` is false."""
    require_plan_admin(actor, _("Adding an antivirus licence"))
    if not 1 <= seats <= MAX_SEATS:
        raise ValidationFailed.one(
            "seats", _("must be between 1 and {max_seats}", max_seats=MAX_SEATS)
        )
    plan = await plan_taking(session, plan_id, ServiceKind.ANTIVIRUS)
    key = f"AV-{secrets.token_hex(8).upper()}"
    while await reads.value_taken(session, AntivirusLicense.license_key, key):
        key = f"AV-{secrets.token_hex(8).upper()}"  # pragma: no cover  (64 random bits)
    status = AntivirusStatus.ACTIVE if activate else AntivirusStatus.SUSPENDED
    service = AntivirusLicense(
        plan_id=plan.id,
        status=ServiceStatus[status.name],
        license_key=key,
        license_status=status,
        seats=seats,
    )
    return await _added(session, service, plan, "addAntivirus", actor)


async def set_antivirus_status(
    session: AsyncSession, *, service_id: int, status: AntivirusStatus, actor: Identity
) -> ServiceResult:
    """Activates or suspends a licence; the service's status follows the licence's."""
    require_plan_admin(actor, _("Changing an antivirus licence"))
    service = await service_to_change(
        session, service_id, ServiceKind.ANTIVIRUS, entity="AntivirusLicense"
    )
    assert isinstance(service, AntivirusLicense)
    if service.status in (ServiceStatus.CANCELLED, ServiceStatus.DISABLED):
        raise InvalidTransition("AntivirusLicense", service.status.name, status.name)
    if service.license_status is status:
        raise InvalidTransition("AntivirusLicense", status.name, status.name)
    before = snapshot(service)
    service.license_status = status
    service.status = ServiceStatus[status.name]
    await session.flush()
    action = "activateAntivirus" if status is AntivirusStatus.ACTIVE else "suspendAntivirus"
    await record(session, actor=actor, action=action, service=service, before=before)
    plan = await reads.plan(session, service.plan_id)
    assert plan is not None
    return ServiceResult(service, plan)


async def remove_service(
    session: AsyncSession,
    *,
    service_id: int,
    actor: Identity,
    only: ServiceKind | None = None,
    action: str = "removeService",
) -> RemovedServices:
    """Ends a service (status CANCELLED) and releases what it held; the row stays as history.

    Extra services are cancelled with `cancel_extra_service`, which also settles their
    installments. `only` restricts the kind (deleteAntivirus removes antivirus licences only).
    """
    require_plan_admin(actor, _("Removing a service"))
    if only is None:
        service = await service_to_change(session, service_id)
    else:
        entity = "AntivirusLicense" if only is ServiceKind.ANTIVIRUS else "Service"
        service = await service_to_change(session, service_id, only, entity=entity)
    if service.kind is ServiceKind.EXTRA_SERVICE:
        raise RuleViolation(
            USE_CANCEL_EXTRA_SERVICE,
            _(
                "An extra service is cancelled with cancelExtraService, which settles its "
                "installments."
            ),
        )
    require_not_ended(service, ServiceStatus.CANCELLED.name)
    before = snapshot(service)
    ended = await end_service(session, service, status=ServiceStatus.CANCELLED)
    await record(
        session,
        actor=actor,
        action=action,
        service=service,
        before=before,
        extra={"alsoEnded": [other.id for other in ended[1:]]} if len(ended) > 1 else None,
    )
    plan = await reads.plan(session, service.plan_id)
    assert plan is not None
    return RemovedServices(service, plan, ended)
