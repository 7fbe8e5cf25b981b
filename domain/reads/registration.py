"""Reads of the customer registration (Cadastro de Cliente): who holds a document, what still
uses a contact or an address, what keeps a customer from being anonymized, and the rows of the
LGPD data export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.i18n import Message, _
from domain.models.enums import (
    AppointmentStatus,
    PlanStatus,
    ReceivableStatus,
    ServiceKind,
    ServiceStatus,
    TicketStatus,
)


async def document_holder(session: AsyncSession, document: str) -> int | None:
    """The id of the customer registered with `document` (normalised), if any."""
    return await session.scalar(select(m.Customer.id).where(m.Customer.document == document))


async def customer_for_update(session: AsyncSession, customer_id: int) -> m.Customer | None:
    """The customer as stored now (its version is what an update checks)."""
    statement = (
        select(m.Customer)
        .where(m.Customer.id == customer_id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).first()


async def emails_of(session: AsyncSession, customer_id: int) -> list[m.CustomerEmail]:
    statement = (
        select(m.CustomerEmail)
        .where(m.CustomerEmail.customer_id == customer_id)
        .order_by(m.CustomerEmail.position, m.CustomerEmail.id)
    )
    return list(await session.scalars(statement))


async def phones_of(session: AsyncSession, customer_id: int) -> list[m.CustomerPhone]:
    statement = (
        select(m.CustomerPhone)
        .where(m.CustomerPhone.customer_id == customer_id)
        .order_by(m.CustomerPhone.position, m.CustomerPhone.id)
    )
    return list(await session.scalars(statement))


async def contact_followers(session: AsyncSession, contact_id: int) -> list[Message]:
    """What the contact still follows: 'installation N' for a scheduled installation and
    'extra service N' for an extra service not ended; empty when nothing."""
    appointments = await session.scalars(
        select(m.InstallationAppointment.id).where(
            m.InstallationAppointment.contact_id == contact_id,
            m.InstallationAppointment.status == AppointmentStatus.SCHEDULED,
        )
    )
    extras = await session.scalars(
        select(m.ExtraService.id).where(
            m.ExtraService.contact_id == contact_id,
            m.ExtraService.status.in_((ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)),
        )
    )
    return [_("installation {i}", i=i) for i in appointments] + [
        _("extra service {i}", i=i) for i in extras
    ]


async def plans_using_address(session: AsyncSession, address_id: int) -> list[int]:
    """Plans that use the address now or used it (their address history), by id."""
    now = select(m.Plan.id).where(
        or_(m.Plan.installation_address_id == address_id, m.Plan.billing_address_id == address_id)
    )
    history = select(m.PlanAddressHistory.plan_id).where(
        m.PlanAddressHistory.address_id == address_id
    )
    return sorted(set(await session.scalars(now)) | set(await session.scalars(history)))


async def anonymization_blockers(session: AsyncSession, customer_id: int) -> list[Message]:
    """Why the customer is not a former customer yet: live plans, open receivables, open
    tickets; empty when it may be anonymized."""
    blockers = []
    live = await session.scalar(
        select(func.count())
        .select_from(m.Plan)
        .where(m.Plan.customer_id == customer_id, m.Plan.status != PlanStatus.CANCELLED)
    )
    if live:
        blockers.append(_("{live} plan(s) not cancelled", live=live))
    open_receivables = await session.scalar(
        select(func.count())
        .select_from(m.Receivable)
        .where(
            m.Receivable.customer_id == customer_id,
            m.Receivable.status == ReceivableStatus.OPEN,
        )
    )
    if open_receivables:
        blockers.append(
            _("{open_receivables} open receivable(s)", open_receivables=open_receivables)
        )
    open_tickets = await session.scalar(
        select(func.count())
        .select_from(m.Ticket)
        .where(m.Ticket.customer_id == customer_id, m.Ticket.status != TicketStatus.CLOSED)
    )
    if open_tickets:
        blockers.append(_("{open_tickets} open ticket(s)", open_tickets=open_tickets))
    return blockers


async def rows_of(session: AsyncSession, model: Any, column: Any, keys: Sequence[Any]) -> list[Any]:
    """Rows of `model` whose `column` is in `keys`, by primary key (the export's tables)."""
    if not keys:
        return []
    pk = model.__mapper__.primary_key[0]
    return list(await session.scalars(select(model).where(column.in_(list(keys))).order_by(pk)))


async def services_of_plans(session: AsyncSession, plan_ids: Sequence[int]) -> list[m.Service]:
    """Every service of the plans, each of its kind's class (polymorphic load)."""
    if not plan_ids:
        return []
    from sqlalchemy.orm import with_polymorphic

    every = with_polymorphic(m.Service, "*")
    statement = select(every).where(every.plan_id.in_(list(plan_ids))).order_by(every.id)
    return list(await session.scalars(statement))


async def radius_logins_of(session: AsyncSession, plan_ids: Sequence[int]) -> list[str]:
    if not plan_ids:
        return []
    statement = select(m.RadiusLogin.login).where(m.RadiusLogin.plan_id.in_(list(plan_ids)))
    return list(await session.scalars(statement))


async def voice_terminal_ids(session: AsyncSession, plan_ids: Sequence[int]) -> list[int]:
    if not plan_ids:
        return []
    statement = select(m.Service.id).where(
        m.Service.plan_id.in_(list(plan_ids)), m.Service.kind == ServiceKind.VOICE_TERMINAL
    )
    return list(await session.scalars(statement))


async def customer_audit_rows(session: AsyncSession, customer_id: int) -> list[m.AuditLog]:
    """The audit rows of the customer's registration (target Customer)."""
    statement = select(m.AuditLog).where(
        m.AuditLog.target_type == "Customer", m.AuditLog.target_id == customer_id
    )
    return list(await session.scalars(statement))
