"""The agenda over HTTP: a technician's appointments, the roles, and the free slots the wizard
offers, which are exactly the ones scheduleInstallation accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.models.enums import PlanStatus
from tests.gateway.helpers import bearer
from tests.gateway.registration_support import CLERK, PLAN_CLERK, gid, gql, written_client


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for c in written_client(engine, database_url):
        yield c


FREE = """query ($t: ID, $r: ID, $date: Date!, $duration: Int!) {
  freeSlots(technicianId: $t, roleId: $r, date: $date, duration: $duration) { __typename
    ... on FreeSlots { slots { start end } }
    ... on ValidationError { fields { path } } ... on NotAllowed { permission } } }"""
SCHEDULE = """mutation ($plan: ID!, $t: ID!, $date: Date!, $start: Time!, $end: Time!) {
  scheduleInstallation(input: {planId: $plan, appointment: {
    technicianId: $t, date: $date, startTime: $start, endTime: $end}}) {
    __typename ... on RuleViolation { rule } } }"""
AGENDA = """query ($from: Date!, $to: Date!) {
  technicians { databaseId appointments(period: {from: $from, to: $to}) { date startTime endTime } }
  roles { databaseId name appointments(period: {from: $from, to: $to}) { date } } }"""


async def _technician_and_plan(engine: AsyncEngine) -> tuple[int, int, int]:
    async with engine.connect() as c:
        technician_id, role_id = (
            await c.execute(
                select(m.Technician.id, m.Technician.role_id)
                .where(m.Technician.active.is_(True))
                .order_by(m.Technician.id)
                .limit(1)
            )
        ).one()
        plan_id = await c.scalar(
            select(m.Plan.id).where(m.Plan.status == PlanStatus.ACTIVE).order_by(m.Plan.id).limit(1)
        )
    return technician_id, role_id, plan_id


def _slots(data: dict) -> list[tuple[str, str]]:
    return [(s["start"][:5], s["end"][:5]) for s in data["freeSlots"]["slots"]]


async def test_free_slots_are_what_scheduling_accepts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    technician_id, _role, plan_id = await _technician_and_plan(engine)
    day = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    technician = gid("Technician", technician_id)
    booked = await gql(
        client,
        PLAN_CLERK,
        SCHEDULE,
        plan=gid("Plan", plan_id),
        t=technician,
        date=day,
        start="10:00:00",
        end="12:00:00",
    )
    assert booked["scheduleInstallation"]["__typename"] == "ScheduleInstallationSuccess"
    free = _slots(await gql(client, PLAN_CLERK, FREE, t=technician, date=day, duration=60))
    assert ("09:00", "10:00") in free and ("12:00", "13:00") in free
    assert not {
        ("09:30", "10:30"),
        ("10:00", "11:00"),
        ("11:00", "12:00"),
        ("11:30", "12:30"),
    } & set(free)
    assert free[0] == ("08:00", "09:00") and free[-1] == ("17:00", "18:00")
    # The one overlap rule: a slot it offers is accepted, one it leaves out is refused.
    taken = await gql(
        client, PLAN_CLERK, SCHEDULE, plan=gid("Plan", plan_id), t=technician, date=day,
        start="11:30:00", end="12:30:00",
    )  # fmt: skip
    assert taken["scheduleInstallation"] == {
        "__typename": "RuleViolation",
        "rule": "TECHNICIAN_SLOT_TAKEN",
    }
    offered = await gql(
        client, PLAN_CLERK, SCHEDULE, plan=gid("Plan", plan_id), t=technician, date=day,
        start="12:00:00", end="13:00:00",
    )  # fmt: skip
    assert offered["scheduleInstallation"]["__typename"] == "ScheduleInstallationSuccess"
    # The technician's agenda shows both, in order.
    agenda = await gql(client, PLAN_CLERK, AGENDA, **{"from": day, "to": day})
    [mine] = [t for t in agenda["technicians"] if t["databaseId"] == technician_id]
    assert [(a["startTime"][:5], a["endTime"][:5]) for a in mine["appointments"]] == [
        ("10:00", "12:00"),
        ("12:00", "13:00"),
    ]
    assert agenda["roles"] and all(r["appointments"] == [] for r in agenda["roles"])


async def test_a_role_is_free_while_one_of_its_technicians_is(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _technician, role_id, plan_id = await _technician_and_plan(engine)
    async with engine.connect() as c:
        colleagues = list(
            await c.scalars(
                select(m.Technician.id).where(
                    m.Technician.role_id == role_id, m.Technician.active.is_(True)
                )
            )
        )
    day = (dt.date.today() + dt.timedelta(days=201)).isoformat()
    for colleague in colleagues:  # every technician of the role busy from 08:00 to 09:00
        await gql(
            client, PLAN_CLERK, SCHEDULE, plan=gid("Plan", plan_id), t=gid("Technician", colleague),
            date=day, start="08:00:00", end="09:00:00",
        )  # fmt: skip
    free = _slots(
        await gql(client, PLAN_CLERK, FREE, r=gid("Role", role_id), date=day, duration=60)
    )
    assert free[0] == ("09:00", "10:00")


async def test_bad_requests_are_refused_as_data(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    technician_id, role_id, _plan = await _technician_and_plan(engine)
    day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    both = await gql(
        client, PLAN_CLERK, FREE, t=gid("Technician", technician_id), r=gid("Role", role_id),
        date=day, duration=5,
    )  # fmt: skip
    assert both["freeSlots"] == {
        "__typename": "ValidationError",
        "fields": [{"path": []}, {"path": ["duration"]}],
    }
    refused = await gql(
        client, CLERK, FREE, t=gid("Technician", technician_id), date=day, duration=60
    )
    assert refused["freeSlots"] == {"__typename": "NotAllowed", "permission": "PLAN_ADMIN"}
    backwards = await client.post(
        "/graphql",
        json={"query": AGENDA, "variables": {"from": day, "to": "2000-01-01"}},
        headers=bearer(PLAN_CLERK),
    )
    errors = backwards.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"VALIDATION_FAILED"}
