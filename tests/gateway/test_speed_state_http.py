"""speedState is right at any moment: a temporary restoration runs out by itself (ADR 0102),
on both read paths, over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus, SpeedState
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import seeded_database

STAFF = Identity.staff("atendimento", Permission.PLAN_ADMIN)
PLANS = """
query ($a: ID!, $b: ID!) {
  ranOut: node(id: $a) { ... on Plan { speedState speedRestoredUntil } }
  running: node(id: $b) { ... on Plan { speedState speedRestoredUntil } }
}
"""


@pytest.fixture(scope="module")
def speed_database_url() -> Iterator[str]:
    with seeded_database(customers=10, seed=9) as url:
        yield url


@pytest.fixture
async def app(speed_database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(test_settings(speed_database_url, outbox_worker="off"))
    async with application.router.lifespan_context(application):
        yield application


async def test_a_restoration_that_ran_out_reads_reduced_on_both_paths(app: Starlette) -> None:
    now = dt.datetime.now(dt.UTC)
    async with app.state.runtime.sessions() as session, session.begin():
        ran_out, running = (
            await session.scalars(
                select(m.Plan).where(m.Plan.status == PlanStatus.ACTIVE).order_by(m.Plan.id)
            )
        ).all()[:2]
        # Restored seven days ago for three days (what restoreTemporarySpeed writes), and one
        # restored yesterday for three days: time passed, nothing ran.
        for plan, started in ((ran_out, now - dt.timedelta(days=7)), (running, now)):
            plan.speed_state = SpeedState.TEMPORARILY_RESTORED
            plan.last_speed_restoration_at = started - dt.timedelta(days=1)
            plan.speed_restored_until = started + dt.timedelta(days=2)
        ids = {"a": gid("Plan", ran_out.id), "b": gid("Plan", running.id)}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=bearer(STAFF)
    ) as client:
        answers: dict[str, Any] = {}
        for executor in ("compiled", "standard"):
            headers = {"x-gateway-executor": "standard"} if executor == "standard" else {}
            response = await client.post(
                "/graphql", json={"query": PLANS, "variables": ids}, headers=headers
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-gateway-executor"].startswith(executor)
            answers[executor] = response.json()["data"]
    assert answers["compiled"] == answers["standard"]
    data = answers["compiled"]
    assert data["ranOut"]["speedState"] == "REDUCED"
    assert data["ranOut"]["speedRestoredUntil"] is not None  # when it ran out stays readable
    assert data["running"]["speedState"] == "TEMPORARILY_RESTORED"
