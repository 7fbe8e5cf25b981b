"""The plans' monthly billing run (mensalidades) and the due-date changes it applies.

A confirmed due-date change (ADR 0040) waits for "the next receivable not yet generated"; this
run generates it: for a due date, the cycle receivable of every active plan due that day, at its
offer's monthly price, plus the change's surcharge or minus its discount when the change's new
due date is that day, which links the change to it (applied). Running it again for the same date
creates nothing twice, also when two runs overlap. The run for a due date belongs on that
cycle's generation date (the billing form's closing day, ADR 0040), before it falls due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.actions.plan_common import now
from domain.actions.tv_billing import check_due_date, require_billing
from domain.db import serialize
from domain.identity import Identity
from domain.models import DueDateChange, Receivable
from domain.models.enums import DueDateAdjustmentKind, ReceivableOrigin, ReceivableStatus
from domain.reads import plans as reads

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CycleBillingRun:
    due_date: dt.date
    receivables: list[Receivable]
    applied: list[DueDateChange]  # the due-date changes whose figures went on a receivable
    already_billed: int  # plans due that day whose cycle receivable existed (left as it was)


def cycle_amount(price: Decimal, change: DueDateChange | None) -> Decimal:
    """The cycle's amount: the monthly price, moved by a waiting due-date change's figures.

    A discount is at most the days between the generation date and the old due date, well under
    a month; should one ever reach the price, the receivable keeps one cent (a receivable always
    holds a positive amount) rather than the change never being applied.
    """
    if change is None:
        return price
    moved = change.amount if change.kind is DueDateAdjustmentKind.SURCHARGE else -change.amount
    return max(price + moved, CENT)


async def run_cycle_billing(
    session: AsyncSession, *, due_date: dt.date, actor: Identity
) -> CycleBillingRun:
    """One OPEN cycle receivable per active plan due on `due_date` that has none yet."""
    require_billing(actor)
    await check_due_date(session, due_date)
    # Two runs at once (a retried job, two operators) must not both bill the same plans: the
    # second waits for the first's commit, then finds its receivables.
    await serialize(session, "cycle billing")
    due = await reads.plans_due_on(session, due_date)
    plan_ids = [plan.id for plan, _ in due]
    billed = await reads.plans_with_cycle_on(session, due_date, plan_ids)
    waiting = await reads.due_date_changes_waiting_for(session, due_date, plan_ids)
    billed_at = now()
    created: list[tuple[Receivable, DueDateChange | None]] = []
    for plan, price in due:
        if plan.id in billed or price <= 0:
            continue  # billed already, or a free plan, which owes nothing (nor its changes)
        change = waiting.get(plan.id)
        receivable = Receivable(
            customer_id=plan.customer_id,
            plan_id=plan.id,
            origin=ReceivableOrigin.PLAN_CYCLE,
            description=f"Mensalidade {due_date:%m/%Y}",
            amount=cycle_amount(price, change),
            due_date=due_date,
            status=ReceivableStatus.OPEN,
            billed_at=billed_at,
        )
        session.add(receivable)
        created.append((receivable, change))
    await session.flush()
    for receivable, change in created:
        if change is not None:
            change.receivable_id = receivable.id
        await audit.record(
            session,
            actor=actor,
            action="runCycleBilling",
            target_type="Receivable",
            target_id=receivable.id,
            before=None,
            after={
                "plan_id": receivable.plan_id,
                "due_date": due_date.isoformat(),
                "amount": str(receivable.amount),
                "due_date_change_id": change.id if change is not None else None,
            },
        )
    await session.flush()
    return CycleBillingRun(
        due_date=due_date,
        receivables=[receivable for receivable, _ in created],
        applied=[change for _, change in created if change is not None],
        already_billed=len(billed),
    )
