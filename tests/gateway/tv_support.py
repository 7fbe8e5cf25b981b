"""What the TV tests share: the simulator on a loopback port, seeded TV data, worker sessions."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain import models as m
from domain.db import create_engine
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus, TvPointStatus
from domain.ports.tv_platform import HttpTvPlatform
from domain.seed import seed_database
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.root import schema
from gateway.settings import Settings
from gateway.worker.outbox import OutboxWorker
from simulators.tv_platform import PlatformState
from simulators.tv_platform import create_app as create_simulator
from tests.databases import fresh_database
from tests.gateway.helpers import SETTINGS, request_scope

TV_STAFF = Identity.staff("tv-clerk", Permission.TV_PACKAGES)
NO_TV_STAFF = Identity.staff("clerk", Permission.CUSTOMER_ADMIN, Permission.BILLING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SimulatorServer:
    """The TV platform simulator served by uvicorn in a thread; can be stopped and restarted on
    the same port with its state intact (an outage)."""

    def __init__(self) -> None:
        self.app = create_simulator()
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state(self) -> PlatformState:
        return self.app.state.platform  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.app.state.platform = PlatformState()

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the TV platform simulator did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None


@contextmanager
def seeded_database(*, customers: int, seed: int) -> Iterator[str]:
    """A fresh database of its own, seeded: for tests that commit for real (HTTP, the worker)."""
    with fresh_database() as url:

        async def load() -> None:
            engine = create_engine(url)
            try:
                await seed_database(engine, customers=customers, seed=seed)
            finally:
                await engine.dispose()

        asyncio.run(load())
        yield url


@contextmanager
def running_simulator() -> Iterator[SimulatorServer]:
    server = SimulatorServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def worker_sessions(connection: AsyncConnection) -> Any:
    """Sessions for the worker on the test's connection: their commits are savepoints of the
    test's transaction, which is rolled back at the end."""

    def factory() -> AsyncSession:
        return AsyncSession(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )

    return factory


class Clock:
    """A clock the test moves forward, so retries come due without waiting."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_worker(
    connection: AsyncConnection, platform: HttpTvPlatform, clock: Clock | None = None
) -> OutboxWorker:
    return OutboxWorker(worker_sessions(connection), platform, clock=clock or Clock())


@dataclass(frozen=True)
class TvFixture:
    plan_id: int
    customer_id: int
    extra_package_ids: list[int]
    location_ids: list[int]
    spare_casns: list[str]


async def tv_fixture(session: AsyncSession, *, index: int = 0) -> TvFixture:
    """An active TV plan without extras (the index-th), extra packages, locations, free boxes."""
    plans = (
        await session.execute(
            select(m.Plan.id, m.Plan.customer_id)
            .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
            .where(
                m.PlanOffer.is_tv_offer.is_(True),
                m.Plan.status == PlanStatus.ACTIVE,
                # No extra package yet, so any extra can be added.
                ~exists().where(
                    m.TvPackageSubscription.plan_id == m.Plan.id,
                    m.TvPackageSubscription.is_default.is_(False),
                ),
            )
            .order_by(m.Plan.id)
        )
    ).all()
    plan_id, customer_id = plans[index]
    extras = list(
        await session.scalars(
            select(m.TvPackage.id).where(m.TvPackage.is_extra.is_(True)).order_by(m.TvPackage.id)
        )
    )
    locations = list(await session.scalars(select(m.TvPointLocation.id).order_by("id")))
    spare = list(
        await session.scalars(
            select(m.Equipment.casn)
            .where(~exists().where(m.TvPoint.equipment_id == m.Equipment.id))
            .order_by(m.Equipment.id)
        )
    )
    return TvFixture(plan_id, customer_id, extras, locations, spare)


async def used_casn(session: AsyncSession) -> str:
    """The CASN of equipment on an active point."""
    casn = await session.scalar(
        select(m.Equipment.casn)
        .join(m.TvPoint, m.TvPoint.equipment_id == m.Equipment.id)
        .where(m.TvPoint.status == TvPointStatus.ACTIVE)
        .order_by(m.TvPoint.id)
        .limit(1)
    )
    assert casn is not None
    return casn


async def execute(
    session: AsyncSession,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    identity: Identity = TV_STAFF,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Runs `query` as `identity`; fails the test on any GraphQL error."""
    with request_scope(session):
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=GraphQLContext.for_session(
                session, settings or SETTINGS, identity=identity
            ),
        )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data
