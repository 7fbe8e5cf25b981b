"""Reliable delivery to the TV platform: the outbox worker against the simulator.

The worker's sessions share the test's connection (its commits are savepoints of the test's
transaction), and a test clock moves retries forward without waiting.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain import models as m
from domain.actions import outbox as outbox_actions
from domain.models.enums import OutboxStatus, SyncState
from domain.ports.tv_platform import HttpTvPlatform
from domain.reads.tv import AUTH_PIN_FIELD, SUBSCRIBER_ID_FIELD
from domain.rules.outbox import RetryPolicy
from gateway.settings import Settings
from gateway.worker.outbox import OutboxWorker
from simulators.tv_platform import Faults
from tests.gateway.tv_support import (
    Clock,
    SimulatorServer,
    execute,
    running_simulator,
    tv_fixture,
    worker_sessions,
)

ADD_PACKAGE = """
mutation ($input: AddTvPackageInput!) {
  addTvPackage(input: $input) { ... on AddTvPackageSuccess { tvPackage { databaseId } } }
}
"""
ADD_POINT = """
mutation ($input: AddTvPointInput!) {
  addTvPoint(input: $input) { ... on AddTvPointSuccess { tvPoint { databaseId } } }
}
"""
MOVE_POINT = """
mutation ($input: ChangeTvPointLocationInput!) {
  changeTvPointLocation(input: $input) { __typename }
}
"""
COMMAND = """
mutation ($input: SendSetTopBoxCommandInput!) {
  sendSetTopBoxCommand(input: $input) { __typename }
}
"""
PLAN_TV = """
query ($id: ID!) {
  node(id: $id) {
    ... on Plan {
      tvPackages { databaseId syncState syncError }
      tvPoints { databaseId syncState syncError platformDeviceId }
      customer { extraFields { name value } }
    }
  }
}
"""
PLATFORM_DATA = """
query ($id: ID!) {
  tvPointPlatformData(tvPointId: $id) {
    __typename
    ... on TvPointPlatformData { fetchedAt deviceId status casn location packages }
  }
}
"""
REFRESH = """
mutation ($input: RefreshTvPointPlatformDataInput!) {
  refreshTvPointPlatformData(input: $input) {
    __typename
    ... on RefreshTvPointPlatformDataSuccess {
      platformData { fetchedAt deviceId location firmware ipAddress raw }
    }
    ... on RuleViolation { rule message }
  }
}
"""


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with running_simulator() as server:
        yield server


@pytest.fixture
async def platform(simulator: SimulatorServer) -> AsyncIterator[HttpTvPlatform]:
    simulator.reset()
    async with HttpTvPlatform(simulator.url, timeout=2.0) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(connection: AsyncConnection, platform: HttpTvPlatform, clock: Clock) -> OutboxWorker:
    return OutboxWorker(worker_sessions(connection), platform, clock=clock)


async def _plan_tv(session: AsyncSession, plan_id: int) -> dict:  # type: ignore[type-arg]
    session.expire_all()  # the worker changed rows behind this session's identity map
    from gateway.schema.base import to_global_id

    return (await execute(session, PLAN_TV, {"id": to_global_id("Plan", plan_id)}))["node"]  # type: ignore[no-any-return]


async def _make_changes(session: AsyncSession, plan_id: int, extras: list[int], tv) -> int:  # type: ignore[no-untyped-def]
    """A package, a point, a move and a command: four messages of one customer."""
    await execute(
        session, ADD_PACKAGE, {"input": {"planId": str(plan_id), "packageId": str(extras[0])}}
    )
    data = await execute(
        session,
        ADD_POINT,
        {
            "input": {
                "planId": str(plan_id),
                "locationId": str(tv.location_ids[0]),
                "casn": tv.spare_casns[0],
            }
        },
    )
    point_id = data["addTvPoint"]["tvPoint"]["databaseId"]
    moved = await execute(
        session,
        MOVE_POINT,
        {"input": {"tvPointId": str(point_id), "locationId": str(tv.location_ids[1])}},
    )
    assert moved["changeTvPointLocation"]["__typename"] == "TvPointSuccess"
    sent = await execute(
        session, COMMAND, {"input": {"tvPointId": str(point_id), "command": "REFRESH"}}
    )
    assert sent["sendSetTopBoxCommand"]["__typename"] == "SendSetTopBoxCommandSuccess"
    return point_id  # type: ignore[no-any-return]


def _journal_keys(simulator: SimulatorServer) -> collections.Counter[str]:
    return collections.Counter(entry["key"] for entry in simulator.state.journal)


async def _message_keys(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(m.OutboxMessage.idempotency_key).where(m.OutboxMessage.topic.startswith("tv."))
    )
    return list(rows)


async def _target_states(session: AsyncSession) -> set[str]:
    """The sync states of every package and point a TV message was written for."""
    session.expire_all()
    states = set()
    for message in await session.scalars(select(m.OutboxMessage)):
        model = m.TvPoint if message.payload["target"] == "tv_point" else m.TvPackageSubscription
        target = await session.get_one(model, message.payload["target_id"])
        states.add(target.sync_state.name)
    return states


async def test_changes_reach_the_platform_and_the_first_sync_stores_the_subscriber(
    session: AsyncSession, worker: OutboxWorker, simulator: SimulatorServer
) -> None:
    tv = await tv_fixture(session)
    # A customer never synced: no subscriber id or PIN yet.
    await session.execute(
        delete(m.ExtraField).where(
            m.ExtraField.customer_id == tv.customer_id,
            m.ExtraField.name.in_([SUBSCRIBER_ID_FIELD, AUTH_PIN_FIELD]),
        )
    )
    point_id = await _make_changes(session, tv.plan_id, tv.extra_package_ids, tv)
    before = await _plan_tv(session, tv.plan_id)
    assert {p["syncState"] for p in before["tvPoints"] if p["databaseId"] == point_id} == {
        "PENDING"
    }

    report = await worker.drain()
    assert (report.delivered, report.retrying, report.failed) == (4, 0, 0)

    subscribers = list(simulator.state.subscribers.values())
    assert len(subscribers) == 1 and subscribers[0]["externalId"] == str(tv.customer_id)
    package_code = await session.scalar(
        select(m.TvPackage.platform_code).where(m.TvPackage.id == tv.extra_package_ids[0])
    )
    assert set(subscribers[0]["packages"]) == {package_code}
    (device,) = simulator.state.devices.values()
    location = (await session.get_one(m.TvPointLocation, tv.location_ids[1])).name
    assert (device["casn"], device["location"]) == (tv.spare_casns[0], location)
    assert [c["command"] for c in device["commands"]] == ["REFRESH"]

    after = await _plan_tv(session, tv.plan_id)
    fields = {f["name"]: f["value"] for f in after["customer"]["extraFields"]}
    assert fields[SUBSCRIBER_ID_FIELD] == subscribers[0]["id"]
    assert fields[AUTH_PIN_FIELD] == subscribers[0]["authPin"]
    point = next(p for p in after["tvPoints"] if p["databaseId"] == point_id)
    assert (point["syncState"], point["syncError"], point["platformDeviceId"]) == (
        "SYNCED",
        None,
        device["id"],
    )
    newest_package = max(after["tvPackages"], key=lambda p: p["databaseId"])
    assert (newest_package["syncState"], newest_package["syncError"]) == ("SYNCED", None)
    assert await worker.drain() == type(report)()  # nothing left

    data = await execute(session, PLATFORM_DATA, {"id": str(point_id)})
    shown = data["tvPointPlatformData"]
    assert shown["deviceId"] == device["id"] and shown["fetchedAt"] is not None
    assert shown["packages"] == [package_code]

    settings = Settings(tv_platform_url=simulator.url, tv_platform_timeout=2.0)
    device["firmware"] = "4.3.0"  # the platform's view changed since
    data = await execute(
        session, REFRESH, {"input": {"tvPointId": str(point_id)}}, settings=settings
    )
    refreshed = data["refreshTvPointPlatformData"]["platformData"]
    assert refreshed["firmware"] == "4.3.0" and refreshed["location"] == location
    assert refreshed["raw"]["casn"] == tv.spare_casns[0]

    simulator.stop()
    try:
        data = await execute(
            session, REFRESH, {"input": {"tvPointId": str(point_id)}}, settings=settings
        )
        assert data["refreshTvPointPlatformData"]["rule"] == "TV_PLATFORM_UNAVAILABLE"
    finally:
        simulator.start()


async def test_a_subscriber_id_the_platform_does_not_know_is_provisioned_again(
    session: AsyncSession, worker: OutboxWorker, simulator: SimulatorServer
) -> None:
    tv = await tv_fixture(session, index=1)
    fields = {
        row.name: row.value
        for row in await session.scalars(
            select(m.ExtraField).where(m.ExtraField.customer_id == tv.customer_id)
        )
    }
    assert SUBSCRIBER_ID_FIELD in fields  # the seed's, unknown to this simulator
    await execute(
        session,
        ADD_PACKAGE,
        {"input": {"planId": str(tv.plan_id), "packageId": str(tv.extra_package_ids[1])}},
    )
    report = await worker.drain()
    assert report.delivered == 1
    (subscriber,) = simulator.state.subscribers.values()
    session.expire_all()
    stored = await session.scalar(
        select(m.ExtraField.value).where(
            m.ExtraField.customer_id == tv.customer_id, m.ExtraField.name == SUBSCRIBER_ID_FIELD
        )
    )
    assert stored == subscriber["id"] != fields[SUBSCRIBER_ID_FIELD]


async def test_outage_then_recovery_delivers_every_change_exactly_once(
    session: AsyncSession, worker: OutboxWorker, simulator: SimulatorServer, clock: Clock
) -> None:
    first, second = await tv_fixture(session, index=0), await tv_fixture(session, index=2)
    simulator.stop()  # the platform is down
    try:
        point_a = await _make_changes(session, first.plan_id, first.extra_package_ids, first)
        await execute(
            session,
            ADD_PACKAGE,
            {
                "input": {
                    "planId": str(second.plan_id),
                    "packageId": str(second.extra_package_ids[2]),
                }
            },
        )
        rounds = []
        for _ in range(3):
            rounds.append(await worker.drain())
            clock.advance(hours=1)
        assert sum(r.delivered for r in rounds) == 0
        assert all(r.retrying == 1 for r in rounds)
        assert "unreachable" in rounds[0].errors[0]
        # The other customer's message went back untried when the platform proved down.
        assert [r.released for r in rounds] == [1, 1, 1]
        pending = await _plan_tv(session, first.plan_id)
        point = next(p for p in pending["tvPoints"] if p["databaseId"] == point_a)
        assert point["syncState"] == "PENDING"
        # The package (first in the partition) carries the error; the point waits its turn.
        package = max(pending["tvPackages"], key=lambda p: p["databaseId"])
        assert package["syncState"] == "PENDING"
        assert (
            "unreachable" in package["syncError"]
            and "attempt 3, next try at" in package["syncError"]
        )
    finally:
        simulator.start()

    clock.advance(hours=2)
    for _ in range(5):
        await worker.drain()
        clock.advance(hours=1)

    keys = await _message_keys(session)
    journal = _journal_keys(simulator)
    assert len(keys) == 5
    assert all(journal[key] == 1 for key in keys), journal
    assert len(simulator.state.devices) == 1
    (device,) = simulator.state.devices.values()
    assert len(device["commands"]) == 1
    statuses = set(await session.scalars(select(m.OutboxMessage.status)))
    assert statuses == {OutboxStatus.DELIVERED}
    assert await _target_states(session) == {"SYNCED"}


async def test_a_lost_answer_is_redelivered_without_applying_twice(
    session: AsyncSession, worker: OutboxWorker, simulator: SimulatorServer, clock: Clock
) -> None:
    tv = await tv_fixture(session)
    point_id = await _make_changes(session, tv.plan_id, tv.extra_package_ids, tv)
    await worker.drain()
    await execute(session, COMMAND, {"input": {"tvPointId": str(point_id), "command": "REFRESH"}})
    # The platform applies the command, then the answer is lost (503 after applying).
    simulator.state.faults = Faults(status=503, count=1, after_apply=True)
    report = await worker.drain()
    assert (report.delivered, report.retrying) == (0, 1)
    clock.advance(hours=1)
    report = await worker.drain()
    assert report.delivered == 1
    (device,) = simulator.state.devices.values()
    assert [c["command"] for c in device["commands"]] == ["REFRESH", "REFRESH"]  # one per send
    assert simulator.state.replays == 1
    assert all(count == 1 for count in _journal_keys(simulator).values())


async def test_a_slow_platform_times_out_and_the_retry_changes_nothing_twice(
    session: AsyncSession,
    connection: AsyncConnection,
    simulator: SimulatorServer,
    clock: Clock,
) -> None:
    tv = await tv_fixture(session)
    await session.execute(
        delete(m.ExtraField).where(
            m.ExtraField.customer_id == tv.customer_id, m.ExtraField.name == SUBSCRIBER_ID_FIELD
        )
    )
    async with HttpTvPlatform(simulator.url, timeout=0.2) as impatient:
        worker = OutboxWorker(worker_sessions(connection), impatient, clock=clock)
        await execute(
            session,
            ADD_PACKAGE,
            {"input": {"planId": str(tv.plan_id), "packageId": str(tv.extra_package_ids[0])}},
        )
        simulator.state.faults = Faults(delay=0.5, count=None)
        report = await worker.drain()
        assert report.retrying == 1 and "did not answer in time" in report.errors[0]
        # The slow requests finish on the platform's side (the subscriber is created there).
        deadline = asyncio.get_running_loop().time() + 30
        while simulator.state.finished < simulator.state.requests:
            assert asyncio.get_running_loop().time() < deadline, "the platform never answered"
            await asyncio.sleep(0.05)
        simulator.state.faults = Faults()
        clock.advance(hours=1)
        report = await worker.drain()
        assert report.delivered == 1
    # The subscriber was created by the request that timed out; the retry got its answer back.
    assert simulator.state.replays >= 1
    assert all(count == 1 for count in _journal_keys(simulator).values())
    (subscriber,) = simulator.state.subscribers.values()
    assert len(subscriber["packages"]) == 1


async def test_a_refused_change_fails_at_once_and_a_dead_message_can_be_retried(
    session: AsyncSession, connection: AsyncConnection, platform: HttpTvPlatform, clock: Clock
) -> None:
    tv = await tv_fixture(session)
    worker = OutboxWorker(
        worker_sessions(connection), platform, clock=clock, policy=RetryPolicy(max_attempts=2)
    )
    # The command's point never reached the platform: a 4xx-like refusal, no retry.
    data = await execute(
        session,
        ADD_POINT,
        {
            "input": {
                "planId": str(tv.plan_id),
                "locationId": str(tv.location_ids[0]),
                "casn": tv.spare_casns[0],
            }
        },
    )
    point_id = data["addTvPoint"]["tvPoint"]["databaseId"]
    add_message = (
        await session.scalars(select(m.OutboxMessage).order_by(m.OutboxMessage.id.desc()))
    ).first()
    assert add_message is not None
    add_message.status = OutboxStatus.FAILED  # as if its delivery had been given up
    await session.flush()
    await execute(session, COMMAND, {"input": {"tvPointId": str(point_id), "command": "REFRESH"}})
    report = await worker.drain()
    assert (report.failed, report.retrying) == (1, 0)
    assert "has no device on the platform" in report.errors[0]
    point = await session.get_one(m.TvPoint, point_id, populate_existing=True)
    assert point.sync_state is SyncState.FAILED and "gave up after 1" in (point.sync_error or "")

    async with worker.sessions() as worker_session, worker_session.begin():
        requeued = await outbox_actions.retry_failed(
            worker_session, topic_prefix="tv.", now=clock()
        )
    assert requeued == 2
    report = await worker.drain()
    assert report.delivered == 2
    point = await session.get_one(m.TvPoint, point_id, populate_existing=True)
    assert point.sync_state is SyncState.SYNCED and point.platform_device_id


async def test_retries_back_off_and_give_up_after_the_last_attempt(
    session: AsyncSession, connection: AsyncConnection, platform: HttpTvPlatform, clock: Clock,
    simulator: SimulatorServer,
) -> None:  # fmt: skip
    tv = await tv_fixture(session)
    worker = OutboxWorker(
        worker_sessions(connection), platform, clock=clock, policy=RetryPolicy(max_attempts=3)
    )
    await execute(
        session,
        ADD_PACKAGE,
        {"input": {"planId": str(tv.plan_id), "packageId": str(tv.extra_package_ids[0])}},
    )
    simulator.state.faults = Faults(status=503)
    assert (await worker.drain()).retrying == 1
    assert (await worker.drain()).claimed == 0  # not due yet: backing off
    message = (
        await session.scalars(select(m.OutboxMessage).order_by(m.OutboxMessage.id.desc()).limit(1))
    ).one()
    await session.refresh(message)
    first_wait = message.next_attempt_at - clock()
    clock.advance(hours=1)
    assert (await worker.drain()).retrying == 1
    await session.refresh(message)
    assert message.next_attempt_at - clock() > first_wait  # the wait grew
    clock.advance(hours=1)
    assert (await worker.drain()).failed == 1
    await session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert "HTTP 503" in (message.last_error or "")
    subscription = await session.get_one(
        m.TvPackageSubscription, message.payload["target_id"], populate_existing=True
    )
    assert subscription.sync_state is SyncState.FAILED
    assert "HTTP 503" in (subscription.sync_error or "")
    simulator.state.faults = Faults()


async def test_a_message_that_cannot_be_read_fails_instead_of_coming_back(
    session: AsyncSession, worker: OutboxWorker
) -> None:
    from domain.actions.outbox import enqueue

    broken = enqueue(session, topic="tv.point.move", partition_key="tv:customer:0", payload={})
    await session.flush()
    report = await worker.drain()
    assert (report.failed, report.delivered) == (1, 0)
    assert "KeyError" in report.errors[0]
    await session.refresh(broken)
    assert (broken.status, broken.attempts) == (OutboxStatus.FAILED, 1)
