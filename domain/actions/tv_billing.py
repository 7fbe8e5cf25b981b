"""The TV billing run (Faturamento TV) and the regular run that turns its events into money.

`run_tv_billing` creates one PENDING billing event per plan and charged extra package for a due
date; running it again for the same date creates nothing twice (UNIQUE(subscription, due date)
backs the check). `run_billing` turns the date's pending events into receivables and marks them
PROCESSED (manual 002: "O Evento de Faturamento ficará como Pendente, aguardando o Faturamento
Padrão da empresa").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.errors import NotAllowed
from domain.identity import Identity, Permission
from domain.models import BillingEvent, Receivable
from domain.models.enums import (
    BillingEventKind,
    BillingEventStatus,
    ReceivableOrigin,
    ReceivableStatus,
)
from domain.reads import tv as reads


@dataclass(frozen=True)
class TvBillingRun:
    due_date: dt.date
    created: list[BillingEvent]
    already_billed: int


@dataclass(frozen=True)
class BillingRun:
    due_date: dt.date
    processed: list[BillingEvent]
    receivables: list[Receivable]


def require_billing(actor: Identity) -> None:
    if not actor.has(Permission.BILLING):
        raise NotAllowed(
            "Billing runs need the BILLING permission.", permission=Permission.BILLING.name
        )


async def run_tv_billing(
    session: AsyncSession, *, due_date: dt.date, actor: Identity
) -> TvBillingRun:
    """One PENDING event per plan due that day and each charged extra package it runs then."""
    require_billing(actor)
    candidates = await reads.billable_extra_packages(session, due_date)
    billed = await reads.billed_subscription_ids(
        session, due_date, [subscription.id for subscription, _, _ in candidates]
    )
    created: list[BillingEvent] = []
    for subscription, plan, _package in candidates:
        if subscription.id in billed:
            continue
        event = BillingEvent(
            plan_id=plan.id,
            tv_package_subscription_id=subscription.id,
            kind=BillingEventKind.TV_EXTRA_PACKAGE,
            due_date=due_date,
            amount=subscription.value,
            status=BillingEventStatus.PENDING,
        )
        session.add(event)
        created.append(event)
    await session.flush()
    for event in created:
        await audit.record(
            session,
            actor=actor,
            action="runTvBilling",
            target_type="BillingEvent",
            target_id=event.id,
            before=None,
            after={"due_date": due_date.isoformat(), "amount": str(event.amount)},
        )
    return TvBillingRun(due_date=due_date, created=created, already_billed=len(billed))


async def run_billing(session: AsyncSession, *, due_date: dt.date, actor: Identity) -> BillingRun:
    """Turns the date's PENDING billing events into open receivables; marks them PROCESSED."""
    require_billing(actor)
    pending = await reads.pending_billing_events(session, due_date)
    processed: list[BillingEvent] = []
    receivables: list[Receivable] = []
    for event, plan, package_name in pending:
        description = f"Pacote extra de TV {package_name or ''} {due_date:%m/%Y}".replace("  ", " ")
        receivable = Receivable(
            customer_id=plan.customer_id,
            plan_id=plan.id,
            origin=ReceivableOrigin.TV_EXTRA_PACKAGE,
            description=description[:200],
            amount=event.amount,
            due_date=event.due_date,
            status=ReceivableStatus.OPEN,
        )
        session.add(receivable)
        receivables.append(receivable)
        processed.append(event)
    await session.flush()
    for event, receivable in zip(processed, receivables, strict=True):
        event.status, event.receivable_id = BillingEventStatus.PROCESSED, receivable.id
        await audit.record(
            session,
            actor=actor,
            action="runBilling",
            target_type="BillingEvent",
            target_id=event.id,
            before={"status": BillingEventStatus.PENDING.name},
            after={"status": BillingEventStatus.PROCESSED.name, "receivable_id": receivable.id},
        )
    await session.flush()
    return BillingRun(due_date=due_date, processed=processed, receivables=receivables)
