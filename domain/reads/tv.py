"""TV reads: equipment by CASN, points and packages, billing events for the TV billing run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import (
    BillingEvent,
    Equipment,
    ExtraField,
    Plan,
    TvPackage,
    TvPackageSubscription,
    TvPoint,
)
from domain.models.enums import BillingEventStatus, PlanStatus, TvPointStatus

# The customer's extra fields the TV platform fills on the first sync (manual 002).
SUBSCRIBER_ID_FIELD = "ID Assinante"
AUTH_PIN_FIELD = "Auth Pin Assinante"


async def equipment_by_casn(session: AsyncSession, casn: str) -> Equipment | None:
    return await session.scalar(select(Equipment).where(Equipment.casn == casn))


async def active_point_with_equipment(
    session: AsyncSession, equipment_id: int, *, for_update: bool = False
) -> TvPoint | None:
    statement = select(TvPoint).where(
        TvPoint.equipment_id == equipment_id, TvPoint.status == TvPointStatus.ACTIVE
    )
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def current_subscription(
    session: AsyncSession, plan_id: int, package_id: int
) -> TvPackageSubscription | None:
    """The plan's not-yet-removed subscription of a package, if any."""
    return await session.scalar(
        select(TvPackageSubscription).where(
            TvPackageSubscription.plan_id == plan_id,
            TvPackageSubscription.package_id == package_id,
            TvPackageSubscription.end_date.is_(None),
        )
    )


async def running_subscriptions(session: AsyncSession, plan_id: int) -> list[TvPackageSubscription]:
    """The plan's packages not yet ended, locked for the caller's change."""
    statement = (
        select(TvPackageSubscription)
        .where(TvPackageSubscription.plan_id == plan_id, TvPackageSubscription.end_date.is_(None))
        .order_by(TvPackageSubscription.id)
        .with_for_update()
    )
    return list(await session.scalars(statement))


async def active_points(session: AsyncSession, plan_id: int) -> list[TvPoint]:
    """The plan's active TV points, locked for the caller's change."""
    statement = (
        select(TvPoint)
        .where(TvPoint.plan_id == plan_id, TvPoint.status == TvPointStatus.ACTIVE)
        .order_by(TvPoint.id)
        .with_for_update()
    )
    return list(await session.scalars(statement))


async def subscriber_fields(session: AsyncSession, customer_id: int) -> dict[str, ExtraField]:
    """The customer's TV platform extra fields (subscriber id, auth PIN) that exist, by name."""
    rows = await session.scalars(
        select(ExtraField).where(
            ExtraField.customer_id == customer_id,
            ExtraField.name.in_([SUBSCRIBER_ID_FIELD, AUTH_PIN_FIELD]),
        )
    )
    return {row.name: row for row in rows}


async def billable_extra_packages(
    session: AsyncSession, due_date: dt.date
) -> list[tuple[TvPackageSubscription, Plan, TvPackage]]:
    """Charged extra packages to bill on `due_date`: plans due that day, package running then.

    A plan is billed on its due day; a package runs from its start date until (not including)
    its end date; only active plans and packages with a value above zero are charged.
    """
    statement = (
        select(TvPackageSubscription, Plan, TvPackage)
        .join(Plan, Plan.id == TvPackageSubscription.plan_id)
        .join(TvPackage, TvPackage.id == TvPackageSubscription.package_id)
        .where(
            Plan.status == PlanStatus.ACTIVE,
            Plan.due_day == due_date.day,
            TvPackage.is_extra.is_(True),
            TvPackageSubscription.is_default.is_(False),
            TvPackageSubscription.value > 0,
            TvPackageSubscription.start_date <= due_date,
            (TvPackageSubscription.end_date.is_(None))
            | (TvPackageSubscription.end_date > due_date),
        )
        .order_by(Plan.id, TvPackageSubscription.id)
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(statement)]


async def billed_subscription_ids(
    session: AsyncSession, due_date: dt.date, subscription_ids: Sequence[int]
) -> set[int]:
    """Which of the subscriptions already have a billing event for `due_date`."""
    if not subscription_ids:
        return set()
    rows = await session.scalars(
        select(BillingEvent.tv_package_subscription_id).where(
            BillingEvent.due_date == due_date,
            BillingEvent.tv_package_subscription_id.in_(list(subscription_ids)),
        )
    )
    return {row for row in rows if row is not None}


async def pending_billing_events(
    session: AsyncSession, due_date: dt.date
) -> list[tuple[BillingEvent, Plan, str | None]]:
    """PENDING billing events of `due_date` with their plans and package names, locked."""
    statement = (
        select(BillingEvent, Plan, TvPackage.name)
        .join(Plan, Plan.id == BillingEvent.plan_id)
        .outerjoin(
            TvPackageSubscription,
            TvPackageSubscription.id == BillingEvent.tv_package_subscription_id,
        )
        .outerjoin(TvPackage, TvPackage.id == TvPackageSubscription.package_id)
        .where(
            BillingEvent.status == BillingEventStatus.PENDING,
            BillingEvent.due_date == due_date,
        )
        .order_by(BillingEvent.id)
        .with_for_update(of=BillingEvent)
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(statement)]


async def billing_events_by_customer_ids(
    session: AsyncSession, customer_ids: Sequence[int]
) -> list[tuple[int, BillingEvent]]:
    """(customer id, event) pairs: every billing event of the customers' plans, by due date."""
    statement = (
        select(Plan.customer_id, BillingEvent)
        .join(Plan, Plan.id == BillingEvent.plan_id)
        .where(Plan.customer_id.in_(list(customer_ids)))
        .order_by(Plan.customer_id, BillingEvent.due_date, BillingEvent.id)
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]
