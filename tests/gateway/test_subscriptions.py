"""Subscriptions end to end (ADR 0220, 0221): real clients against real gateway processes.

On PostgreSQL two processes share the database, once with LISTEN/NOTIFY and once with Redis
pub/sub: changes are made through the writer, subscribers connect to the reader. On SQLite
one process is both. Every wait is for an event (or a metric the server exposes), never a
sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import exists, select

from domain import models as m
from domain.db import create_engine, session_factory
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus
from gateway.schema.base import to_global_id
from tests.databases import backend
from tests.gateway.helpers import token
from tests.gateway.realtime_support import (
    SseClient,
    WsClient,
    graphql,
    metric,
    open_subscriptions,
    subscriber,
    until,
    wait_ready,
)
from tests.gateway.serving import Served, gateway_serve
from tests.gateway.tv_support import SimulatorServer, running_simulator, seeded_database
from tests.servers import throwaway_redis

BROKERS = ["postgres", "redis"] if backend() == "postgresql" else ["memory"]
QUEUE = 4  # events a subscriber may leave unread

PLAN_CHANGED = """subscription ($customer: ID, $plan: ID) {
  planChanged(customerId: $customer, planId: $plan) {
    id databaseId status inactiveReason speedState customer { id name } } }"""
TICKET_CHANGED = """subscription ($customer: ID) {
  ticketChanged(customerId: $customer) { id protocol status type } }"""
RECEIVABLE_CHANGED = """subscription ($customer: ID) {
  receivableChanged(customerId: $customer) { id amount status boletos { ourNumber } } }"""
TV_SYNC = """subscription ($plan: ID!) { tvSyncChanged(planId: $plan) {
  __typename ... on TvPoint { id syncState syncError platformDeviceId location { name } }
  ... on TvPackageSubscription { id syncState } } }"""
OUTBOX = "subscription { outboxDelivery { id topic status attempts lastError } }"
CHANGE_STATUS = """mutation ($input: ChangePlanStatusInput!) { changePlanStatus(input: $input) {
  __typename } }"""
OPEN_TICKET = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) {
  __typename ... on OpenTicketSuccess { ticket { id } } } }"""
BUY_SMS = """mutation ($input: PurchaseSmsCreditsInput!) { purchaseSmsCredits(input: $input) {
  __typename ... on PurchaseSmsCreditsSuccess { receivable { id } } } }"""
ADD_POINT = """mutation ($input: AddTvPointInput!) { addTvPoint(input: $input) {
  __typename ... on AddTvPointSuccess { tvPoint { id syncState } } } }"""


@dataclass
class World:
    url: str  # the database's
    writer: Served
    reader: Served
    simulator: SimulatorServer
    plans: list[tuple[int, int]]  # (customer id, plan id) of active non-TV plans, one each
    tv_plan: tuple[int, int]
    casns: list[str]
    location: int
    sms_values: list[int]  # a purchase repeated within 60 s answers the first: one each

    def plan(self, index: int) -> tuple[str, str]:
        customer, plan = self.plans[index]
        return to_global_id("Customer", customer), to_global_id("Plan", plan)


def _facts(url: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                rows = (
                    await session.execute(
                        select(m.Plan.customer_id, m.Plan.id, m.PlanOffer.is_tv_offer)
                        .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
                        .where(m.Plan.status == PlanStatus.ACTIVE)
                        .order_by(m.Plan.id)
                    )
                ).all()
                casns = list(
                    await session.scalars(
                        select(m.Equipment.casn)
                        .where(~exists().where(m.TvPoint.equipment_id == m.Equipment.id))
                        .order_by(m.Equipment.id)
                        .limit(3)
                    )
                )
                location = await session.scalar(select(m.TvPointLocation.id).limit(1))
                sms_values = list(
                    await session.scalars(select(m.SmsCreditValue.id).order_by(m.SmsCreditValue.id))
                )
        finally:
            await engine.dispose()
        plans: dict[int, int] = {}
        tv_plan = None
        for customer, plan, is_tv in rows:
            if is_tv and tv_plan is None:
                tv_plan = (customer, plan)
            elif not is_tv and customer not in plans:
                plans[customer] = plan
        assert tv_plan is not None and len(plans) >= 3 and casns
        pairs = [(c, p) for c, p in plans.items() if c != tv_plan[0]]
        return {
            "plans": pairs,
            "tv_plan": tv_plan,
            "casns": casns,
            "location": location,
            "sms_values": sms_values,
        }

    return asyncio.run(read())


@pytest.fixture(scope="module", params=BROKERS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    broker = request.param
    logs = tmp_path_factory.mktemp(f"realtime-{broker}")
    with (
        seeded_database(customers=8, seed=7) as url,
        running_simulator() as simulator,
        contextlib.ExitStack() as stack,
    ):
        environment = {
            "GATEWAY_REALTIME_BROKER": broker,
            "GATEWAY_JWT_LEEWAY": "0",
            "GATEWAY_SUBSCRIPTION_QUEUE": str(QUEUE),
            "GATEWAY_SUBSCRIPTIONS_PER_CONNECTION": "3",
            "GATEWAY_SUBSCRIPTIONS_PER_IDENTITY": "4",
            "GATEWAY_TV_PLATFORM_URL": simulator.url,
            "GATEWAY_OUTBOX_POLL_SECONDS": "0.2",
        }
        if broker == "redis":
            environment["GATEWAY_REDIS_URL"] = stack.enter_context(throwaway_redis()).url
        writer = stack.enter_context(
            gateway_serve(url, logs, GATEWAY_OUTBOX_WORKER="in-process", **environment)
        )
        reader = writer
        if backend() == "postgresql":
            reader = stack.enter_context(gateway_serve(url, logs, **environment))
        for served in {writer.url: writer, reader.url: reader}.values():
            wait_ready(served.url)
        yield World(url, writer, reader, simulator, **_facts(url))
        for served in (writer, reader):
            assert "Traceback" not in served.logs(), served.logs()[-3000:]


@pytest.fixture
async def world_settled(world: World) -> World:
    """The world with no subscription of an earlier test still open."""
    await open_subscriptions(world.reader.url, 0)
    return world


async def _suspend(world: World, plan: str, *, back: bool = False) -> None:
    values = {"planId": plan, "status": "ACTIVE"}
    if not back:
        values.update(status="INACTIVE", inactiveReason="SUSPENDED")
    result = await graphql(world.writer.url, CHANGE_STATUS, input=values)
    assert result["changePlanStatus"]["__typename"] == "PlanChangeSuccess", result


@pytest.mark.parametrize("protocol", ["ws", "sse"])
async def test_each_change_made_through_one_process_reaches_a_subscriber_on_the_other(
    world_settled: World, protocol: str
) -> None:
    world = world_settled
    customer, plan = world.plan(0)
    customer_id = world.plans[0][0]
    app = subscriber(customer_id)
    async with contextlib.AsyncExitStack() as stack:
        if protocol == "ws":
            client = await stack.enter_async_context(WsClient.connected(world.reader.url, app))
            await client.acked()
            await client.subscribe("plan", PLAN_CHANGED, plan=plan)
            await client.subscribe("ticket", TICKET_CHANGED)
            await client.subscribe("receivable", RECEIVABLE_CHANGED)

            async def event(name: str) -> dict[str, Any]:
                return await client.next(name)
        else:
            streams = {
                name: await stack.enter_async_context(
                    SseClient.subscribed(world.reader.url, query, app, **variables)
                )
                for name, query, variables in (
                    ("plan", PLAN_CHANGED, {"plan": plan}),
                    ("ticket", TICKET_CHANGED, {}),
                    ("receivable", RECEIVABLE_CHANGED, {}),
                )
            }

            async def event(name: str) -> dict[str, Any]:
                return await streams[name].next()

        await open_subscriptions(world.reader.url, 3)

        await _suspend(world, plan)
        changed = (await event("plan"))["data"]["planChanged"]
        assert changed["id"] == plan
        assert (changed["status"], changed["inactiveReason"]) == ("INACTIVE", "SUSPENDED")
        assert changed["speedState"] == "REDUCED"
        assert changed["customer"]["id"] == customer
        await _suspend(world, plan, back=True)
        assert (await event("plan"))["data"]["planChanged"]["status"] == "ACTIVE"

        opened = await graphql(
            world.writer.url,
            OPEN_TICKET,
            app,
            input={"type": "Lentidão", "description": "A internet está lenta desde ontem."},
        )
        ticket = (await event("ticket"))["data"]["ticketChanged"]
        assert ticket["id"] == opened["openTicket"]["ticket"]["id"]
        assert (ticket["status"], ticket["type"]) == ("OPEN", "Lentidão")

        bought = await graphql(
            world.writer.url,
            BUY_SMS,
            app,
            input={"planId": plan, "creditValueId": str(world.sms_values[protocol == "sse"])},
        )
        receivable = (await event("receivable"))["data"]["receivableChanged"]
        assert receivable["id"] == bought["purchaseSmsCredits"]["receivable"]["id"]
        assert len(receivable["boletos"]) == 1


async def test_a_subscriber_follows_its_tv_point_from_pending_to_synced(
    world_settled: World,
) -> None:
    """docs/realtime.md's flow: the app follows its plan's TV; staff watch the outbox."""
    world = world_settled
    customer_id, plan_id = world.tv_plan
    plan = to_global_id("Plan", plan_id)
    app = subscriber(customer_id)
    staff = Identity.staff("tv-desk", Permission.TV_PACKAGES)
    # The platform fails the first call: the point stays PENDING, with the error, until the
    # retry reaches it.
    world.simulator.reset()
    world.simulator.state.faults.status, world.simulator.state.faults.count = 503, 1
    casn = world.casns[0]
    async with (
        WsClient.connected(world.reader.url, app) as phone,
        SseClient.subscribed(world.reader.url, OUTBOX, staff) as desk,
    ):
        await phone.acked()
        await phone.subscribe("tv", TV_SYNC, plan=plan)
        await open_subscriptions(world.reader.url, 2)

        added = await graphql(
            world.writer.url,
            ADD_POINT,
            staff,
            input={"planId": plan, "locationId": str(world.location), "casn": casn},
        )
        point = added["addTvPoint"]["tvPoint"]
        states = []
        while not states or states[-1]["syncState"] != "SYNCED":
            event = (await phone.next("tv"))["data"]["tvSyncChanged"]
            assert event["__typename"] == "TvPoint" and event["id"] == point["id"], event
            states.append(event)
        seen = [s["syncState"] for s in states]
        assert seen[0] == "PENDING" and set(seen) == {"PENDING", "SYNCED"}, seen
        assert seen == sorted(seen, key=["PENDING", "SYNCED"].index), "never back to PENDING"
        assert any("503" in (s["syncError"] or "") for s in states[:-1]), states
        synced = states[-1]
        assert synced["syncError"] is None
        # The platform has the box the app was told about.
        device = world.simulator.state.devices[synced["platformDeviceId"]]
        assert device["casn"] == casn

        # The desk saw the message written, fail once, then delivered.
        statuses = []
        while "DELIVERED" not in statuses:
            message = (await desk.next())["data"]["outboxDelivery"]
            assert message["topic"] == "tv.point.add", message
            statuses.append(message["status"])
        assert statuses[0] == "PENDING" and statuses[-1] == "DELIVERED", statuses


async def test_a_subscriber_never_receives_another_customers_events(
    world_settled: World,
) -> None:
    world = world_settled
    (mine, _my_plan), (theirs, their_plan_id) = world.plans[1], world.plans[2]
    their_plan = to_global_id("Plan", their_plan_id)
    withheld = {"field": "planChanged"}
    before = metric(world.reader.url, "gateway_subscription_events_withheld_total", **withheld)
    async with (
        WsClient.connected(world.reader.url, subscriber(mine)) as nosy,
        WsClient.connected(world.reader.url) as staff,
    ):
        await nosy.acked()
        await staff.acked()
        # The subscriber asks for the other customer's plan, by its id and by the customer.
        await nosy.subscribe("by-plan", PLAN_CHANGED, plan=their_plan)
        await nosy.subscribe("by-customer", PLAN_CHANGED, customer=str(theirs))
        await nosy.subscribe("own", PLAN_CHANGED)
        await staff.subscribe("all", PLAN_CHANGED, plan=their_plan)
        await open_subscriptions(world.reader.url, 4)

        await _suspend(world, their_plan)
        assert (await staff.next("all"))["data"]["planChanged"]["id"] == their_plan
        # The subscriber's by-plan subscription read the row with its own scope and sent
        # nothing; by-customer follows its own customer only.
        await until(
            lambda: (
                metric(world.reader.url, "gateway_subscription_events_withheld_total", **withheld)
                >= before + 1
            ),
            "the event withheld",
        )
        await _suspend(world, their_plan, back=True)
        await staff.next("all")
        # Its own plan changes: that is the first (and only) event it receives.
        _customer, own_plan = world.plan(1)
        await _suspend(world, own_plan)
        message = await nosy.receive()
        assert message["id"] == "own", message
        assert message["payload"]["data"]["planChanged"]["id"] == own_plan
        await _suspend(world, own_plan, back=True)
        message = await nosy.receive()
        assert message["id"] == "own", message
        assert mine != theirs


async def test_a_refused_mutation_sends_nothing(world_settled: World) -> None:
    world = world_settled
    _customer, plan = world.plan(0)
    async with WsClient.connected(world.reader.url) as staff:
        await staff.acked()
        await staff.subscribe("plan", PLAN_CHANGED, plan=plan)
        await open_subscriptions(world.reader.url, 1)
        # Refused after reading the plan: nothing changed, nothing is announced.
        refused = await graphql(
            world.writer.url, CHANGE_STATUS, input={"planId": plan, "status": "INACTIVE"}
        )
        assert refused["changePlanStatus"]["__typename"] != "PlanChangeSuccess"
        # The next event is the next committed change: commit order is kept per customer.
        await _suspend(world, plan)
        changed = (await staff.next("plan"))["data"]["planChanged"]
        assert changed["status"] == "INACTIVE"
        await _suspend(world, plan, back=True)
        assert (await staff.next("plan"))["data"]["planChanged"]["status"] == "ACTIVE"


async def test_an_expiring_token_closes_the_subscription(world_settled: World) -> None:
    world = world_settled
    customer_id = world.plans[0][0]
    short = token(subscriber(customer_id), lifetime=3)
    async with WsClient.connected(world.reader.url, bearer=short) as phone:
        await phone.acked()
        await phone.subscribe("plan", PLAN_CHANGED)
        code, reason = await phone.closed()
        assert code == 4401 and "expired" in (reason or ""), (code, reason)

    headers = {"accept": "text/event-stream", "authorization": f"Bearer {short}"}
    async with httpx.AsyncClient(timeout=30) as client:
        # Expired by now: refused before any stream opens.
        response = await client.post(
            f"{world.reader.url}/graphql", json={"query": PLAN_CHANGED}, headers=headers
        )
        assert response.status_code == 401, response.text
    headers["authorization"] = f"Bearer {token(subscriber(customer_id), lifetime=3)}"
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as client,
        client.stream(
            "POST", f"{world.reader.url}/graphql", json={"query": PLAN_CHANGED}, headers=headers
        ) as response,
    ):
        assert response.status_code == 200
        stream = SseClient(response.aiter_lines(), response)
        kind, payload = await stream.event()
        assert kind == "next" and payload["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await stream.event())[0] == "complete"


async def test_a_slow_consumer_is_cut_off_while_the_others_keep_receiving(
    world_settled: World,
) -> None:
    world = world_settled
    customer_id = world.plans[0][0]
    # Each event is large (the description, many times over), so that a phone that stops
    # reading fills the sockets' buffers within a few events.
    big = (
        "subscription ($c: ID) { ticketChanged(customerId: $c) { id "
        + " ".join(f"d{i}: description" for i in range(14))
        + " } }"
    )
    cut = {"reason": "slow_consumer"}
    before = metric(world.reader.url, "gateway_subscriptions_closed_total", **cut)
    app = subscriber(customer_id)
    async with (
        WsClient.connected(world.reader.url, app, small_buffers=True) as slow,
        WsClient.connected(world.reader.url, app) as fast,
    ):
        await slow.acked()
        await fast.acked()
        await slow.subscribe("t", big)
        await fast.subscribe("t", big)
        await open_subscriptions(world.reader.url, 2)
        description = "Sem sinal. " * 360
        for _attempt in range(200):
            await graphql(
                world.writer.url,
                OPEN_TICKET,
                app,
                input={"type": "Sem sinal", "description": description},
            )
            await fast.next("t")  # the fast one gets every event, the slow one reads none
            if metric(world.reader.url, "gateway_subscriptions_closed_total", **cut) > before:
                break
        else:
            raise AssertionError("the slow consumer was never cut off")
        # The others keep receiving.
        opened = await graphql(
            world.writer.url,
            OPEN_TICKET,
            app,
            input={"type": "Sem sinal", "description": "ainda sem sinal"},
        )
        assert (await fast.next("t"))["data"]["ticketChanged"]["id"] == (
            opened["openTicket"]["ticket"]["id"]
        )
        # The slow one, reading at last, finds its connection closed with the code.
        code, reason = await slow.closed()
        assert code == 4008 and "Slow consumer" in (reason or ""), (code, reason)


async def test_the_protocol_refusals(world_settled: World) -> None:
    world = world_settled
    from websockets.asyncio.client import connect

    url = world.reader.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, open_timeout=30) as bare:  # no subprotocol
        with pytest.raises(Exception) as closed:
            await asyncio.wait_for(bare.recv(), 30)
        assert closed.value.rcvd.code == 4406  # type: ignore[attr-defined]
    async with WsClient.connected(world.reader.url, bearer="not-a-token") as refused:
        code, reason = await refused.closed()
        assert code == 4403 and "Forbidden" in (reason or "")

    async with WsClient.connected(world.reader.url) as staff:
        await staff.acked()
        await staff.subscribe("q", "{ banks { code } }")
        message = await staff.receive()
        assert message["type"] == "error" and message["id"] == "q"
        assert "Only subscriptions" in message["payload"][0]["message"]
        deep = (
            "subscription { planChanged { customer { plans { customer { plans { customer { "
            "plans { customer { plans { customer { plans { id } } } } } } } } } } } }"
        )
        await staff.subscribe("deep", deep)
        message = await staff.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        await staff.subscribe("none", "subscription { planChanged @skip(if: true) { id } }")
        message = await staff.receive()
        assert message["type"] == "error" and message["id"] == "none", message
        await staff.subscribe("outbox-ok", OUTBOX)
        for index in range(2):
            await staff.subscribe(f"s{index}", PLAN_CHANGED)
        await staff.subscribe("one-too-many", PLAN_CHANGED)
        message = await staff.receive()
        assert message["type"] == "error" and message["id"] == "one-too-many"
        assert message["payload"][0]["extensions"]["limit"] == "subscriptions per connection"
        await staff.subscribe("s0", PLAN_CHANGED)
        code, _reason = await staff.closed()
        assert code == 4409

    no_tv = Identity.staff("clerk", Permission.CUSTOMER_ADMIN)
    async with WsClient.connected(world.reader.url, no_tv) as clerk:
        await clerk.acked()
        await clerk.subscribe("tv", TV_SYNC, plan="1")
        message = await clerk.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["permission"] == "TV_PACKAGES"


async def test_an_identity_holds_at_most_its_limit_of_subscriptions(world_settled: World) -> None:
    world = world_settled
    app = subscriber(world.plans[3][0] if len(world.plans) > 3 else world.plans[0][0])
    async with (
        WsClient.connected(world.reader.url, app) as first,
        WsClient.connected(world.reader.url, app) as second,
    ):
        await first.acked()
        await second.acked()
        for index in range(3):
            await first.subscribe(f"a{index}", PLAN_CHANGED)
        await second.subscribe("b0", PLAN_CHANGED)
        await open_subscriptions(world.reader.url, 4)
        await second.subscribe("b1", PLAN_CHANGED)
        message = await second.receive()
        assert message["type"] == "error" and message["id"] == "b1", message
        assert message["payload"][0]["extensions"]["limit"] == "subscriptions per identity"
        headers = {"accept": "text/event-stream", "authorization": f"Bearer {token(app)}"}
        async with httpx.AsyncClient(timeout=30) as client:
            refused = await client.post(
                f"{world.reader.url}/graphql", json={"query": PLAN_CHANGED}, headers=headers
            )
        assert refused.status_code == 429, refused.text
        # Completing one gives its place back.
        await second.ws.send('{"id": "b0", "type": "complete"}')
        await open_subscriptions(world.reader.url, 3)
        await second.subscribe("b2", PLAN_CHANGED)
        await open_subscriptions(world.reader.url, 4)


async def test_the_compiled_and_standard_paths_send_the_same_event(world_settled: World) -> None:
    world = world_settled
    _customer, plan = world.plan(2)
    async with (
        WsClient.connected(world.reader.url) as compiled,
        WsClient.connected(world.reader.url, init={"executor": "standard"}) as standard,
    ):
        await compiled.acked()
        await standard.acked()
        await compiled.subscribe("p", PLAN_CHANGED, plan=plan)
        await standard.subscribe("p", PLAN_CHANGED, plan=plan)
        await open_subscriptions(world.reader.url, 2)
        await _suspend(world, plan)
        one, other = await compiled.next("p"), await standard.next("p")
        assert one == other and one["data"]["planChanged"]["status"] == "INACTIVE"
        await _suspend(world, plan, back=True)
        assert await compiled.next("p") == await standard.next("p")
    sent = metric(world.reader.url, "gateway_subscription_events_total", executor="standard")
    assert sent >= 2


async def test_a_stopping_process_closes_its_sockets_with_1001(
    world_settled: World, tmp_path: Path
) -> None:
    with gateway_serve(world_settled.url, tmp_path) as served:
        await asyncio.to_thread(wait_ready, served.url)
        async with WsClient.connected(served.url) as client:
            await client.acked()
            await client.subscribe("p", PLAN_CHANGED)
            await open_subscriptions(served.url, 1)
            served.process.send_signal(signal.SIGTERM)
            code, _reason = await client.closed()
        assert code == 1001
        assert await asyncio.to_thread(served.process.wait, 30) in (0, -15)
