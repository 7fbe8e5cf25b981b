"""A cancelled plan's login and mailbox become free again (ADR 0104), over HTTP as the clerk:
at once for the same customer's new plan, for anyone else only after the quarantine that the
system variable `released_login_quarantine_days` sets (never, while it is unset)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, exists, select
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import CustomerKind, ReceivableStatus
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import seeded_database

PLAN_CLERK = Identity.staff("plan-clerk", Permission.PLAN_ADMIN)
ADD = """mutation ($input: AddPlanInput!) { addPlan(input: $input) {
  __typename
  ... on AddPlanSuccess { radiusLogin emailAddress plan { id } }
  ... on ValidationError { fields { path message } } } }"""
CANCEL = """mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) { __typename } }"""
SERVICES = """query ($id: ID!) { node(id: $id) { ... on Plan { status
  services { kind status ... on RadiusLogin { login } ... on EmailAccount { address } } } } }"""


@pytest.fixture(scope="module")
def logins_database_url() -> Iterator[str]:
    with seeded_database(customers=20, seed=17) as url:
        yield url


@pytest.fixture
async def app(logins_database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(test_settings(logins_database_url, outbox_worker="off"))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def clerk(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = bearer(PLAN_CLERK)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=headers
    ) as client:
        yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def customers(app: Starlette) -> list[dict[str, Any]]:
    """Customers the registration rules accept, with an address each, and an internet offer
    with e-mail and a login."""
    async with app.state.runtime.sessions() as session:
        overdue = exists().where(
            m.Receivable.customer_id == m.Customer.id,
            m.Receivable.status == ReceivableStatus.OPEN,
            m.Receivable.due_date < dt.date.today(),
        )
        rows = (
            await session.scalars(
                select(m.Customer)
                .where(
                    m.Customer.kind == CustomerKind.PERSON,
                    m.Customer.email.is_not(None),
                    m.Customer.phone.is_not(None),
                    ~overdue,
                )
                .order_by(m.Customer.id)
                .limit(2)
            )
        ).all()
        offer = await session.scalar(
            select(m.PlanOffer.id)
            .join(m.PlanOfferServiceKind, m.PlanOfferServiceKind.offer_id == m.PlanOffer.id)
            .where(
                m.PlanOffer.is_tv_offer.is_(False),
                m.PlanOffer.active.is_(True),
                m.PlanOffer.requires_domain.is_(False),
                m.PlanOfferServiceKind.kind == "EMAIL",
            )
            .order_by(m.PlanOffer.id)
            .limit(1)
        )
        found = []
        for customer in rows:
            address = await session.scalar(
                select(m.Address.id).where(m.Address.customer_id == customer.id).limit(1)
            )
            found.append({"id": customer.id, "address": address, "offer": offer})
    assert len(found) == 2 and offer is not None
    return found


def wizard(customer: dict[str, Any], login: str) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", customer["id"]),
        "offerId": gid("PlanOffer", customer["offer"]),
        "installationAddress": {"addressId": gid("Address", customer["address"])},
        "radiusLogin": {"login": login, "password": "S3nha!Forte#2026"},
        "email": {"login": login, "password": "Outra$Senha99!"},
        "billing": {"paymentMethod": "BOLETO", "dueDay": 5},
    }


async def set_quarantine(app: Starlette, days: str | None) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        key = "released_login_quarantine_days"
        await session.execute(delete(m.SystemVariable).where(m.SystemVariable.key == key))
        if days is not None:
            session.add(m.SystemVariable(key=key, value=days, description="test"))


async def test_the_same_customer_takes_its_cancelled_plans_login_and_mailbox_back(
    app: Starlette, clerk: httpx.AsyncClient
) -> None:
    await set_quarantine(app, None)
    ana, other = await customers(app)
    first = (await gql(clerk, ADD, input=wizard(ana, "ana.mudou")))["addPlan"]
    assert first["__typename"] == "AddPlanSuccess", first
    address = first["emailAddress"]
    # While the plan lives, its names are taken, for its own customer too.
    taken = (await gql(clerk, ADD, input=wizard(ana, "ana.mudou")))["addPlan"]
    assert {tuple(f["path"]) for f in taken["fields"]} == {
        ("radiusLogin", "login"),
        ("email", "login"),
    }
    cancelled = await gql(
        clerk, CANCEL, input={"planId": first["plan"]["id"], "reason": "Troca de plano"}
    )
    assert cancelled["cancelPlan"]["__typename"] == "CancelPlanSuccess"

    # Another customer may not have them (no quarantine configured: never).
    refused = (await gql(clerk, ADD, input=wizard(other, "ana.mudou")))["addPlan"]
    assert refused["__typename"] == "ValidationError", refused
    assert {f["message"] for f in refused["fields"]} >= {"is taken"}

    again = (await gql(clerk, ADD, input=wizard(ana, "ana.mudou")))["addPlan"]
    assert again["__typename"] == "AddPlanSuccess", again
    assert (again["radiusLogin"], again["emailAddress"]) == ("ana.mudou", address)
    old = (await gql(clerk, SERVICES, id=first["plan"]["id"]))["node"]
    names = {
        s["kind"]: s.get("login") or s.get("address")
        for s in old["services"]
        if s["kind"] in ("RADIUS_LOGIN", "EMAIL")
    }
    assert names["RADIUS_LOGIN"].startswith("ana.mudou~")
    assert names["EMAIL"].startswith("ana.mudou~") and names["EMAIL"].endswith(
        address.split("@")[1]
    )


async def test_another_customer_waits_for_the_quarantine(
    app: Starlette, clerk: httpx.AsyncClient
) -> None:
    first_owner, second_owner = await customers(app)
    plan = (await gql(clerk, ADD, input=wizard(first_owner, "bruno.saiu")))["addPlan"]
    assert plan["__typename"] == "AddPlanSuccess", plan
    await gql(clerk, CANCEL, input={"planId": plan["plan"]["id"], "reason": "Mudou de cidade"})

    await set_quarantine(app, "30")  # cancelled today: 30 days to go
    early = (await gql(clerk, ADD, input=wizard(second_owner, "bruno.saiu")))["addPlan"]
    assert early["__typename"] == "ValidationError", early

    await set_quarantine(app, "0")  # the ISP releases names at once
    later = (await gql(clerk, ADD, input=wizard(second_owner, "bruno.saiu")))["addPlan"]
    assert later["__typename"] == "AddPlanSuccess", later
    await set_quarantine(app, None)
