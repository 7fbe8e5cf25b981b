"""A TV plan's life over HTTP, as the staff who sell and cancel it, against the TV simulator.

A fresh database (real commits, the app's own sessions); the outbox worker is run by the test
(`gateway worker --once` would do the same), so each step shows what the platform holds after
the worker delivered: addPlan on a TV offer provisions the subscriber and its default package,
cancelPlan takes every package and box off the platform.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import exists, select
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import CustomerKind, OutboxStatus, ReceivableStatus
from domain.ports.tv_platform import HttpTvPlatform
from gateway.http.app import create_app
from gateway.worker.outbox import DeliveryReport, OutboxWorker
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import SimulatorServer, running_simulator, seeded_database

CUSTOMERS = 20
# Who sells a TV plan, adds its boxes and cancels it (ADR 0100).
TV_SALES = Identity.staff("tv-sales", Permission.PLAN_ADMIN, Permission.TV_PACKAGES)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with running_simulator() as server:
        yield server


@pytest.fixture(scope="module")
def lifecycle_database_url() -> Iterator[str]:
    with seeded_database(customers=CUSTOMERS, seed=11) as url:
        yield url


@pytest.fixture
async def app(lifecycle_database_url: str, simulator: SimulatorServer) -> AsyncIterator[Starlette]:
    settings = test_settings(
        lifecycle_database_url, tv_platform_url=simulator.url, outbox_worker="off"
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=bearer(TV_SALES)
    ) as client:
        yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def run_worker(app: Starlette, simulator: SimulatorServer) -> DeliveryReport:
    """What `gateway worker --once` does: deliver everything due."""
    async with HttpTvPlatform(simulator.url, timeout=2.0) as platform:
        return await OutboxWorker(app.state.runtime.sessions, platform).drain()


async def _setup(app: Starlette) -> dict[str, Any]:
    """Ids a clerk would pick on screen: a customer the registration rules accept (a person
    with e-mail and phone, nothing overdue, no TV yet), one of its addresses, a TV offer with
    its default package, a spare box, a location and an extra package."""
    async with app.state.runtime.sessions() as session:
        overdue = exists().where(
            m.Receivable.customer_id == m.Customer.id,
            m.Receivable.status == ReceivableStatus.OPEN,
            m.Receivable.due_date < dt.date.today(),
        )
        on_platform = exists().where(
            m.ExtraField.customer_id == m.Customer.id, m.ExtraField.name == "ID Assinante"
        )
        customer = await session.scalar(
            select(m.Customer)
            .where(
                m.Customer.kind == CustomerKind.PERSON,
                m.Customer.email.is_not(None),
                m.Customer.phone.is_not(None),
                ~overdue,
                ~on_platform,
            )
            .order_by(m.Customer.id)
            .limit(1)
        )
        assert customer is not None
        address = await session.scalar(
            select(m.Address.id).where(m.Address.customer_id == customer.id).limit(1)
        )
        offer = await session.scalar(
            select(m.PlanOffer)
            .where(m.PlanOffer.is_tv_offer.is_(True), m.PlanOffer.active.is_(True))
            .order_by(m.PlanOffer.id)
            .limit(1)
        )
        assert offer is not None and offer.default_tv_package_id is not None
        default = await session.get_one(m.TvPackage, offer.default_tv_package_id)
        extra = await session.scalar(
            select(m.TvPackage).where(m.TvPackage.is_extra.is_(True)).order_by(m.TvPackage.id)
        )
        assert extra is not None
        casn = await session.scalar(
            select(m.Equipment.casn)
            .where(~exists().where(m.TvPoint.equipment_id == m.Equipment.id))
            .order_by(m.Equipment.id)
            .limit(1)
        )
        location = await session.scalar(select(m.TvPointLocation.id).order_by("id").limit(1))
    return {
        "customer_id": customer.id,
        "address_id": address,
        "offer_id": offer.id,
        "default_code": default.platform_code,
        "extra_id": extra.id,
        "extra_code": extra.platform_code,
        "casn": casn,
        "location_id": location,
    }


ADD_PLAN = """
mutation ($input: AddPlanInput!) { addPlan(input: $input) {
  __typename
  ... on AddPlanSuccess { plan { id tvPackages { isDefault syncState package { name } } } }
  ... on ValidationError { fields { path message } }
  ... on RuleViolation { rule message }
  ... on NotAllowed { permission }
} }
"""
PLAN = """
query ($id: ID!) { node(id: $id) { ... on Plan {
  status
  tvPackages { isDefault endDate syncState syncError package { name } }
  tvPoints { status syncState syncError platformDeviceId }
  customer { extraFields { name value } }
} } }
"""


def add_plan_input(ids: dict[str, Any], login: str) -> dict[str, Any]:
    return {
        "customerId": gid("Customer", ids["customer_id"]),
        "offerId": gid("PlanOffer", ids["offer_id"]),
        "installationAddress": {"addressId": gid("Address", ids["address_id"])},
        "radiusLogin": {"login": login, "password": "S3nha!Forte#2026"},
        "billing": {"paymentMethod": "BOLETO", "dueDay": 10},
    }


def platform_view(simulator: SimulatorServer, customer_id: int) -> tuple[dict[str, Any], list]:
    """The platform's subscriber for our customer, and the devices it holds for it."""
    (subscriber,) = [
        s for s in simulator.state.subscribers.values() if s["externalId"] == str(customer_id)
    ]
    devices = [d for d in simulator.state.devices.values() if d["subscriberId"] == subscriber["id"]]
    return subscriber, devices


async def test_a_tv_plan_reaches_the_platform_and_its_cancellation_leaves_nothing_there(
    app: Starlette, client: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    simulator.reset()
    ids = await _setup(app)

    # addPlan on a TV offer: the default package is queued, and the worker provisions it.
    added = (await gql(client, ADD_PLAN, input=add_plan_input(ids, "tvsale.lifecycle")))["addPlan"]
    assert added["__typename"] == "AddPlanSuccess", added
    plan_id = added["plan"]["id"]
    (default,) = added["plan"]["tvPackages"]
    assert default["isDefault"] and default["syncState"] == "PENDING"
    report = await run_worker(app, simulator)
    assert (report.delivered, report.failed, report.retrying) == (1, 0, 0), report

    subscriber, devices = platform_view(simulator, ids["customer_id"])
    assert set(subscriber["packages"]) == {ids["default_code"]}
    assert devices == []
    state = (await gql(client, PLAN, id=plan_id))["node"]
    assert [p["syncState"] for p in state["tvPackages"]] == ["SYNCED"]
    fields = {f["name"]: f["value"] for f in state["customer"]["extraFields"]}
    assert fields["ID Assinante"] == subscriber["id"]
    assert fields["Auth Pin Assinante"] == subscriber["authPin"]

    # A box and an extra package reach the platform too.
    point = await gql(
        client,
        """mutation ($input: AddTvPointInput!) { addTvPoint(input: $input) { __typename } }""",
        input={
            "planId": plan_id,
            "locationId": gid("TvPointLocation", ids["location_id"]),
            "casn": ids["casn"],
        },
    )
    assert point["addTvPoint"]["__typename"] == "AddTvPointSuccess", point
    extra = await gql(
        client,
        """mutation ($input: AddTvPackageInput!) { addTvPackage(input: $input) { __typename } }""",
        input={"planId": plan_id, "packageId": gid("TvPackage", ids["extra_id"])},
    )
    assert extra["addTvPackage"]["__typename"] == "AddTvPackageSuccess", extra
    assert (await run_worker(app, simulator)).delivered == 2
    subscriber, devices = platform_view(simulator, ids["customer_id"])
    assert set(subscriber["packages"]) == {ids["default_code"], ids["extra_code"]}
    assert [d["casn"] for d in devices] == [ids["casn"]]

    # cancelPlan: our rows end at once, the platform after the worker delivered.
    cancelled = await gql(
        client,
        """mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) {
             __typename
             ... on CancelPlanSuccess { endedTvPackages removedTvPoints { status } } } }""",
        input={"planId": plan_id, "reason": "Mudou de cidade"},
    )
    assert cancelled["cancelPlan"] == {
        "__typename": "CancelPlanSuccess",
        "endedTvPackages": 2,
        "removedTvPoints": [{"status": "REMOVED"}],
    }
    report = await run_worker(app, simulator)
    assert (report.delivered, report.failed, report.retrying) == (3, 0, 0), report

    subscriber, devices = platform_view(simulator, ids["customer_id"])
    assert subscriber["packages"] == {}
    assert devices == []
    state = (await gql(client, PLAN, id=plan_id))["node"]
    assert state["status"] == "CANCELLED"
    assert {(p["syncState"], p["endDate"] is not None) for p in state["tvPackages"]} == {
        ("SYNCED", True)
    }
    assert [(p["status"], p["syncState"]) for p in state["tvPoints"]] == [("REMOVED", "SYNCED")]
    async with app.state.runtime.sessions() as session:
        statuses = set(await session.scalars(select(m.OutboxMessage.status)))
    assert statuses == {OutboxStatus.DELIVERED}


async def test_cancelling_a_plan_whose_boxes_never_reached_the_platform_fails_nothing(
    app: Starlette, client: httpx.AsyncClient, simulator: SimulatorServer
) -> None:
    """Seeded TV plans carry device ids the fresh simulator never saw (data from before the
    integration): their removal is done, not a failed message."""
    simulator.reset()
    async with app.state.runtime.sessions() as session:
        plan_id = await session.scalar(
            select(m.TvPoint.plan_id)
            .join(m.Plan, m.Plan.id == m.TvPoint.plan_id)
            .where(m.TvPoint.status == "ACTIVE", m.Plan.status == "ACTIVE")
            .order_by(m.TvPoint.plan_id)
            .limit(1)
        )
    assert plan_id is not None
    cancelled = await gql(
        client,
        """mutation ($input: CancelPlanInput!) { cancelPlan(input: $input) {
             __typename ... on CancelPlanSuccess { removedTvPoints { status } } } }""",
        input={"planId": gid("Plan", plan_id), "reason": "Inadimplência"},
    )
    assert cancelled["cancelPlan"]["__typename"] == "CancelPlanSuccess"
    assert cancelled["cancelPlan"]["removedTvPoints"]
    report = await run_worker(app, simulator)
    assert report.delivered >= 2 and (report.failed, report.retrying) == (0, 0), report
    assert simulator.state.devices == {}
    assert all(not s["packages"] for s in simulator.state.subscribers.values())


PLAN_CLERK = Identity.staff("plan-clerk", Permission.PLAN_ADMIN)
VALIDATE = """
query ($input: AddPlanInput!) { validateAddPlan(input: $input) {
  __typename ... on NotAllowed { permission message } ... on AddPlanValid { missingSteps }
} }
"""


async def test_a_tv_offer_needs_tv_packages_and_cancelling_does_not(
    app: Starlette, simulator: SimulatorServer
) -> None:
    """ADR 0100: addPlan (and validateAddPlan) on a TV offer need TV_PACKAGES besides
    PLAN_ADMIN; other offers do not; cancelling a TV plan needs PLAN_ADMIN alone, and still
    ends its TV on the platform."""
    simulator.reset()
    ids = await _setup(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=bearer(PLAN_CLERK)
    ) as clerk:
        async with app.state.runtime.sessions() as session:
            plans_before = len(list(await session.scalars(select(m.Plan.id))))
            messages_before = len(list(await session.scalars(select(m.OutboxMessage.id))))
            internet = await session.scalar(
                select(m.PlanOffer.id)
                .where(m.PlanOffer.is_tv_offer.is_(False), m.PlanOffer.active.is_(True))
                .order_by(m.PlanOffer.id)
                .limit(1)
            )
        tv_input = add_plan_input(ids, "clerk.tv")
        refused = (await gql(clerk, ADD_PLAN, input=tv_input))["addPlan"]
        assert refused == {"__typename": "NotAllowed", "permission": "TV_PACKAGES"}
        checked = (await gql(clerk, VALIDATE, input=tv_input))["validateAddPlan"]
        assert checked["__typename"] == "NotAllowed" and checked["permission"] == "TV_PACKAGES"
        assert "TV offer" in checked["message"]
        async with app.state.runtime.sessions() as session:
            assert len(list(await session.scalars(select(m.Plan.id)))) == plans_before
            messages = len(list(await session.scalars(select(m.OutboxMessage.id))))
            assert messages == messages_before

        other = {**add_plan_input(ids, "clerk.internet"), "offerId": gid("PlanOffer", internet)}
        plain = await gql(
            clerk,
            """mutation ($input: AddPlanInput!) { addPlan(input: $input) { __typename } }""",
            input=other,
        )
        assert plain["addPlan"]["__typename"] == "AddPlanSuccess"

        # The TV clerk sells the TV plan; the plan clerk alone cancels it.
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers=bearer(TV_SALES)
        ) as sales:
            added = (await gql(sales, ADD_PLAN, input=add_plan_input(ids, "sales.tv")))["addPlan"]
        assert added["__typename"] == "AddPlanSuccess", added
        await run_worker(app, simulator)
        subscriber, _ = platform_view(simulator, ids["customer_id"])
        assert subscriber["packages"]
        cancelled = await gql(
            clerk,
            """mutation ($input: ChangePlanStatusInput!) { changePlanStatus(input: $input) {
                 __typename } }""",
            input={"planId": added["plan"]["id"], "status": "CANCELLED", "cancelReason": "Pedido"},
        )
        assert cancelled["changePlanStatus"]["__typename"] == "PlanChangeSuccess", cancelled
    report = await run_worker(app, simulator)
    assert (report.delivered, report.failed) == (1, 0), report
    subscriber, _ = platform_view(simulator, ids["customer_id"])
    assert subscriber["packages"] == {}
