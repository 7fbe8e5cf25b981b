"""The TV walk-through over HTTP, as docs/tv.md tells a newcomer, with the app's own worker.

A fresh database (real commits, the app's own sessions) and the simulator on a loopback port:
add a package and a point to a TV plan, see them reach the platform, send a command, move the
point, run the TV billing and the regular billing, and see the receivable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from domain.db import create_engine
from domain.seed import seed_database
from gateway.http.app import create_app
from tests.databases import fresh_database
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.tv_support import SimulatorServer, running_simulator

CUSTOMERS = 20


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with running_simulator() as server:
        yield server


@pytest.fixture(scope="module")
def tv_database_url() -> Iterator[str]:
    with fresh_database() as url:

        async def seed() -> None:
            engine = create_engine(url)
            try:
                await seed_database(engine, customers=CUSTOMERS, seed=7)
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


@pytest.fixture
async def app(tv_database_url: str, simulator: SimulatorServer) -> AsyncIterator[Starlette]:
    settings = test_settings(
        tv_database_url,
        tv_platform_url=simulator.url,
        tv_platform_timeout=2.0,
        outbox_worker="in-process",
        # Long enough that only the nudge of a commit can make the delivery this quick.
        outbox_poll_seconds=30.0,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=bearer()
    ) as client:
        yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def wait_for(client: httpx.AsyncClient, query: str, ready: Any, **variables: Any) -> Any:
    """Polls `query` until `ready(data)` is true (the worker delivers after commit); a loaded
    machine may take seconds, so it waits up to 20: less than the 30 s poll of the app's
    worker, so only the nudge of a commit delivers in time."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        data = await gql(client, query, **variables)
        if ready(data):
            return data
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not ready in time: {data}")
        await asyncio.sleep(0.05)


FIND_TV_PLAN = """
query ($offers: [ID!]) {
  customers(first: 50, filter: {offerId: $offers, planStatus: [ACTIVE]}) {
    edges { node { id plans(status: [ACTIVE]) {
      id dueDay offer { isTvOffer } tvPackages { package { isExtra } }
    } } }
  }
  planOffers { id isTvOffer }
  tvPackages(isExtra: true) { id name value channels { name number family } }
  tvPointLocations { id name }
}
"""
PLAN = """
query ($id: ID!) {
  node(id: $id) { ... on Plan {
    tvPackages { id value syncState syncError package { name } }
    tvPoints { id status syncState syncError platformDeviceId location { name }
               history { event detail } }
    customer { extraFields { name value } }
  } }
}
"""


async def test_a_newcomer_walks_through_tv_over_http(
    client: httpx.AsyncClient, simulator: SimulatorServer, app: Starlette
) -> None:
    simulator.reset()
    catalog = await gql(client, "{ planOffers { id isTvOffer } }")
    tv_offers = [o["id"] for o in catalog["planOffers"] if o["isTvOffer"]]
    data = await gql(client, FIND_TV_PLAN, offers=tv_offers)
    plan = next(
        p
        for edge in data["customers"]["edges"]
        for p in edge["node"]["plans"]
        if p["offer"]["isTvOffer"] and not any(t["package"]["isExtra"] for t in p["tvPackages"])
    )
    package = data["tvPackages"][0]
    assert package["channels"], "the package's channels are in the graph"
    kitchen, bedroom = data["tvPointLocations"][:2]

    # 1. An extra package: it reaches the platform.
    added = await gql(
        client,
        """mutation ($input: AddTvPackageInput!) { addTvPackage(input: $input) {
             __typename ... on AddTvPackageSuccess { tvPackage { id value syncState } } } }""",
        input={"planId": plan["id"], "packageId": package["id"]},
    )
    assert added["addTvPackage"]["tvPackage"]["syncState"] == "PENDING"
    assert added["addTvPackage"]["tvPackage"]["value"] == package["value"]
    await wait_for(
        client,
        PLAN,
        lambda d: any(
            t["package"]["name"] == package["name"] and t["syncState"] == "SYNCED"
            for t in d["node"]["tvPackages"]
        ),
        id=plan["id"],
    )

    # 2. A point: look the box up by CASN, add it, see the device on the platform.
    casn = await _spare_casn(app)
    lookup = await gql(
        client,
        """query ($l: ID!, $c: String!) { equipmentByCasn(locationId: $l, casn: $c) {
             __typename ... on EquipmentLookup { inUse equipment { serial smartcard } } } }""",
        l=kitchen["id"],
        c=casn,
    )
    assert lookup["equipmentByCasn"]["inUse"] is False
    point = (
        await gql(
            client,
            """mutation ($input: AddTvPointInput!) { addTvPoint(input: $input) {
                 __typename ... on AddTvPointSuccess { tvPoint { id } } } }""",
            input={"planId": plan["id"], "locationId": kitchen["id"], "casn": casn},
        )
    )["addTvPoint"]["tvPoint"]

    def point_synced(d: dict[str, Any]) -> bool:
        return any(
            p["id"] == point["id"] and p["syncState"] == "SYNCED" for p in d["node"]["tvPoints"]
        )

    state = await wait_for(client, PLAN, point_synced, id=plan["id"])
    device_id = next(p for p in state["node"]["tvPoints"] if p["id"] == point["id"])[
        "platformDeviceId"
    ]
    assert simulator.state.devices[device_id]["casn"] == casn
    fields = {f["name"]: f["value"] for f in state["node"]["customer"]["extraFields"]}
    (subscriber,) = simulator.state.subscribers.values()
    assert fields["ID Assinante"] == subscriber["id"]
    assert fields["Auth Pin Assinante"] == subscriber["authPin"]

    # 3. A command to the box, then a move to another room.
    command = await gql(
        client,
        """mutation ($input: SendSetTopBoxCommandInput!) { sendSetTopBoxCommand(input: $input) {
             __typename } }""",
        input={"tvPointId": point["id"], "command": "REFRESH"},
    )
    assert command["sendSetTopBoxCommand"]["__typename"] == "SendSetTopBoxCommandSuccess"
    await wait_for(client, PLAN, point_synced, id=plan["id"])
    assert [c["command"] for c in simulator.state.devices[device_id]["commands"]] == ["REFRESH"]
    moved = await gql(
        client,
        """mutation ($input: ChangeTvPointLocationInput!) { changeTvPointLocation(input: $input) {
             __typename } }""",
        input={"tvPointId": point["id"], "locationId": bedroom["id"]},
    )
    assert moved["changeTvPointLocation"]["__typename"] == "TvPointSuccess"
    state = await wait_for(client, PLAN, point_synced, id=plan["id"])
    assert simulator.state.devices[device_id]["location"] == bedroom["name"]
    history = next(p for p in state["node"]["tvPoints"] if p["id"] == point["id"])["history"]
    assert [h["event"] for h in history] == ["ADDED", "COMMAND_SENT", "LOCATION_CHANGED"]
    refreshed = await gql(
        client,
        """mutation ($input: RefreshTvPointPlatformDataInput!) {
             refreshTvPointPlatformData(input: $input) {
               ... on RefreshTvPointPlatformDataSuccess { platformData { location status } } } }""",
        input={"tvPointId": point["id"]},
    )
    assert refreshed["refreshTvPointPlatformData"]["platformData"] == {
        "location": bedroom["name"],
        "status": "ONLINE",
    }

    # 4. TV billing for the plan's next due date, then the regular billing run.
    today = dt.date.today()
    due = _next_due(today, plan["dueDay"])
    tv_run = """mutation ($d: Date!) { runTvBilling(input: {dueDate: $d}) {
                  __typename ... on RunTvBillingSuccess {
                    alreadyBilled
                    created { amount status plan { id } tvPackage { package { name } } }
                  } } }"""
    first = (await gql(client, tv_run, d=due.isoformat()))["runTvBilling"]
    ours = [e for e in first["created"] if e["plan"]["id"] == plan["id"]]
    assert [(e["tvPackage"]["package"]["name"], e["status"]) for e in ours] == [
        (package["name"], "PENDING")
    ]
    again = (await gql(client, tv_run, d=due.isoformat()))["runTvBilling"]
    assert again["created"] == [] and again["alreadyBilled"] == len(first["created"])

    billed = (
        await gql(
            client,
            """mutation ($d: Date!) { runBilling(input: {dueDate: $d}) {
                 ... on RunBillingSuccess {
                   processed { status } receivables { amount dueDate } } } }""",
            d=due.isoformat(),
        )
    )["runBilling"]
    assert {e["status"] for e in billed["processed"]} == {"PROCESSED"}
    assert len(billed["receivables"]) == len(first["created"])
    events = await gql(
        client,
        """query ($id: ID!) { node(id: $id) { ... on Plan {
             customer { billingEvents { status amount dueDate
                                        receivable { amount dueDate origin status } } } } } }""",
        id=plan["id"],
    )
    (event,) = [
        e for e in events["node"]["customer"]["billingEvents"] if e["dueDate"] == due.isoformat()
    ]
    assert event["status"] == "PROCESSED"
    assert event["receivable"] == {
        "amount": event["amount"],
        "dueDate": due.isoformat(),
        "origin": "TV_EXTRA_PACKAGE",
        "status": "OPEN",
    }
    assert Decimal(event["amount"]) == Decimal(package["value"])
    assert all(count == 1 for count in _journal(simulator).values())


def _journal(simulator: SimulatorServer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in simulator.state.journal:
        counts[entry["key"]] = counts.get(entry["key"], 0) + 1
    return counts


def _next_due(today: dt.date, day: int) -> dt.date:
    """The first date from today on whose day of the month is the plan's due day."""
    candidate = today.replace(day=day) if today.day <= day else None
    if candidate is None:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        candidate = dt.date(year, month, day)
    return candidate


async def _spare_casn(app: Starlette) -> str:
    """A box no point uses (a newcomer would read it off the box; the seed keeps 20 spare)."""
    from sqlalchemy import exists, select

    from domain import models as m

    async with app.state.runtime.sessions() as session:
        casn = await session.scalar(
            select(m.Equipment.casn)
            .where(~exists().where(m.TvPoint.equipment_id == m.Equipment.id))
            .order_by(m.Equipment.id)
            .limit(1)
        )
    assert casn is not None
    return casn  # type: ignore[no-any-return]


def test_the_cli_worker_and_billing_runs(
    tv_database_url: str, simulator: SimulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import exists, select, update

    from domain import models as m
    from domain.actions.tv import add_tv_package
    from domain.db import session_factory
    from gateway.cli import main
    from tests.gateway.tv_support import TV_STAFF

    async def add_package() -> tuple[int, int]:
        engine = create_engine(tv_database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                plan = (
                    await session.scalars(
                        select(m.Plan)
                        .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
                        .where(
                            m.PlanOffer.is_tv_offer.is_(True),
                            m.Plan.status == "ACTIVE",
                            ~exists().where(
                                m.TvPackageSubscription.plan_id == m.Plan.id,
                                m.TvPackageSubscription.is_default.is_(False),
                            ),
                        )
                        .order_by(m.Plan.id.desc())
                    )
                ).first()
                assert plan is not None
                package = await session.scalar(
                    select(m.TvPackage.id).where(m.TvPackage.is_extra.is_(True)).limit(1)
                )
                await add_tv_package(
                    session, plan_id=plan.id, package_id=package,  # type: ignore[arg-type]
                    start_date=dt.date(2031, 1, 1), actor=TV_STAFF,
                )  # fmt: skip
                # This test bills years ahead, clear of the seeded events.
                await session.execute(
                    update(m.SystemVariable)
                    .where(m.SystemVariable.key == "billing_horizon_days")
                    .values(value="36500")
                )
                return plan.id, plan.due_day
        finally:
            await engine.dispose()

    _plan_id, due_day = asyncio.run(add_package())
    common = ["--database-url", tv_database_url]
    assert main(["worker", "--once", "--platform-url", simulator.url, *common]) == 0
    assert "delivered 1, retrying 0, failed 0" in capsys.readouterr().out

    due = f"2031-03-{due_day:02d}"
    assert main(["billing", "tv", "--due-date", due, *common]) == 0
    out = capsys.readouterr().out
    assert f"TV billing {due}: 1 events created" in out and "0 already billed" in out
    assert main(["billing", "tv", "--due-date", due, *common]) == 0
    assert "0 events created (total 0), 1 already billed" in capsys.readouterr().out
    assert main(["billing", "run", "--due-date", due, *common]) == 0
    assert "1 events processed into 1 receivables" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["billing", "tv", "--due-date", "31/03/2031", *common])
    assert "not a date" in capsys.readouterr().err


def test_two_workers_share_the_queue_and_keep_each_customers_order(
    tv_database_url: str, simulator: SimulatorServer
) -> None:
    from sqlalchemy import exists, select

    from domain import models as m
    from domain.actions import tv as actions
    from domain.db import session_factory
    from domain.models.enums import OutboxStatus, PlanStatus, SetTopBoxCommand
    from domain.ports.tv_platform import HttpTvPlatform
    from gateway.worker.outbox import OutboxWorker
    from tests.gateway.tv_support import TV_STAFF

    async def scenario() -> tuple[list[str], set[OutboxStatus], list[int], set[str]]:
        engine = create_engine(tv_database_url)
        sessions = session_factory(engine)
        try:
            async with sessions() as session, session.begin():
                plans = list(
                    await session.scalars(
                        select(m.Plan.id)
                        .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
                        .where(
                            m.PlanOffer.is_tv_offer.is_(True), m.Plan.status == PlanStatus.ACTIVE
                        )
                        .order_by(m.Plan.id)
                    )
                )
                spares = list(
                    await session.scalars(
                        select(m.Equipment.casn)
                        .where(~exists().where(m.TvPoint.equipment_id == m.Equipment.id))
                        .order_by(m.Equipment.id)
                    )
                )
                here, there = list(await session.scalars(select(m.TvPointLocation.id)))[:2]
                point_ids = set()
                for plan_id, casn in zip(plans, spares, strict=False):
                    point = await actions.add_tv_point(
                        session, plan_id=plan_id, location_id=here, casn=casn, actor=TV_STAFF
                    )
                    point_ids.add(str(point.id))
                    await actions.change_tv_point_location(
                        session, point_id=point.id, location_id=there, actor=TV_STAFF
                    )
                    await actions.send_set_top_box_command(
                        session, point_id=point.id, command=SetTopBoxCommand.REFRESH,
                        actor=TV_STAFF,
                    )  # fmt: skip
                keys = list(
                    await session.scalars(
                        select(m.OutboxMessage.idempotency_key).where(
                            m.OutboxMessage.status == OutboxStatus.PENDING
                        )
                    )
                )
            assert len(keys) == 3 * len(plans) >= 9
            claimed = [0, 0]
            async with (
                HttpTvPlatform(simulator.url, timeout=2.0) as first,
                HttpTvPlatform(simulator.url, timeout=2.0) as second,
            ):
                workers = [OutboxWorker(sessions, p, batch_size=2) for p in (first, second)]
                for _ in range(40):
                    reports = await asyncio.gather(*(worker.run_once() for worker in workers))
                    for index, report in enumerate(reports):
                        claimed[index] += report.claimed
                    if not any(report.claimed for report in reports):
                        break
            async with sessions() as session:
                statuses = set(
                    await session.scalars(
                        select(m.OutboxMessage.status).where(
                            m.OutboxMessage.idempotency_key.in_(keys)
                        )
                    )
                )
            return keys, statuses, claimed, point_ids
        finally:
            await engine.dispose()

    keys, statuses, claimed, point_ids = asyncio.run(scenario())
    assert statuses == {OutboxStatus.DELIVERED}
    assert all(claimed), claimed  # both workers took a share
    journal = [entry for entry in simulator.state.journal if entry["key"] in keys]
    assert sorted(entry["key"] for entry in journal) == sorted(keys)  # each exactly once
    # Each device was created (else the move is refused), then moved, then sent its command.
    devices = [d for d in simulator.state.devices.values() if d["externalId"] in point_ids]
    assert len(devices) == len(point_ids)
    for device in devices:
        path = f"/api/v1/devices/{device['id']}"
        steps = [e["method"] for e in journal if e["path"].startswith(path)]
        assert steps == ["PATCH", "POST"], steps
