"""Root fields of the billing runs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from domain.actions.cycle_billing import CycleBillingRun, run_cycle_billing
from domain.actions.tv_billing import (
    BillingRun,
    TvBillingPreview,
    TvBillingRun,
    preview_tv_billing,
    run_billing,
    run_tv_billing,
)
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
    TvBillingPreviewLine,
    TvBillingPreviewResult,
)
from gateway.schema.billing_events import TvBillingPreview as TvBillingPreviewType
from gateway.schema.plan_lifecycle import DueDateChangeType
from gateway.schema.plans import PlanType
from gateway.schema.tv import TvPackageSubscriptionType


@strawberry.type
class BillingRunQuery:
    # A computed answer with errors as data: the compiled path runs this resolver and builds
    # its answer (a resolver root, ADR 0006).
    @strawberry.field(
        description="Faturamento TV, Carregar: the events `runTvBilling` would create for the "
        "due date now (plan, package, value), writing nothing. Needs the BILLING permission."
    )
    async def tv_billing_preview(
        self,
        info: Info,
        due_date: Annotated[
            dt.date,
            strawberry.argument(
                description="The due date (vencimento); not after the billing horizon "
                "(system variable billing_horizon_days, 60 when unset) from today."
            ),
        ],
    ) -> TvBillingPreviewResult:
        result = await perform(
            info,
            lambda session: preview_tv_billing(
                session, due_date=due_date, actor=info.context.identity
            ),
        )
        if not isinstance(result, TvBillingPreview):
            return result  # type: ignore[return-value]
        return TvBillingPreviewType(
            due_date=result.due_date,
            lines=[
                TvBillingPreviewLine(
                    plan=PlanType.from_model(line.plan),
                    tv_package=TvPackageSubscriptionType.from_model(line.subscription),
                    amount=line.amount,
                )
                for line in result.lines
            ],
            total=result.total,
            already_billed=result.already_billed,
        )


@strawberry.type
class BillingRunMutations:
    @strawberry.mutation(
        description="Faturamento TV: one PENDING billing event per plan due that day and "
        "charged extra package (the Faturamento TV screen's Salvar). Running it again for the "
        "same date creates nothing twice. Needs the BILLING permission."
    )
    async def run_tv_billing(
        self,
        info: Info,
        input: Annotated[
            RunTvBillingInput, strawberry.argument(description="The due date to bill.")
        ],
    ) -> RunTvBillingResult:
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
        "PENDING events into open receivables and marks them PROCESSED. Needs the BILLING "
        "permission."
    )
    async def run_billing(
        self,
        info: Info,
        input: Annotated[RunBillingInput, strawberry.argument(description="The due date to bill.")],
    ) -> RunBillingResult:
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
        "date creates nothing twice. Needs the BILLING permission."
    )
    async def run_cycle_billing(
        self,
        info: Info,
        input: Annotated[RunBillingInput, strawberry.argument(description="The due date to bill.")],
    ) -> RunCycleBillingResult:
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
