"""Domains on a plan: hosting one, checking a name at the registry, registering it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions.service_common import (
    DOMAIN_NOT_AVAILABLE,
    ENDED,
    REGISTRY_NOT_CONFIGURED,
    REGISTRY_UNAVAILABLE,
    plan_taking,
    record,
    require_plan_admin,
    snapshot,
)
from domain.actions.services import ServiceResult
from domain.errors import RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity
from domain.models import HostedDomain
from domain.models.enums import ServiceKind, ServiceStatus
from domain.ports.registry import DomainRegistry, DomainTaken, RegistryUnavailable
from domain.reads import services as reads
from domain.rules import services as rules

MIN_YEARS, MAX_YEARS = 1, 10


@dataclass(frozen=True)
class Availability:
    """What the registry said about a name (Está disponível / Não está disponível)."""

    name: str
    available: bool


def _name(raw: str) -> str:
    try:
        return rules.domain_name(raw)
    except ValueError as error:
        raise ValidationFailed.one("name", str(error)) from None


def _registry(registry: DomainRegistry | None) -> DomainRegistry:
    if registry is None:
        raise RuleViolation(
            REGISTRY_NOT_CONFIGURED, _("No domain registry is configured (GATEWAY_REGISTRY_URL).")
        )
    return registry


async def domain_availability(
    registry: DomainRegistry | None, *, name: str, actor: Identity
) -> Availability:
    """Asks the registry whether `name` can be registered."""
    require_plan_admin(actor, _("Checking a domain"))
    value = _name(name)
    try:
        available = await _registry(registry).is_available(value)
    except RegistryUnavailable as error:
        raise RuleViolation(REGISTRY_UNAVAILABLE, str(error)) from None
    return Availability(value, available)


async def add_domain(
    session: AsyncSession, *, plan_id: int, name: str, actor: Identity
) -> ServiceResult:
    """Hosts a domain the customer already holds elsewhere (nothing is registered)."""
    require_plan_admin(actor, _("Adding a domain"))
    value = _name(name)
    plan = await plan_taking(session, plan_id, ServiceKind.DOMAIN)
    if await reads.value_taken(session, HostedDomain.name, value):
        raise ValidationFailed.one("name", _("{value} is already hosted", value=value))
    service = HostedDomain(
        plan_id=plan.id, status=ServiceStatus.ACTIVE, name=value, registered=False
    )
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action="addDomain", service=service, before=None)
    return ServiceResult(service, plan)


async def register_domain(
    session: AsyncSession,
    *,
    plan_id: int,
    name: str,
    years: int,
    registry: DomainRegistry | None,
    actor: Identity,
) -> ServiceResult:
    """Checks `name` at the registry, registers it for `years` and hosts it on the plan.

    A domain this plan already hosts unregistered is registered in place. The registry is
    called inside the transaction: if the transaction then fails, the name stays registered
    at the registry to the customer and a retry finds it unavailable (ADR 0052).
    """
    require_plan_admin(actor, _("Registering a domain"))
    value = _name(name)
    if not MIN_YEARS <= years <= MAX_YEARS:
        raise ValidationFailed.one(
            "years",
            _(
                "must be between {min_years} and {max_years}",
                min_years=MIN_YEARS,
                max_years=MAX_YEARS,
            ),
        )
    plan = await plan_taking(session, plan_id, ServiceKind.DOMAIN)
    hosted = [
        row
        for row in await reads.services_where(session, HostedDomain.name == value)
        if isinstance(row, HostedDomain)
    ]
    existing = hosted[0] if hosted else None
    if existing is not None and (
        existing.plan_id != plan.id or existing.status in ENDED or existing.registered
    ):
        reason = _("is already registered") if existing.registered else _("is hosted elsewhere")
        raise ValidationFailed.one("name", _("{value} {reason}", value=value, reason=reason))
    port = _registry(registry)
    try:
        if not await port.is_available(value):
            raise RuleViolation(DOMAIN_NOT_AVAILABLE, _("{value} is not available.", value=value))
        registration = await port.register(
            value, years=years, registrant=f"customer-{plan.customer_id}"
        )
    except DomainTaken:
        raise RuleViolation(
            DOMAIN_NOT_AVAILABLE, _("{value} is not available.", value=value)
        ) from None
    except RegistryUnavailable as error:
        raise RuleViolation(REGISTRY_UNAVAILABLE, str(error)) from None

    before = None
    if existing is None:
        service = HostedDomain(plan_id=plan.id, status=ServiceStatus.ACTIVE, name=value)
        session.add(service)
    else:
        service, before = existing, snapshot(existing)
    service.registered = True
    service.registration_years = registration.years
    service.expires_on = registration.expires_on
    await session.flush()
    await record(session, actor=actor, action="registerDomain", service=service, before=before)
    return ServiceResult(service, plan)
