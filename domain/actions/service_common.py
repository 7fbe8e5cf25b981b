"""What every service action shares: who may act, which plans take a kind, how a service ends,
and the audit snapshot of a service (never its password hash)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.errors import (
    FieldProblem,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models import AntivirusLicense, EmailAlias, IpAssignment, Plan, Service
from domain.models.base import utcnow
from domain.models.enums import AntivirusStatus, PlanStatus, ServiceKind, ServiceStatus
from domain.reads import services as reads

# RuleViolation.rule codes of the service actions.
PLAN_CANCELLED = "PLAN_CANCELLED"
KIND_NOT_ALLOWED = "SERVICE_KIND_NOT_ALLOWED_BY_OFFER"
AUTO_LOGIN_PATTERN = "RADIUS_LOGIN_PATTERN_INVALID"
SERVICE_ENDED = "SERVICE_ENDED"
NO_IP_POOL = "OFFER_HAS_NO_IP_POOL"
POOL_EXHAUSTED = "IP_POOL_EXHAUSTED"
DOMAIN_NOT_AVAILABLE = "DOMAIN_NOT_AVAILABLE"
REGISTRY_UNAVAILABLE = "DOMAIN_REGISTRY_UNAVAILABLE"
REGISTRY_NOT_CONFIGURED = "DOMAIN_REGISTRY_NOT_CONFIGURED"
DEFINITION_INACTIVE = "EXTRA_SERVICE_DEFINITION_INACTIVE"
USE_CANCEL_EXTRA_SERVICE = "USE_CANCEL_EXTRA_SERVICE"
NO_PASSWORD = "SERVICE_HAS_NO_PASSWORD"

ENDED = (ServiceStatus.CANCELLED, ServiceStatus.DISABLED)

T = TypeVar("T")


def require_plan_admin(actor: Identity, doing: str) -> None:
    """Services are staff work: the PLAN_ADMIN permission."""
    if not actor.has(Permission.PLAN_ADMIN):
        raise NotAllowed(
            _("{doing} needs the PLAN_ADMIN permission.", doing=doing),
            permission=Permission.PLAN_ADMIN.name,
        )


class Problems:
    """Collects every invalid field of one input, so the caller hears of all of them at once."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def check(self, path: str, validate: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`validate(*args)`'s result, or None after recording its ValueError under `path`."""
        try:
            return validate(*args, **kwargs)
        except ValueError as error:
            self.add(path, str(error))
            return None

    def add(self, path: str, message: str) -> None:
        self.items.append(FieldProblem(tuple(path.split(".")), message))

    def raise_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


async def plan_taking(session: AsyncSession, plan_id: int, kind: ServiceKind) -> Plan:
    """The plan a new service of `kind` goes on, if it may: not cancelled, kind allowed."""
    plan = await reads.plan_for_new_service(session, plan_id)
    if plan is None:
        raise NotFound("Plan", plan_id)
    if plan.status is PlanStatus.CANCELLED:
        raise RuleViolation(
            PLAN_CANCELLED, _("Plan {plan_id} is cancelled: it takes no services.", plan_id=plan_id)
        )
    if not await reads.offer_allows(session, plan.offer_id, kind):
        raise RuleViolation(
            KIND_NOT_ALLOWED,
            _(
                "The offer of plan {plan_id} does not allow {kind_name} services.",
                plan_id=plan_id,
                kind_name=kind.name,
            ),
        )
    return plan


async def service_to_change(
    session: AsyncSession, service_id: int, *kinds: ServiceKind, entity: str = "Service"
) -> Service:
    """A service of one of `kinds`, locked for the change; NotFound if it is another kind."""
    service = await reads.service_for_change(session, service_id)
    if service is None or (kinds and service.kind not in kinds):
        raise NotFound(entity, service_id)
    return service


def require_not_ended(service: Service, to_state: str) -> None:
    if service.status in ENDED or service.ended_at is not None:
        raise InvalidTransition("Service", service.status.name, to_state)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


SECRET_COLUMNS = frozenset({"password_hash"})


def snapshot(service: Service) -> dict[str, Any]:
    """The service's columns for the audit log, secrets left out."""
    return {
        attribute.key: _plain(getattr(service, attribute.key))
        for attribute in service.__mapper__.column_attrs
        if attribute.key not in SECRET_COLUMNS
    }


async def record(
    session: AsyncSession,
    *,
    actor: Identity,
    action: str,
    service: Service,
    before: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    after = snapshot(service)
    if extra:
        after.update(extra)
    await audit.record(
        session,
        actor=actor,
        action=action,
        target_type="Service",
        target_id=service.id,
        before=before,
        after=after,
    )


async def end_service(
    session: AsyncSession, service: Service, *, status: ServiceStatus, at: dt.datetime | None = None
) -> list[Service]:
    """Ends `service` with `status` and releases what it held; returns every service it ended.

    An IP goes back to its pool (and logins of the plan that used it as their fixed IP lose
    it); a mailbox takes its aliases with it.
    """
    now = at or utcnow()
    ended: list[Service] = [service]
    service.status, service.ended_at = status, now
    if isinstance(service, IpAssignment):
        service.released_at = now
        for radius_login in await reads.plan_logins_with_fixed_ip(
            session, service.plan_id, service.address
        ):
            radius_login.fixed_ip = None
    if isinstance(service, AntivirusLicense):
        service.license_status = AntivirusStatus.DELETED  # it protects nothing any more
    if service.kind is ServiceKind.EMAIL:
        for alias in await reads.services_where(session, EmailAlias.email_id == service.id):
            if alias.status not in ENDED:
                alias.status, alias.ended_at = status, now
                ended.append(alias)
    await session.flush()
    return ended
