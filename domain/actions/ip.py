"""Fixed IP addresses: allocated from the plan offer's pool, never held by two services at once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions.service_common import (
    NO_IP_POOL,
    POOL_EXHAUSTED,
    plan_taking,
    record,
    require_plan_admin,
)
from domain.actions.services import ServiceResult
from domain.errors import RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity
from domain.models import IpAssignment
from domain.models.enums import ServiceKind, ServiceStatus
from domain.reads import services as reads
from domain.rules import services as rules


async def add_ip_address(
    session: AsyncSession, *, plan_id: int, address: str | None = None, actor: Identity
) -> ServiceResult:
    """Gives the plan the pool's lowest free host address, or `address` if it is free.

    On PostgreSQL the pool row is locked (SELECT ... FOR UPDATE) until the transaction ends, so
    concurrent allocations from one pool queue up and each sees the addresses the ones before
    it took (ADR 0051); the partial unique index on held addresses backs this on any database.
    """
    require_plan_admin(actor, _("Adding an IP address"))
    plan = await plan_taking(session, plan_id, ServiceKind.IP)
    offer = await reads.offer(session, plan.offer_id)
    if offer is None or offer.ip_pool_id is None:
        raise RuleViolation(
            NO_IP_POOL, _("The offer of plan {plan_id} has no IP pool.", plan_id=plan_id)
        )
    pool = await reads.pool_for_allocation(session, offer.ip_pool_id)
    assert pool is not None  # the offer's foreign key keeps its pool
    if address is not None:
        try:
            chosen = rules.pool_address(address, pool.network, pool.gateway)
        except ValueError as error:
            raise ValidationFailed.one("address", str(error)) from None
        if await reads.address_held(session, chosen):
            raise ValidationFailed.one("address", _("{chosen} is already held", chosen=chosen))
    else:
        held = await reads.held_addresses(session, pool.id)
        free = rules.next_free_address(pool.network, pool.gateway, held)
        if free is None:
            raise RuleViolation(
                POOL_EXHAUSTED,
                _(
                    "The IP pool {pool_name} ({network}) has no free address.",
                    pool_name=pool.name,
                    network=pool.network,
                ),
            )
        chosen = free
    service = IpAssignment(
        plan_id=plan.id, status=ServiceStatus.ACTIVE, pool_id=pool.id, address=chosen
    )
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action="addIpAddress", service=service, before=None)
    return ServiceResult(service, plan)
