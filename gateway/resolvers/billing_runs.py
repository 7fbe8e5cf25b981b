"""Root fields of the billing runs."""

from __future__ import annotations

import strawberry

from domain.actions.cycle_billing import CycleBillingRun, run_cycle_billing
from domain.actions.tv_billing import BillingRun, TvBillingRun, run_billing, run_tv_billing
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.billing import ReceivableType
from gateway.schema.billing_events import (
    BillingEventType,
    RunBillingInput,
    RunBillingResult,
    RunBillingSuccess,
    RunCycleBillingResult,
    RunCycleBillingSuccess,
    RunTvBillingInput,
    RunTvBillingResult,
    RunTvBillingSuccess,
)
from gateway.schema.plan_lifecycle import DueDateChangeType


@strawberry.type
class BillingRunMutations:
    @strawberry.mutation(
        description="Faturamento TV: one PENDING billing event per plan due that day and "
        "charged extra package. Running it again for the same date creates nothing twice."
    )
    async def run_tv_billing(self, info: Info, input: RunTvBillingInput) -> RunTvBillingResult:
        result = await perform(
            info,
            lambda session: run_tv_billing(
                session, due_date=input.due_date, actor=info.context.identity
            ),
        )
        if isinstance(result, TvBillingRun):
            return RunTvBillingSuccess(
                due_date=result.due_date,
                created=BillingEventType.from_models(result.created),
                already_billed=result.already_billed,
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="The regular billing run, for billing events: turns the due date's "
        "PENDING events into open receivables and marks them PROCESSED."
    )
    async def run_billing(self, info: Info, input: RunBillingInput) -> RunBillingResult:
        result = await perform(
            info,
            lambda session: run_billing(
                session, due_date=input.due_date, actor=info.context.identity
            ),
        )
        if isinstance(result, BillingRun):
            return RunBillingSuccess(
                due_date=result.due_date,
                processed=BillingEventType.from_models(result.processed),
                receivables=ReceivableType.from_models(result.receivables),
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="The plans' monthly billing run (mensalidades): one OPEN cycle receivable "
        "per active plan due that day, at its offer's price, moved by the figures of a "
        "confirmed due-date change whose new due date it is. Running it again for the same "
        "date creates nothing twice."
    )
    async def run_cycle_billing(self, info: Info, input: RunBillingInput) -> RunCycleBillingResult:
        result = await perform(
            info,
            lambda session: run_cycle_billing(
                session, due_date=input.due_date, actor=info.context.identity
            ),
        )
        if isinstance(result, CycleBillingRun):
            return RunCycleBillingSuccess(
                due_date=result.due_date,
                receivables=ReceivableType.from_models(result.receivables),
                applied_due_date_changes=DueDateChangeType.from_models(result.applied),
                already_billed=result.already_billed,
            )
        return result  # type: ignore[return-value]
