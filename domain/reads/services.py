"""Reads behind the service actions: plans to add to, what is taken, what a service holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, with_polymorphic

from domain.models import (
    Contact,
    Customer,
    EmailAccount,
    EmailAlias,
    ExtraService,
    ExtraServiceDefinition,
    HostedDomain,
    IpAssignment,
    IpPool,
    Plan,
    PlanOffer,
    PlanOfferServiceKind,
    RadiusLogin,
    Receivable,
    Service,
    SystemVariable,
)
from domain.models.enums import ServiceKind, ServiceStatus

_ANY_SERVICE = with_polymorphic(Service, "*")


async def plan_for_new_service(session: AsyncSession, plan_id: int) -> Plan | None:
    """The plan, read again and share-locked on PostgreSQL until the transaction ends.

    The lock makes a concurrent cancellation of the plan wait for this transaction (or this
    one see the plan cancelled), so no service is added to a plan being cancelled.
    """
    statement = (
        select(Plan)
        .where(Plan.id == plan_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(statement)


async def plan(session: AsyncSession, plan_id: int) -> Plan | None:
    return await session.get(Plan, plan_id)


async def offer(session: AsyncSession, offer_id: int) -> PlanOffer | None:
    return await session.get(PlanOffer, offer_id)


async def offer_allows(session: AsyncSession, offer_id: int, kind: ServiceKind) -> bool:
    statement = select(
        exists().where(PlanOfferServiceKind.offer_id == offer_id, PlanOfferServiceKind.kind == kind)
    )
    return bool(await session.scalar(statement))


async def system_variables(session: AsyncSession, keys: Sequence[str]) -> dict[str, str]:
    rows = await session.execute(
        select(SystemVariable.key, SystemVariable.value).where(SystemVariable.key.in_(list(keys)))
    )
    return {key: value for key, value in rows}


async def customer(session: AsyncSession, customer_id: int) -> Customer | None:
    return await session.get(Customer, customer_id)


async def contact(session: AsyncSession, contact_id: int) -> Contact | None:
    return await session.get(Contact, contact_id)


async def extra_service_definition(
    session: AsyncSession, definition_id: int
) -> ExtraServiceDefinition | None:
    return await session.get(ExtraServiceDefinition, definition_id)


async def value_taken(
    session: AsyncSession, column: InstrumentedAttribute[Any], value: Any
) -> bool:
    """Whether any row (ended services included) already has `value` in a unique `column`."""
    return bool(await session.scalar(select(exists().where(column == value))))


async def email_address_taken(session: AsyncSession, login: str, domain: str) -> bool:
    """Whether login@domain is a mailbox or an alias already (the two share one address space)."""
    mailbox = exists().where(EmailAccount.login == login, EmailAccount.domain == domain)
    return bool(await session.scalar(select(mailbox | _alias(login, domain))))


async def email_alias_taken(session: AsyncSession, login: str, domain: str) -> bool:
    """Whether login@domain is an alias already."""
    return bool(await session.scalar(select(_alias(login, domain))))


def _alias(login: str, domain: str) -> Any:
    return exists().where(EmailAlias.login == login, EmailAlias.domain == domain)


async def customer_hosted_domains(session: AsyncSession, customer_id: int) -> set[str]:
    """Names of the domains hosted on the customer's plans that have not ended."""
    statement = select(HostedDomain.name).where(
        HostedDomain.plan_id.in_(select(Plan.id).where(Plan.customer_id == customer_id)),
        HostedDomain.status.in_([ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED]),
    )
    return set(await session.scalars(statement))


async def radius_logins_like(session: AsyncSession, base: str) -> set[str]:
    """Logins equal to `base` or starting with `base-`: those a generated login may clash with."""
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = select(RadiusLogin.login).where(
        (RadiusLogin.login == base) | RadiusLogin.login.like(f"{escaped}-%", escape="\\")
    )
    return set(await session.scalars(statement))


async def service_for_change(session: AsyncSession, service_id: int) -> Service | None:
    """A service as its kind's class, row-locked on PostgreSQL for the rest of the transaction."""
    statement = (
        select(_ANY_SERVICE)
        .where(_ANY_SERVICE.id == service_id)
        .with_for_update(of=Service.__table__)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(statement)


async def services_where(session: AsyncSession, *criteria: ColumnElement[bool]) -> list[Any]:
    """Services of one kind matching `criteria` (e.g. the aliases of a mailbox), by id."""
    statement = select(_ANY_SERVICE).where(*criteria).order_by(_ANY_SERVICE.id)
    return list(await session.scalars(statement))


async def pool_for_allocation(session: AsyncSession, pool_id: int) -> IpPool | None:
    """The pool, row-locked on PostgreSQL: allocations from one pool happen one at a time.

    SQLite has a single writer, so there the lock is not needed (and FOR UPDATE is not
    rendered); on both, the partial unique index on held addresses is the last word.
    """
    statement = (
        select(IpPool)
        .where(IpPool.id == pool_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(statement)


async def held_addresses(session: AsyncSession, pool_id: int) -> list[str]:
    statement = select(IpAssignment.address).where(
        IpAssignment.pool_id == pool_id, IpAssignment.released_at.is_(None)
    )
    return list(await session.scalars(statement))


async def address_held(session: AsyncSession, address: str) -> bool:
    statement = select(
        exists().where(IpAssignment.address == address, IpAssignment.released_at.is_(None))
    )
    return bool(await session.scalar(statement))


async def plan_logins_with_fixed_ip(
    session: AsyncSession, plan_id: int, address: str
) -> list[RadiusLogin]:
    statement = select(RadiusLogin).where(
        RadiusLogin.plan_id == plan_id, RadiusLogin.fixed_ip == address
    )
    return list(await session.scalars(statement))


async def plan_holds_address(session: AsyncSession, plan_id: int, address: str) -> bool:
    held = select(IpAssignment.id).where(
        IpAssignment.plan_id == plan_id,
        IpAssignment.address == address,
        IpAssignment.released_at.is_(None),
    )
    return bool(await session.scalar(select(held.exists())))


async def extra_service_receivables(
    session: AsyncSession, extra_service_id: int
) -> list[Receivable]:
    statement = (
        select(Receivable)
        .where(Receivable.extra_service_id == extra_service_id)
        .order_by(Receivable.installment_number, Receivable.id)
    )
    return list(await session.scalars(statement))


async def recent_extra_service(
    session: AsyncSession,
    *,
    plan_id: int,
    definition_id: int,
    value: Decimal,
    installments: int,
    first_due_date: dt.date,
    complement: str | None,
    since: dt.datetime,
) -> ExtraService | None:
    """The first active extra service of the plan added at or after `since` with these terms."""
    e = ExtraService
    statement = (
        select(e)
        .where(
            e.plan_id == plan_id,
            e.definition_id == definition_id,
            e.value == value,
            e.installments == installments,
            e.first_due_date == first_due_date,
            e.complement.is_(None) if complement is None else e.complement == complement,
            e.status == ServiceStatus.ACTIVE,
            e.created_at >= since,
        )
        .order_by(e.id)
        .limit(1)
    )
    return (await session.scalars(statement)).first()
