"""changePlanStatus and cancelPlan: the transitions of DOMAIN.md §1, and ending everything."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.identity import Identity
from domain.models.enums import (
    BillingType,
    InactiveReason,
    PlanStatus,
    ReceivableOrigin,
    ServiceKind,
    ServiceStatus,
    SpeedState,
    TvPointEvent,
    TvPointStatus,
)
from tests.gateway.plan_helpers import a_plan, audit_rows, count, gid, run_as

CHANGE = """
mutation ($input: ChangePlanStatusInput!) {
  changePlanStatus(input: $input) {
    __typename
    ... on PlanChangeSuccess { plan { id status inactiveReason speedState } }
    ... on InvalidTransition { entity fromState toState message }
    ... on ValidationError { fields { path message } }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
  }
}
"""

CANCEL = """
mutation ($input: CancelPlanInput!) {
  cancelPlan(input: $input) {
    __typename
    ... on CancelPlanSuccess {
      plan { status cancelReason cancelledAt }
      endedServices { __typename kind status endedAt }
      removedTvPoints { status removedAt history { event detail } }
      droppedInstallments endedTvPackages cancelledAppointments
    }
    ... on InvalidTransition { fromState toState }
    ... on ValidationError { fields { path message } }
  }
}
"""


async def _change(session: AsyncSession, plan_id: int, **fields: object) -> dict:
    data = await run_as(session, CHANGE, {"input": {"planId": gid("Plan", plan_id), **fields}})
    return data["changePlanStatus"]


async def test_active_to_inactive_and_back(session: AsyncSession) -> None:
    plan = await a_plan(session, m.Plan.status == PlanStatus.ACTIVE)
    result = await _change(session, plan.id, status="INACTIVE", inactiveReason="SUSPENDED")
    assert result["__typename"] == "PlanChangeSuccess"
    assert result["plan"]["status"] == "INACTIVE"
    assert result["plan"]["inactiveReason"] == "SUSPENDED"
    assert result["plan"]["speedState"] == "REDUCED"
    [row] = await audit_rows(session, "changePlanStatus", plan.id)
    assert row.before["status"] == "ACTIVE" and row.after["status"] == "INACTIVE"

    # Inactive for another reason is a change; the same reason again is not.
    result = await _change(session, plan.id, status="INACTIVE", inactiveReason="CUSTOMER_REQUEST")
    assert result["plan"]["inactiveReason"] == "CUSTOMER_REQUEST"
    result = await _change(session, plan.id, status="INACTIVE", inactiveReason="CUSTOMER_REQUEST")
    assert result == {
        "__typename": "InvalidTransition",
        "entity": "Plan",
        "fromState": "INACTIVE (CUSTOMER_REQUEST)",
        "toState": "INACTIVE (CUSTOMER_REQUEST)",
        "message": "Plan cannot go from INACTIVE (CUSTOMER_REQUEST)"
        " to INACTIVE (CUSTOMER_REQUEST).",
    }

    result = await _change(session, plan.id, status="ACTIVE")
    assert result["plan"] == {
        "id": gid("Plan", plan.id),
        "status": "ACTIVE",
        "inactiveReason": None,
        "speedState": "NORMAL",
    }
    result = await _change(session, plan.id, status="ACTIVE")
    assert (result["fromState"], result["toState"]) == ("ACTIVE", "ACTIVE")


async def test_refusals_change_nothing(session: AsyncSession) -> None:
    plan = await a_plan(session, m.Plan.status == PlanStatus.ACTIVE)
    result = await _change(session, plan.id, status="INACTIVE")
    assert result["__typename"] == "ValidationError"
    assert result["fields"][0]["path"] == ["inactiveReason"]
    result = await _change(session, plan.id, status="ACTIVE", inactiveReason="SUSPENDED")
    assert result["fields"][0]["path"] == ["inactiveReason"]
    result = await _change(session, 10**8, status="ACTIVE")
    assert result == {"__typename": "NotFound", "entity": "Plan", "id": str(10**8)}

    cancelled = await a_plan(session, m.Plan.status == PlanStatus.CANCELLED)
    for target, reason in (("ACTIVE", None), ("INACTIVE", "SUSPENDED")):
        result = await _change(session, cancelled.id, status=target, inactiveReason=reason)
        assert result["__typename"] == "InvalidTransition"
        assert result["fromState"] == "CANCELLED"
        assert result["toState"] == (target if reason is None else f"{target} ({reason})")

    data = await run_as(
        session,
        CHANGE,
        {
            "input": {
                "planId": gid("Plan", plan.id),
                "status": "INACTIVE",
                "inactiveReason": "SUSPENDED",
            }
        },
        identity=Identity.staff("clerk"),
    )
    assert data["changePlanStatus"] == {"__typename": "NotAllowed", "permission": "PLAN_ADMIN"}
    await session.refresh(plan)
    assert plan.status is PlanStatus.ACTIVE
    assert await audit_rows(session, "changePlanStatus", plan.id) == []


async def _tv_plan_with_unbilled_installments(session: AsyncSession) -> tuple[m.Plan, int, int]:
    """A live TV plan with active points, given an extra service with one billed and one
    unbilled installment; returns the plan and the two receivables' ids."""
    plan_id = await session.scalar(
        select(m.TvPoint.plan_id)
        .join(m.Plan, m.Plan.id == m.TvPoint.plan_id)
        .where(m.TvPoint.status == TvPointStatus.ACTIVE, m.Plan.status == PlanStatus.ACTIVE)
        .order_by(m.TvPoint.plan_id)
        .limit(1)
    )
    plan = await session.get(m.Plan, plan_id)
    assert plan is not None
    definition = await session.scalar(select(m.ExtraServiceDefinition).limit(1))
    today = dt.date.today()
    extra = m.ExtraService(
        plan_id=plan.id,
        kind=ServiceKind.EXTRA_SERVICE,
        definition_id=definition.id,
        value=Decimal("120.00"),
        start_date=today,
        billing_type=BillingType.INSTALLMENTS,
        first_due_date=today,
        installments=2,
    )
    session.add(extra)
    await session.flush()
    ids = []
    for number, billed in ((1, dt.datetime.now(dt.UTC)), (2, None)):
        row = m.Receivable(
            customer_id=plan.customer_id,
            plan_id=plan.id,
            extra_service_id=extra.id,
            origin=ReceivableOrigin.EXTRA_SERVICE,
            description=f"Serviço extra {number}/2",
            installment_number=number,
            amount=Decimal("60.00"),
            due_date=today + dt.timedelta(days=30 * number),
            billed_at=billed,
        )
        session.add(row)
        await session.flush()
        ids.append(row.id)
    return plan, ids[0], ids[1]


async def test_cancel_ends_everything_in_one_transaction(session: AsyncSession) -> None:
    plan, billed_id, unbilled_id = await _tv_plan_with_unbilled_installments(session)
    live_before = await count(
        session,
        m.Service,
        m.Service.plan_id == plan.id,
        m.Service.status.in_([ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED]),
    )
    points_before = await count(
        session, m.TvPoint, m.TvPoint.plan_id == plan.id, m.TvPoint.status == TvPointStatus.ACTIVE
    )
    data = await run_as(
        session, CANCEL, {"input": {"planId": gid("Plan", plan.id), "reason": "Mudou de cidade"}}
    )
    result = data["cancelPlan"]
    assert result["__typename"] == "CancelPlanSuccess"
    assert result["plan"]["status"] == "CANCELLED"
    assert result["plan"]["cancelReason"] == "Mudou de cidade"
    assert result["plan"]["cancelledAt"] is not None
    assert len(result["endedServices"]) == live_before >= 2
    for service in result["endedServices"]:
        expected = "CANCELLED" if service["kind"] in ("EXTRA_SERVICE", "ANTIVIRUS") else "DISABLED"
        assert service["status"] == expected and service["endedAt"] is not None
    assert {s["kind"] for s in result["endedServices"]} >= {"EXTRA_SERVICE", "RADIUS_LOGIN"}
    assert len(result["removedTvPoints"]) == points_before >= 1
    for point in result["removedTvPoints"]:
        assert point["status"] == "REMOVED" and point["removedAt"] is not None
        assert point["history"][-1]["event"] == "REMOVED"
        assert point["history"][-1]["detail"] == "Plano cancelado: Mudou de cidade"
    assert result["droppedInstallments"] == 1
    assert result["endedTvPackages"] >= 1

    # The unbilled installment is gone; the billed one stays.
    assert await session.get(m.Receivable, unbilled_id) is None
    assert await session.get(m.Receivable, billed_id) is not None
    assert (
        await count(
            session,
            m.Service,
            m.Service.plan_id == plan.id,
            m.Service.status.in_([ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED]),
        )
        == 0
    )
    assert (
        await count(
            session,
            m.TvPointHistory,
            m.TvPointHistory.event == TvPointEvent.REMOVED,
            m.TvPointHistory.tv_point_id.in_(
                select(m.TvPoint.id).where(m.TvPoint.plan_id == plan.id)
            ),
        )
        >= points_before
    )
    assert (
        await count(
            session,
            m.TvPackageSubscription,
            m.TvPackageSubscription.plan_id == plan.id,
            m.TvPackageSubscription.end_date.is_(None),
        )
        == 0
    )
    [row] = await audit_rows(session, "cancelPlan", plan.id)
    assert row.after["dropped_installments"] == 1 and row.after["status"] == "CANCELLED"

    # Cancelled is final, and cancelling again changes nothing.
    again = await run_as(
        session, CANCEL, {"input": {"planId": gid("Plan", plan.id), "reason": "de novo"}}
    )
    assert again["cancelPlan"] == {
        "__typename": "InvalidTransition",
        "fromState": "CANCELLED",
        "toState": "CANCELLED",
    }
    result = await _change(session, plan.id, status="ACTIVE")
    assert (result["fromState"], result["toState"]) == ("CANCELLED", "ACTIVE")


async def test_cancel_needs_a_reason_and_change_status_can_cancel(session: AsyncSession) -> None:
    plan = await a_plan(
        session,
        m.Plan.status == PlanStatus.INACTIVE,
        m.Plan.inactive_reason == InactiveReason.SUSPENDED,
    )
    data = await run_as(session, CANCEL, {"input": {"planId": gid("Plan", plan.id), "reason": " "}})
    assert data["cancelPlan"]["fields"][0]["path"] == ["reason"]
    result = await _change(session, plan.id, status="CANCELLED")
    assert result["__typename"] == "ValidationError"
    await session.refresh(plan)
    assert plan.status is PlanStatus.INACTIVE

    result = await _change(session, plan.id, status="CANCELLED", cancelReason="Preço")
    assert result["plan"]["status"] == "CANCELLED" and result["plan"]["inactiveReason"] is None
    assert plan.speed_state is SpeedState.REDUCED  # cancelling leaves the speed as it was
    assert len(await audit_rows(session, "cancelPlan", plan.id)) == 1
