"""The TV billing run (Faturamento TV) and the regular run that turns its events into money.

`run_tv_billing` creates one PENDING billing event per plan and charged extra package for a due
date; running it again for the same date creates nothing twice (UNIQUE(subscription, due date)
backs the check), and `preview_tv_billing` lists what it would create, writing nothing.
`run_billing` turns the date's pending events into receivables and marks them PROCESSED (manual
002: "O Evento de Faturamento ficará como Pendente, aguardando o Faturamento Padrão da
empresa").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.db import serialize
from domain.errors import NotAllowed, RuleViolation
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models import BillingEvent, Plan, Receivable, TvPackage, TvPackageSubscription
from domain.models.base import utcnow
from domain.models.enums import (
    BillingEventKind,
    BillingEventStatus,
    ReceivableOrigin,
    ReceivableStatus,
)
from domain.reads import plans as plan_reads
from domain.reads import tv as reads
from domain.rules import dates


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
            _("Billing runs need the BILLING permission."), permission=Permission.BILLING.name
        )


BILLING_HORIZON = "billing_horizon_days"
DEFAULT_HORIZON_DAYS = 60


async def check_due_date(session: AsyncSession, due_date: dt.date) -> None:
    """Refuses a billing run (or its preview) for a due date past the billing horizon: the
    system variable `billing_horizon_days` (60 when unset) from today (ADR 0103). A run for a
    far date would bill months nobody has used yet."""
    raw = await plan_reads.system_variable(session, BILLING_HORIZON)
    try:
        days = DEFAULT_HORIZON_DAYS if raw is None else int(raw)
    except ValueError:
        days = 0
    if days <= 0:
        raise RuleViolation(
            "SYSTEM_SETTING",
            _(
                "The system variable {billing_horizon} must be a number of days; it is {raw!r}.",
                billing_horizon=BILLING_HORIZON,
                raw=raw,
            ),
        )
    dates.check_date(
        due_date,
        path="dueDate",
        latest=utcnow().date() + dt.timedelta(days=days),
        latest_is=_("the billing horizon of {days} days", days=days),
    )


@dataclass(frozen=True)
class TvBillingLine:
    """One event a TV billing run would create: a plan's charged extra package, its value."""

    plan: Plan
    subscription: TvPackageSubscription
    package: TvPackage

    @property
    def amount(self) -> Decimal:
        return self.subscription.value


@dataclass(frozen=True)
class TvBillingPreview:
    """What a TV billing run for `due_date` would create now, and what it would leave alone."""

    due_date: dt.date
    lines: list[TvBillingLine]
    already_billed: int

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


async def _to_bill(session: AsyncSession, due_date: dt.date) -> TvBillingPreview:
    candidates = await reads.billable_extra_packages(session, due_date)
    billed = await reads.billed_subscription_ids(
        session, due_date, [subscription.id for subscription, __, __ in candidates]
    )
    lines = [
        TvBillingLine(plan=plan, subscription=subscription, package=package)
        for subscription, plan, package in candidates
        if subscription.id not in billed
    ]
    return TvBillingPreview(due_date=due_date, lines=lines, already_billed=len(billed))


async def preview_tv_billing(
    session: AsyncSession, *, due_date: dt.date, actor: Identity
) -> TvBillingPreview:
    """The listing of Faturamento TV before Salvar (manual 002: "inserir o Vencimento e
    Carregar"): exactly what `run_tv_billing` would create for the date now. Writes nothing."""
    require_billing(actor)
    await check_due_date(session, due_date)
    return await _to_bill(session, due_date)


async def run_tv_billing(
    session: AsyncSession, *, due_date: dt.date, actor: Identity
) -> TvBillingRun:
    """One PENDING event per plan due that day and each charged extra package it runs then."""
    require_billing(actor)
    await check_due_date(session, due_date)
    # Two runs at once (a retried job, two operators) both succeed: the second waits for the
    # first's commit, then finds its events already billed.
    await serialize(session, "tv billing")
    preview = await _to_bill(session, due_date)
    created = [
        BillingEvent(
            plan_id=line.plan.id,
            tv_package_subscription_id=line.subscription.id,
            kind=BillingEventKind.TV_EXTRA_PACKAGE,
            due_date=due_date,
            amount=line.amount,
            status=BillingEventStatus.PENDING,
        )
        for line in preview.lines
    ]
    session.add_all(created)
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
    return TvBillingRun(due_date=due_date, created=created, already_billed=preview.already_billed)


async def run_billing(session: AsyncSession, *, due_date: dt.date, actor: Identity) -> BillingRun:
    """Turns the date's PENDING billing events into open receivables; marks them PROCESSED."""
    require_billing(actor)
    await check_due_date(session, due_date)
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
