"""Two requests acting on one plan at once never both win; the whole wizard over HTTP."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.actions.plans import change_plan_status
from domain.db import session_factory, writer_bind
from domain.identity import DEVELOPMENT_STAFF
from domain.models.enums import CustomerKind, InactiveReason, PlanStatus, ServiceStatus
from domain.rules.documents import generate_cpf
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.mutations import perform
from gateway.schema import errors
from tests.databases import backend
from tests.gateway.helpers import SETTINGS, http_client, test_settings
from tests.gateway.plan_helpers import gid

ON_SQLITE = backend() == "sqlite"


@pytest.fixture
async def committed_plan(engine: AsyncEngine) -> AsyncIterator[int]:
    """A committed copy of a seeded active plan, deleted (with what hangs off it) afterwards."""
    table = m.Plan.__table__
    async with writer_bind(engine).begin() as connection:
        row = (
            (
                await connection.execute(
                    select(table)
                    .where(table.c.status == "ACTIVE", table.c.billing_form_id.is_not(None))
                    .order_by(table.c.id)
                    .limit(1)
                )
            )
            .mappings()
            .one()
        )
        values = {k: v for k, v in row.items() if k != "id"} | {"version": 1}
        plan_id = (await connection.execute(insert(table).values(**values))).inserted_primary_key[0]
    try:
        yield int(plan_id)
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(delete(table).where(table.c.id == plan_id))


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, cep_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_settings(database_url, cep_base_url=cep_url)
    async with http_client(engine, settings) as client:
        yield client


async def _post(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


PREVIEW = """query ($id: ID!, $day: Int!) { dueDateChangePreview(planId: $id, newDueDay: $day) {
  ... on DueDateChangePreview { token } } }"""
CHANGE = """mutation ($input: ChangeDueDateInput!) { changeDueDate(input: $input) {
  __typename ... on Conflict { message } ... on RuleViolation { rule message } } }"""


@pytest.mark.skipif(ON_SQLITE, reason="SQLite runs one writer at a time: requests cannot overlap")
async def test_two_concurrent_requests_one_winner(
    client: httpx.AsyncClient, committed_plan: int, engine: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        due_day = await connection.scalar(select(m.Plan.due_day).where(m.Plan.id == committed_plan))
    day = 27 if due_day != 27 else 26
    preview = await _post(client, PREVIEW, {"id": gid("Plan", committed_plan), "day": day})
    token = preview["dueDateChangePreview"]["token"]
    variables = {"input": {"planId": gid("Plan", committed_plan), "newDueDay": day, "token": token}}
    results = await asyncio.gather(*(_post(client, CHANGE, variables) for _ in range(2)))
    kinds = sorted(r["changeDueDate"]["__typename"] for r in results)
    assert kinds == ["ChangeDueDateSuccess", "Conflict"], results
    async with engine.connect() as connection:
        changes = await connection.scalar(
            select(func.count())
            .select_from(m.DueDateChange)
            .where(m.DueDateChange.plan_id == committed_plan)
        )
    assert changes == 1


@pytest.mark.skipif(ON_SQLITE, reason="SQLite runs one writer at a time: writes cannot interleave")
async def test_the_version_column_makes_the_loser_a_conflict(
    engine: AsyncEngine, committed_plan: int
) -> None:
    """Both requests read version 1; the first writes and commits while the second waits on the
    row; the second's write then finds no version 1 and gets the typed Conflict."""
    sessions = session_factory(engine)
    async with sessions() as first, sessions() as second:
        first_info = SimpleNamespace(
            context=GraphQLContext.for_session(first, SETTINGS, identity=DEVELOPMENT_STAFF)
        )
        second_info = SimpleNamespace(
            context=GraphQLContext.for_session(second, SETTINGS, identity=DEVELOPMENT_STAFF)
        )

        def change(reason: InactiveReason) -> Any:
            return lambda session: change_plan_status(
                session,
                plan_id=committed_plan,
                status=PlanStatus.INACTIVE,
                inactive_reason=reason,
                actor=DEVELOPMENT_STAFF,
            )

        won = await perform(first_info, change(InactiveReason.CUSTOMER_REQUEST))  # type: ignore[arg-type]
        assert isinstance(won, m.Plan)  # written, row locked, not committed yet
        loser = asyncio.create_task(
            perform(second_info, change(InactiveReason.SUSPENDED))  # type: ignore[arg-type]
        )
        await _until_waiting_on_a_lock(engine)
        assert not loser.done()
        await first.commit()
        lost = await asyncio.wait_for(loser, timeout=10)
        assert isinstance(lost, errors.Conflict)
        assert "read it again" in lost.message
        await second.rollback()
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(m.Plan.inactive_reason, m.Plan.version).where(m.Plan.id == committed_plan)
            )
        ).one()
    assert tuple(row) == (InactiveReason.CUSTOMER_REQUEST, 2)  # the winner's change only


async def _until_waiting_on_a_lock(engine: AsyncEngine) -> None:
    """Returns once some backend of this database waits on a lock (the loser's UPDATE)."""
    deadline = time.monotonic() + 5
    async with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            await connection.rollback()
            await asyncio.sleep(0.02)
    raise AssertionError("the second request never waited on the plan's row")


ADD = """mutation ($input: AddPlanInput!) { addPlan(input: $input) {
  __typename ... on AddPlanSuccess { radiusLogin plan { databaseId status } }
  ... on ValidationError { fields { path message } } ... on RuleViolation { rule } } }"""
CANCEL = """mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) {
  __typename ... on CancelPlanSuccess { plan { status } endedServices { status } } } }"""


@pytest.fixture
async def fresh_customer(engine: AsyncEngine) -> AsyncIterator[int]:
    """A committed customer who passes every registration rule; removed with all it got."""
    async with writer_bind(engine).begin() as connection:
        customer_id = (
            await connection.execute(
                insert(m.Customer.__table__).values(
                    kind=CustomerKind.PERSON.name,
                    name="Cliente Teste HTTP",
                    document=generate_cpf(random.Random(4004)),
                    email="http@example.com.br",
                    mobile_phone="+5511988887777",
                )
            )
        ).inserted_primary_key[0]
    try:
        yield int(customer_id)
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(
                delete(m.Plan.__table__).where(m.Plan.customer_id == customer_id)
            )
            await connection.execute(
                delete(m.Customer.__table__).where(m.Customer.id == customer_id)
            )


async def test_wizard_then_cancel_over_http(
    client: httpx.AsyncClient, fresh_customer: int, engine: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        offer_id = await connection.scalar(
            select(m.PlanOffer.id).where(m.PlanOffer.name == "Fibra 100 Mega")
        )
    variables = {
        "input": {
            "customerId": gid("Customer", fresh_customer),
            "offerId": gid("PlanOffer", offer_id),
            "installationAddress": {"newAddress": {"cep": "88015-100", "number": "12"}},
            "radiusLogin": {"password": "Http!Senha2026"},
            "billing": {"paymentMethod": "BOLETO", "dueDay": 10},
        }
    }
    added = (await _post(client, ADD, variables))["addPlan"]
    assert added["__typename"] == "AddPlanSuccess", added
    plan_id = added["plan"]["databaseId"]
    assert added["radiusLogin"] == f"cliente.{plan_id}"
    async with engine.connect() as connection:  # committed at the request boundary
        status = await connection.scalar(select(m.Plan.status).where(m.Plan.id == plan_id))
    assert status is PlanStatus.ACTIVE
    cancel = {"input": {"planId": gid("Plan", plan_id), "reason": "Teste HTTP"}}
    result = (await _post(client, CANCEL, cancel))["cancelPlan"]
    assert result["plan"] == {"status": "CANCELLED"}
    assert [s["status"] for s in result["endedServices"]] == ["DISABLED"]
    async with engine.connect() as connection:
        status = await connection.scalar(
            select(m.RadiusLogin.status).where(m.RadiusLogin.plan_id == plan_id)
        )
    assert status is ServiceStatus.DISABLED
