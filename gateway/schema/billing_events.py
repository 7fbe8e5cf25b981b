"""Billing events (evento de faturamento), the TV billing run and the regular billing run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from gateway.loaders import container as loaders
from gateway.schema.base import BillingEventKind, BillingEventStatus, FromModel, Info
from gateway.schema.billing import ReceivableType
from gateway.schema.errors import AnyUserError
from gateway.schema.plan_lifecycle import DueDateChangeType
from gateway.schema.relations import Relation
from gateway.schema.tv import TvPackageSubscriptionType

if TYPE_CHECKING:
    from gateway.schema.plans import PlanType


@strawberry.type(
    name="BillingEvent",
    description="A charge waiting for the regular billing run (PENDING), or turned into a "
    "receivable by it (PROCESSED).",
)
class BillingEventType(FromModel):
    graphql_name = "BillingEvent"
    model = m.BillingEvent
    columns = {"database_id": "id"}  # not a Node: the planner reads it as a plain column
    database_id: int
    kind: BillingEventKind
    due_date: dt.date
    amount: Decimal
    status: BillingEventStatus
    created_at: dt.datetime
    plan_id: strawberry.Private[int]
    tv_package_subscription_id: strawberry.Private[int | None]
    receivable_id: strawberry.Private[int | None]

    @strawberry.field
    async def plan(
        self, info: Info
    ) -> Annotated[PlanType, strawberry.lazy("gateway.schema.plans")]:
        return await EVENT_PLAN.resolve(self, info)

    @strawberry.field(description="The extra TV package charged, for TV events.")
    async def tv_package(self, info: Info) -> TvPackageSubscriptionType | None:
        return await EVENT_TV_PACKAGE.resolve(self, info)

    @strawberry.field(description="The receivable the billing run made of it, once PROCESSED.")
    async def receivable(self, info: Info) -> ReceivableType | None:
        return await EVENT_RECEIVABLE.resolve(self, info)


EVENT_PLAN = Relation("BillingEvent", "plan", loaders.PlanByIdLoader, "plan_id", "Plan", False)
EVENT_TV_PACKAGE = Relation(
    "BillingEvent", "tvPackage", loaders.TvPackageSubscriptionByIdLoader,
    "tv_package_subscription_id", "TvPackageSubscription", many=False,
)  # fmt: skip
EVENT_RECEIVABLE = Relation(
    "BillingEvent", "receivable", loaders.ReceivableByIdLoader, "receivable_id", "Receivable",
    many=False,
)  # fmt: skip


@strawberry.input(description="The due date (vencimento) to bill.")
class RunTvBillingInput:
    due_date: dt.date


@strawberry.type(description="What the TV billing run created for the due date.")
class RunTvBillingSuccess:
    due_date: dt.date
    created: list[BillingEventType] = strawberry.field(
        description="One PENDING event per plan and charged extra package, new in this run."
    )
    already_billed: int = strawberry.field(
        description="Packages that already had an event for this due date (left as they were)."
    )


@strawberry.type(
    description="One billing event the TV billing run would create: a plan's charged extra "
    "package for the due date."
)
class TvBillingPreviewLine:
    plan: Annotated[PlanType, strawberry.lazy("gateway.schema.plans")] = strawberry.field(
        description="The plan billed (its customer is `plan.customer`)."
    )
    tv_package: TvPackageSubscriptionType = strawberry.field(
        description="The extra package on the plan that the event charges."
    )
    amount: Decimal = strawberry.field(description="The event's value: the package's on the plan.")


@strawberry.type(
    description="Faturamento TV before Salvar: what `runTvBilling` for the due date would "
    "create now. Nothing is written; the run creates exactly these lines."
)
class TvBillingPreview:
    due_date: dt.date = strawberry.field(description="The due date (vencimento) previewed.")
    lines: list[TvBillingPreviewLine] = strawberry.field(
        description="One line per event the run would create, by plan."
    )
    total: Decimal = strawberry.field(description="The sum of the lines' amounts.")
    already_billed: int = strawberry.field(
        description="Packages that already have an event for this due date (the run skips them)."
    )


@strawberry.input(description="The due date whose pending billing events become receivables.")
class RunBillingInput:
    due_date: dt.date


@strawberry.type(description="The events the run processed and the receivables it created.")
class RunBillingSuccess:
    due_date: dt.date
    processed: list[BillingEventType]
    receivables: list[ReceivableType]


@strawberry.type(
    description="The cycle receivables the run created and the due-date changes "
    "whose figures went on them."
)
class RunCycleBillingSuccess:
    due_date: dt.date
    receivables: list[ReceivableType]
    applied_due_date_changes: list[DueDateChangeType]
    already_billed: int = strawberry.field(
        description="Plans due that day whose cycle receivable existed (left as it was)."
    )


RunTvBillingResult = Annotated[
    RunTvBillingSuccess | AnyUserError, strawberry.union("RunTvBillingResult")
]
TvBillingPreviewResult = Annotated[
    TvBillingPreview | AnyUserError, strawberry.union("TvBillingPreviewResult")
]
RunBillingResult = Annotated[RunBillingSuccess | AnyUserError, strawberry.union("RunBillingResult")]
RunCycleBillingResult = Annotated[
    RunCycleBillingSuccess | AnyUserError, strawberry.union("RunCycleBillingResult")
]
