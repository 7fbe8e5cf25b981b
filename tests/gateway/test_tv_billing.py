"""The TV billing run and the regular billing run of its events, over the seeded data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions.tv import add_tv_package
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus
from domain.reads.tv import billable_extra_packages
from gateway.schema.base import to_global_id
from tests.gateway.tv_support import TV_STAFF, execute, tv_fixture

TV_RUN = """
mutation ($d: Date!) {
  runTvBilling(input: {dueDate: $d}) {
    __typename
    ... on RunTvBillingSuccess {
      dueDate alreadyBilled
      created { databaseId kind amount status dueDate plan { databaseId }
                tvPackage { databaseId } receivable { databaseId } }
    }
    ... on NotAllowed { permission }
  }
}
"""
RUN = """
mutation ($d: Date!) {
  runBilling(input: {dueDate: $d}) {
    __typename
    ... on RunBillingSuccess {
      processed { databaseId status receivable { databaseId amount } }
      receivables { databaseId amount dueDate origin status description }
    }
    ... on NotAllowed { permission }
  }
}
"""
EVENTS = """
query ($plan: ID!, $customer: ID!) {
  plan: node(id: $plan) { ... on Plan {
    billingEvents { databaseId status amount }
    pending: billingEvents(status: [PENDING]) { databaseId }
    receivables { databaseId origin amount }
  } }
  customer: node(id: $customer) { ... on Customer {
    billingEvents { databaseId plan { databaseId } receivable { databaseId } }
  } }
}
"""
# The runs need BILLING; reading an event's TV package also needs TV_PACKAGES (ADR 0081).
BILLING_STAFF = Identity.staff("billing", Permission.BILLING, Permission.TV_PACKAGES)


async def _due_date(session: AsyncSession, plan_id: int) -> dt.date:
    day = await session.scalar(select(m.Plan.due_day).where(m.Plan.id == plan_id))
    assert day is not None
    return dt.date(2031, 3, day)


async def test_tv_billing_creates_one_event_per_charged_extra_and_never_twice(
    session: AsyncSession,
) -> None:
    tv = await tv_fixture(session)
    due = await _due_date(session, tv.plan_id)
    start = due - dt.timedelta(days=20)
    charged = await add_tv_package(
        session, plan_id=tv.plan_id, package_id=tv.extra_package_ids[0], start_date=start,
        value=Decimal("12.34"), actor=TV_STAFF,
    )  # fmt: skip
    free = await add_tv_package(
        session, plan_id=tv.plan_id, package_id=tv.extra_package_ids[1], start_date=start,
        value=Decimal("0"), actor=TV_STAFF,
    )  # fmt: skip
    later = await add_tv_package(
        session, plan_id=tv.plan_id, package_id=tv.extra_package_ids[2],
        start_date=due + dt.timedelta(days=1), actor=TV_STAFF,
    )  # fmt: skip
    ended = await add_tv_package(
        session, plan_id=tv.plan_id, package_id=tv.extra_package_ids[3], start_date=start,
        actor=TV_STAFF,
    )  # fmt: skip
    ended.end_date = due  # removed on the due date: not billed for it
    await session.flush()
    expected = {s.id for s, _, _ in await billable_extra_packages(session, due)}
    assert charged.id in expected and not {free.id, later.id, ended.id} & expected

    data = await execute(session, TV_RUN, {"d": due.isoformat()}, identity=BILLING_STAFF)
    run = data["runTvBilling"]
    assert run["__typename"] == "RunTvBillingSuccess" and run["alreadyBilled"] == 0
    assert {e["tvPackage"]["databaseId"] for e in run["created"]} == expected
    ours = next(e for e in run["created"] if e["tvPackage"]["databaseId"] == charged.id)
    assert ours == {
        "databaseId": ours["databaseId"],
        "kind": "TV_EXTRA_PACKAGE",
        "amount": "12.34",
        "status": "PENDING",
        "dueDate": due.isoformat(),
        "plan": {"databaseId": tv.plan_id},
        "tvPackage": {"databaseId": charged.id},
        "receivable": None,
    }
    events = await session.scalar(select(func.count()).select_from(m.BillingEvent))

    again = await execute(session, TV_RUN, {"d": due.isoformat()}, identity=BILLING_STAFF)
    assert again["runTvBilling"]["created"] == []
    assert again["runTvBilling"]["alreadyBilled"] == len(expected)
    assert await session.scalar(select(func.count()).select_from(m.BillingEvent)) == events

    # Plans due on other days, and cancelled plans, are not billed on this date.
    other_day = due + dt.timedelta(days=1)
    data = await execute(session, TV_RUN, {"d": other_day.isoformat()}, identity=BILLING_STAFF)
    assert charged.id not in {e["tvPackage"]["databaseId"] for e in data["runTvBilling"]["created"]}
    await session.execute(
        update(m.Plan)
        .where(m.Plan.id == tv.plan_id)
        .values(status=PlanStatus.CANCELLED, cancelled_at=func.now())
    )
    next_month = due.replace(month=due.month + 1)
    data = await execute(session, TV_RUN, {"d": next_month.isoformat()}, identity=BILLING_STAFF)
    assert charged.id not in {e["tvPackage"]["databaseId"] for e in data["runTvBilling"]["created"]}


async def test_billing_run_turns_pending_events_into_receivables(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    due = await _due_date(session, tv.plan_id)
    package = await add_tv_package(
        session, plan_id=tv.plan_id, package_id=tv.extra_package_ids[0],
        start_date=due - dt.timedelta(days=3), actor=TV_STAFF,
    )  # fmt: skip
    created = (await execute(session, TV_RUN, {"d": due.isoformat()}, identity=BILLING_STAFF))[
        "runTvBilling"
    ]["created"]
    receivables_before = await session.scalar(select(func.count()).select_from(m.Receivable))

    data = await execute(session, RUN, {"d": due.isoformat()}, identity=BILLING_STAFF)
    run = data["runBilling"]
    assert len(run["processed"]) == len(created) == len(run["receivables"])
    assert {e["status"] for e in run["processed"]} == {"PROCESSED"}
    for event, receivable in zip(run["processed"], run["receivables"], strict=True):
        assert event["receivable"] == {
            "databaseId": receivable["databaseId"],
            "amount": receivable["amount"],
        }
        assert (receivable["dueDate"], receivable["origin"], receivable["status"]) == (
            due.isoformat(),
            "TV_EXTRA_PACKAGE",
            "OPEN",
        )
    package_name = await session.scalar(
        select(m.TvPackage.name).where(m.TvPackage.id == package.package_id)
    )
    assert any(package_name in r["description"] for r in run["receivables"])
    assert await session.scalar(
        select(func.count()).select_from(m.Receivable)
    ) == receivables_before + len(created)

    again = await execute(session, RUN, {"d": due.isoformat()}, identity=BILLING_STAFF)
    assert again["runBilling"]["processed"] == [] and again["runBilling"]["receivables"] == []

    plan = await session.get_one(m.Plan, tv.plan_id)
    data = await execute(
        session,
        EVENTS,
        {
            "plan": to_global_id("Plan", plan.id),
            "customer": to_global_id("Customer", plan.customer_id),
        },
        identity=BILLING_STAFF,
    )
    (event,) = data["plan"]["billingEvents"]
    assert event["status"] == "PROCESSED" and data["plan"]["pending"] == []
    assert any(
        r["origin"] == "TV_EXTRA_PACKAGE" and r["amount"] == event["amount"]
        for r in data["plan"]["receivables"]
    )
    customer_events = data["customer"]["billingEvents"]
    assert [e["databaseId"] for e in customer_events] == [event["databaseId"]]
    assert customer_events[0]["receivable"] is not None


async def test_billing_runs_need_the_billing_permission(session: AsyncSession) -> None:
    for query, name in ((TV_RUN, "runTvBilling"), (RUN, "runBilling")):
        data = await execute(session, query, {"d": "2031-03-10"}, identity=TV_STAFF)
        assert data[name] == {"__typename": "NotAllowed", "permission": "BILLING"}
    assert await session.scalar(select(func.count()).select_from(m.BillingEvent)) == 0
