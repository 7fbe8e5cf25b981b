"""Faturamento TV over HTTP as the billing clerk: Carregar (the preview), then Salvar (the run).

Manual 002: "inserir o Vencimento e Carregar, após gerar a listagem deverá clicar em Salvar".
The preview lists exactly what the run then creates and writes nothing; the run stays
idempotent, also when two of them overlap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import seeded_database

# Faturamento reads each line's package, so the clerk also holds TV_PACKAGES (ADR 0081).
BILLING_CLERK = Identity.staff("faturamento", Permission.BILLING, Permission.TV_PACKAGES)
TV_CLERK = Identity.staff("tv-clerk", Permission.TV_PACKAGES)

PREVIEW = """
query ($d: Date!) { tvBillingPreview(dueDate: $d) {
  __typename
  ... on TvBillingPreview {
    dueDate total alreadyBilled
    lines { amount plan { databaseId customer { name } } tvPackage { databaseId value
            package { name } } }
  }
  ... on NotAllowed { permission }
  ... on ValidationError { fields { path message } }
} }
"""
RUN = """
mutation ($d: Date!) { runTvBilling(input: {dueDate: $d}) {
  __typename
  ... on RunTvBillingSuccess {
    alreadyBilled created { amount plan { databaseId } tvPackage { databaseId } }
  }
  ... on Conflict { message }
} }
"""


@pytest.fixture(scope="module")
def billing_database_url() -> Iterator[str]:
    with seeded_database(customers=40, seed=5) as url:
        yield url


@pytest.fixture
async def app(billing_database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(test_settings(billing_database_url, outbox_worker="off"))
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: Starlette, identity: Identity) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers=bearer(identity),
    )


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def next_due(today: dt.date, day: int) -> dt.date:
    if today.day <= day:
        return today.replace(day=day)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return dt.date(year, month, day)


async def _extras_due(app: Starlette, index: int) -> dt.date:
    """The TV clerk adds every extra package to the active TV plans of one due day (the
    index-th such day); returns that day's next due date."""
    async with app.state.runtime.sessions() as session:
        plans = (
            await session.execute(
                select(m.Plan.id, m.Plan.due_day)
                .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
                .where(m.PlanOffer.is_tv_offer.is_(True), m.Plan.status == PlanStatus.ACTIVE)
                .order_by(m.Plan.due_day, m.Plan.id)
            )
        ).all()
        extras = list(
            await session.scalars(
                select(m.TvPackage.id).where(m.TvPackage.is_extra.is_(True), m.TvPackage.value > 0)
            )
        )
    day = sorted({due_day for _, due_day in plans})[index]
    due = next_due(dt.date.today(), day)
    async with client_for(app, TV_CLERK) as tv_clerk:
        for plan_id, due_day in plans:
            if due_day != day:
                continue
            for package_id in extras:
                added = await gql(
                    tv_clerk,
                    """mutation ($input: AddTvPackageInput!) { addTvPackage(input: $input) {
                         __typename } }""",
                    input={
                        "planId": gid("Plan", plan_id),
                        "packageId": gid("TvPackage", package_id),
                        "startDate": dt.date.today().isoformat(),
                    },
                )
                assert added["addTvPackage"]["__typename"] in (
                    "AddTvPackageSuccess",
                    "RuleViolation",  # the seed gave the plan this package already
                )
    return due


async def _events(app: Starlette) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(m.BillingEvent)) or 0)


def _lines(preview: dict[str, Any]) -> list[tuple[int, int, str]]:
    return sorted(
        (line["plan"]["databaseId"], line["tvPackage"]["databaseId"], line["amount"])
        for line in preview["lines"]
    )


async def test_the_preview_lists_what_the_run_then_creates_and_writes_nothing(
    app: Starlette,
) -> None:
    due = (await _extras_due(app, 0)).isoformat()
    async with client_for(app, BILLING_CLERK) as clerk:
        events = await _events(app)
        preview = (await gql(clerk, PREVIEW, d=due))["tvBillingPreview"]
        assert preview["__typename"] == "TvBillingPreview" and preview["dueDate"] == due
        assert preview["lines"], "the seed has plans with charged extras on that day"
        assert all(line["amount"] == line["tvPackage"]["value"] for line in preview["lines"])
        assert all(line["plan"]["customer"]["name"] for line in preview["lines"])
        amounts = [Decimal(line["amount"]) for line in preview["lines"]]
        assert Decimal(preview["total"]) == sum(amounts)
        assert await _events(app) == events, "the preview wrote nothing"
        again = (await gql(clerk, PREVIEW, d=due))["tvBillingPreview"]
        assert again == preview

        run = (await gql(clerk, RUN, d=due))["runTvBilling"]
        created = sorted(
            (e["plan"]["databaseId"], e["tvPackage"]["databaseId"], e["amount"])
            for e in run["created"]
        )
        assert created == _lines(preview)
        assert run["alreadyBilled"] == preview["alreadyBilled"]

        after = (await gql(clerk, PREVIEW, d=due))["tvBillingPreview"]
        assert after["lines"] == [] and after["total"] == "0.00"
        assert after["alreadyBilled"] == preview["alreadyBilled"] + len(preview["lines"])
        rerun = (await gql(clerk, RUN, d=due))["runTvBilling"]
        assert rerun["created"] == [] and rerun["alreadyBilled"] == after["alreadyBilled"]

    async with client_for(app, TV_CLERK) as tv_clerk:
        refused = (await gql(tv_clerk, PREVIEW, d=due))["tvBillingPreview"]
        assert refused == {"__typename": "NotAllowed", "permission": "BILLING"}


async def test_two_overlapping_runs_both_succeed_and_bill_once(app: Starlette) -> None:
    """A retried job and an operator at once: the second run waits for the first and finds
    its events (ADR 0062), instead of tripping over the unique key."""
    due = (await _extras_due(app, 1)).isoformat()
    async with client_for(app, BILLING_CLERK) as clerk:
        preview = (await gql(clerk, PREVIEW, d=due))["tvBillingPreview"]
        assert preview["lines"]
        first, second = await asyncio.gather(gql(clerk, RUN, d=due), gql(clerk, RUN, d=due))
    runs = [first["runTvBilling"], second["runTvBilling"]]
    assert [r["__typename"] for r in runs] == ["RunTvBillingSuccess"] * 2, runs
    created = sorted(
        (e["plan"]["databaseId"], e["tvPackage"]["databaseId"], e["amount"])
        for r in runs
        for e in r["created"]
    )
    assert created == _lines(preview)
