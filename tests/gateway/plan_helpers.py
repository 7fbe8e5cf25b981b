"""Shared pieces of the plan lifecycle tests: running as someone, finding seeded plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.identity import DEVELOPMENT_STAFF, Identity
from domain.models.enums import PlanStatus, ReceivableStatus
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.root import schema
from gateway.schema.base import to_global_id
from gateway.settings import Settings
from tests.gateway.helpers import SETTINGS, request_scope


async def run_as(
    session: AsyncSession,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    identity: Identity = DEVELOPMENT_STAFF,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Executes `query` as `identity`; fails the test on any GraphQL error."""
    with request_scope(session):
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=GraphQLContext.for_session(
                session, settings or SETTINGS, identity=identity
            ),
        )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def audit_rows(session: AsyncSession, action: str, plan_id: int) -> list[m.AuditLog]:
    statement = select(m.AuditLog).where(
        m.AuditLog.action == action,
        m.AuditLog.target_type == "Plan",
        m.AuditLog.target_id == plan_id,
    )
    return list(await session.scalars(statement))


async def a_plan(session: AsyncSession, *conditions: Any) -> m.Plan:
    """The first seeded plan that meets `conditions`."""
    statement = select(m.Plan).where(*conditions).order_by(m.Plan.id).limit(1)
    plan = (await session.scalars(statement)).first()
    assert plan is not None, f"the seed has no plan with {conditions}"
    return plan


async def settle_debts(session: AsyncSession, plan_id: int) -> None:
    """Marks the plan's open receivables paid, so overdue limits do not get in the way."""
    rows = await session.scalars(
        select(m.Receivable).where(
            m.Receivable.plan_id == plan_id, m.Receivable.status == ReceivableStatus.OPEN
        )
    )
    at = dt.datetime.now(dt.UTC)
    for row in rows:
        row.status, row.paid_at, row.paid_amount = ReceivableStatus.PAID, at, row.amount
    await session.flush()


async def count(session: AsyncSession, model: Any, *conditions: Any) -> int:
    statement = select(func.count()).select_from(model).where(*conditions)
    return int(await session.scalar(statement) or 0)


LIVE = m.Plan.status != PlanStatus.CANCELLED
