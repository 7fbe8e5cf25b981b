"""Dates users give are checked one way (ADR 0103), over HTTP as the one who gives them: a TV
package never starts before its plan, billing runs stop at the configured horizon, and every
period input answers the same refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission, Role
from domain.models.enums import PlanStatus
from gateway.cli import main
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import seeded_database

TV_CLERK = Identity.staff("tv-clerk", Permission.TV_PACKAGES)
BILLING_CLERK = Identity.staff("faturamento", Permission.BILLING)


@pytest.fixture(scope="module")
def dates_database_url() -> Iterator[str]:
    with seeded_database(customers=20, seed=13) as url:
        yield url


@pytest.fixture
async def app(dates_database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(test_settings(dates_database_url, outbox_worker="off"))
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: Starlette, identity: Identity) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=bearer(identity)
    )


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = await post(client, query, **variables)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_a_tv_package_cannot_start_before_its_plan(app: Starlette) -> None:
    async with app.state.runtime.sessions() as session:
        plan = await session.scalar(
            select(m.Plan)
            .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
            .where(m.PlanOffer.is_tv_offer.is_(True), m.Plan.status == PlanStatus.ACTIVE)
            .order_by(m.Plan.id)
            .limit(1)
        )
        assert plan is not None
        package = await session.scalar(
            select(m.TvPackage.id).where(m.TvPackage.is_extra.is_(True)).order_by(m.TvPackage.id)
        )
        before = int(await session.scalar(select(func.count()).select_from(m.OutboxMessage)) or 0)
    started = plan.created_at.date()
    add = """mutation ($input: AddTvPackageInput!) { addTvPackage(input: $input) {
               __typename ... on ValidationError { fields { path message } }
               ... on AddTvPackageSuccess { tvPackage { startDate } }
               ... on RuleViolation { rule } } }"""
    async with client_for(app, TV_CLERK) as clerk:
        refused = (
            await gql(
                clerk,
                add,
                input={
                    "planId": gid("Plan", plan.id),
                    "packageId": gid("TvPackage", package),  # type: ignore[arg-type]
                    "startDate": (started - dt.timedelta(days=1)).isoformat(),
                },
            )
        )["addTvPackage"]
        assert refused == {
            "__typename": "ValidationError",
            "fields": [
                {
                    "path": ["startDate"],
                    "message": f"must not be before the plan's start ({started.isoformat()})",
                }
            ],
        }
        async with app.state.runtime.sessions() as session:
            after = await session.scalar(select(func.count()).select_from(m.OutboxMessage))
        assert after == before, "a refused package sent nothing to the platform"
        on_the_day = (
            await gql(
                clerk,
                add,
                input={
                    "planId": gid("Plan", plan.id),
                    "packageId": gid("TvPackage", package),  # type: ignore[arg-type]
                    "startDate": started.isoformat(),
                },
            )
        )["addTvPackage"]
    assert on_the_day["__typename"] in ("AddTvPackageSuccess", "RuleViolation"), on_the_day
    if on_the_day["__typename"] == "RuleViolation":  # the seed gave the plan that package
        assert on_the_day["rule"] == "PACKAGE_ALREADY_ON_PLAN"


RUNS = {
    "tvBillingPreview": "query ($d: Date!) { tvBillingPreview(dueDate: $d) { __typename "
    "... on ValidationError { fields { path message } } } }",
    "runTvBilling": "mutation ($d: Date!) { runTvBilling(input: {dueDate: $d}) { __typename "
    "... on ValidationError { fields { path message } } } }",
    "runCycleBilling": "mutation ($d: Date!) { runCycleBilling(input: {dueDate: $d}) { "
    "__typename ... on ValidationError { fields { path message } } } }",
    "runBilling": "mutation ($d: Date!) { runBilling(input: {dueDate: $d}) { __typename "
    "... on ValidationError { fields { path message } } } }",
}


async def _money(app: Starlette) -> tuple[int, int]:
    async with app.state.runtime.sessions() as session:
        receivables = await session.scalar(select(func.count()).select_from(m.Receivable))
        events = await session.scalar(select(func.count()).select_from(m.BillingEvent))
    return int(receivables or 0), int(events or 0)


async def test_billing_runs_stop_at_the_configured_horizon(app: Starlette) -> None:
    today = dt.datetime.now(dt.UTC).date()
    limit = today + dt.timedelta(days=60)  # the seed's billing_horizon_days
    beyond = limit + dt.timedelta(days=1)
    money = await _money(app)
    async with client_for(app, BILLING_CLERK) as clerk:
        for name, query in RUNS.items():
            refused = (await gql(clerk, query, d=beyond.isoformat()))[name]
            assert refused == {
                "__typename": "ValidationError",
                "fields": [
                    {
                        "path": ["dueDate"],
                        "message": "must not be after the billing horizon of 60 days "
                        f"({limit.isoformat()})",
                    }
                ],
            }, name
            far = (await gql(clerk, query, d="2035-03-10"))[name]
            assert far["__typename"] == "ValidationError", name
        assert await _money(app) == money, "a refused run created nothing"
        for name, query in RUNS.items():
            assert (await gql(clerk, query, d=limit.isoformat()))[name]["__typename"] != (
                "ValidationError"
            ), name

        # The horizon is the ISP's to configure.
        async with app.state.runtime.sessions() as session, session.begin():
            await session.execute(
                update(m.SystemVariable)
                .where(m.SystemVariable.key == "billing_horizon_days")
                .values(value="90")
            )
        preview = await gql(clerk, RUNS["tvBillingPreview"], d=beyond.isoformat())
        assert preview["tvBillingPreview"]["__typename"] == "TvBillingPreview"
        async with app.state.runtime.sessions() as session, session.begin():
            await session.execute(
                update(m.SystemVariable)
                .where(m.SystemVariable.key == "billing_horizon_days")
                .values(value="60")
            )


def test_the_billing_command_stops_at_the_horizon_too(
    dates_database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    common = ["--due-date", "2035-03-10", "--database-url", dates_database_url]
    for language, words in (("en", "billing horizon"), ("pt-BR", "horizonte de faturamento")):
        monkeypatch.setenv("GATEWAY_LANGUAGE", language)  # the CLI writes in GATEWAY_LANGUAGE
        for run in ("tv", "cycles", "run"):
            assert main(["billing", run, *common]) != 0
            assert words in capsys.readouterr().err


TICKETS = """query ($filter: TicketFilter) { tickets(filter: $filter) { protocol } }"""
STATEMENT = """query ($plan: ID!, $period: PeriodInput!) {
  connectionStatement(planId: $plan, period: $period) {
  __typename ... on ValidationError { fields { path message } } } }"""


async def test_every_period_input_is_refused_the_same_way(app: Starlette) -> None:
    async with app.state.runtime.sessions() as session:
        customer_id, plan_id = (
            await session.execute(
                select(m.Plan.customer_id, m.Plan.id)
                .join(m.Ticket, m.Ticket.customer_id == m.Plan.customer_id)
                .limit(1)
            )
        ).one()
    me = Identity(subject="portal", role=Role.SUBSCRIBER, customer_id=customer_id)
    backwards = {"start": "2026-03-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    too_long = {"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}
    async with client_for(app, me) as portal:
        statement = await gql(portal, STATEMENT, plan=gid("Plan", plan_id), period=backwards)
        assert statement["connectionStatement"] == {
            "__typename": "ValidationError",
            "fields": [
                {"path": ["period", "end"], "message": "The end must come after the start."}
            ],
        }
        opened = await post(portal, TICKETS, filter={"opened": backwards})
        assert opened["data"] is None
        assert [e["message"] for e in opened["errors"]] == [
            "filter.opened.end: The end must come after the start."
        ]
        opened = await post(portal, TICKETS, filter={"opened": too_long})
        assert [e["message"] for e in opened["errors"]] == [
            "filter.opened: A period covers at most 366 days."
        ]
        fine = await gql(
            portal,
            TICKETS,
            filter={"opened": {"start": "2020-01-01T00:00:00Z", "end": "2020-12-31T00:00:00Z"}},
        )
        assert fine["tickets"] == []
