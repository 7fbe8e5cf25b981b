"""A database outage answers 503 + Retry-After + SERVICE_UNAVAILABLE on every route, and the
gateway recovers by itself when the database returns (ADR 0130).

PostgreSQL: a cluster of the test's own, stopped and started again under a running app.
SQLite: another process holds the file's write lock past the busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from domain import models as m
from domain.actions.access import create_api_key
from domain.db import create_engine, session_factory
from domain.identity import DEVELOPMENT_STAFF, Permission, Role
from domain.outages import DatabaseUnavailable, database_unavailable
from domain.seed import seed_database
from gateway.cli.migrate import upgrade
from gateway.http.app import create_app
from tests.databases import backend, fresh_database
from tests.gateway.helpers import bearer, test_settings
from tests.servers import ThrowawayPostgres, throwaway_postgres

QUERY = {"query": "{ customers(first: 2) { edges { node { name } } } }"}
TICKET = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) { __typename } }"""


def _ticket(description: str) -> dict[str, Any]:
    return {
        "query": TICKET,
        "variables": {"input": {"customerId": "1", "type": "outage", "description": description}},
    }


def _assert_unavailable(
    response: httpx.Response, what: str, code: str = "SERVICE_UNAVAILABLE"
) -> None:
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert response.headers["retry-after"] == "1", what
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == code, (what, errors)
    assert "Internal" not in response.text


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    if backend() != "postgresql":
        pytest.skip("the PostgreSQL outage runs with the PostgreSQL suite")
    with throwaway_postgres() as cluster:
        upgrade(cluster.url)
        asyncio.run(_seed(cluster.url))
        yield cluster


async def _seed(url: str) -> None:
    engine = create_engine(url)
    await seed_database(engine, customers=3, seed=5)
    await engine.dispose()


async def _api_key(url: str) -> str:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            made = await create_api_key(
                session,
                name="outage robot",
                role=Role.STAFF,
                permissions=Permission,
                actor=DEVELOPMENT_STAFF,
            )
            await session.commit()
            return made.secret
    finally:
        await engine.dispose()


async def _tickets(url: str, description: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            statement = select(func.count()).where(m.Ticket.description == description)
            return int(await connection.scalar(statement) or 0)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _client(url: str, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(test_settings(url, environment="production", **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def _until_answered(client: httpx.AsyncClient, request: Any, attempts: int = 40) -> Any:
    """The first answer that is not a 503 (the client honours Retry-After, shortened)."""
    for _ in range(attempts):
        response = await request()
        if response.status_code != 503:
            return response
        _assert_unavailable(response, "while recovering")
        await asyncio.sleep(0.25)
    raise AssertionError("the gateway did not recover")


async def test_a_postgresql_outage_is_a_503_on_every_route_and_passes_by_itself(
    cluster: ThrowawayPostgres,
) -> None:
    api_key = {"authorization": f"Bearer {await _api_key(cluster.url)}"}
    jwt = bearer()
    routes = {
        "query": lambda c, h: c.post("/graphql", json=QUERY, headers=h),
        "query on the standard path": lambda c, h: c.post(
            "/graphql", json=QUERY, headers={**h, "x-gateway-executor": "standard"}
        ),
        "query over GET": lambda c, h: c.get("/graphql", params=QUERY, headers=h),
        "mutation": lambda c, h: c.post("/graphql", json=_ticket("plain"), headers=h),
        "mutation with an Idempotency-Key": lambda c, h: c.post(
            "/graphql", json=_ticket("keyed"), headers={**h, "idempotency-key": "outage-1"}
        ),
        "contract PDF": lambda c, h: c.get("/plans/1/contract.pdf", headers=h),
        "boleto PDF": lambda c, h: c.get("/receivables/1/boleto.pdf", headers=h),
        "invoice XML": lambda c, h: c.get("/invoices/1.xml", headers=h),
    }
    async with _client(cluster.url) as client:
        # Up: every route answers (the pool now holds connections the outage will break).
        for credentials in (jwt, api_key):
            assert (await routes["query"](client, credentials)).status_code == 200
        cluster.stop()
        for who, credentials in (("a JWT", jwt), ("an API key", api_key)):
            for what, call in routes.items():
                _assert_unavailable(await call(client, credentials), f"{what} with {who}")
        cluster.start()
        # Back: the same app answers again, without a restart.
        answered = await _until_answered(client, lambda: routes["query"](client, jwt))
        assert answered.status_code == 200 and answered.json()["data"]["customers"]["edges"]
        for credentials in (jwt, api_key):
            keyed = await _until_answered(
                client, lambda h=credentials: routes["mutation with an Idempotency-Key"](client, h)
            )
            assert keyed.json()["data"]["openTicket"]["__typename"] == "OpenTicketSuccess"
        standard = await routes["query on the standard path"](client, jwt)
        assert standard.status_code == 200
        assert (await routes["contract PDF"](client, jwt)).status_code in (200, 404, 409)
    # The keyed mutation refused during the outage ran once when the database was back: the
    # JWT's and the API key's are two callers, each with its own key.
    assert await _tickets(cluster.url, "keyed") == 2
    assert await _tickets(cluster.url, "plain") == 0


async def test_a_restart_while_idle_costs_at_most_one_503(cluster: ThrowawayPostgres) -> None:
    """Pooled connections the restart broke are dropped on first use, all at once."""
    async with _client(cluster.url) as client:
        jwt = bearer()
        await asyncio.gather(*(client.post("/graphql", json=QUERY, headers=jwt) for _ in range(4)))
        cluster.restart()
        statuses = [
            (await client.post("/graphql", json=QUERY, headers=jwt)).status_code for _ in range(4)
        ]
        assert statuses.count(503) <= 1 and statuses[-1] == 200, statuses


def test_what_counts_as_unavailable() -> None:
    import asyncpg
    from sqlalchemy.exc import IntegrityError, OperationalError

    assert database_unavailable(DatabaseUnavailable("no route"))
    assert database_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert database_unavailable(asyncpg.exceptions.AdminShutdownError("terminating"))
    assert database_unavailable(asyncpg.exceptions.TooManyConnectionsError("too many"))
    wrapped = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert database_unavailable(wrapped)
    # A statement the database refused is the caller's problem or a defect, not an outage.
    assert not database_unavailable(asyncpg.exceptions.QueryCanceledError("timeout"))
    assert not database_unavailable(
        OperationalError("x", {}, sqlite3.OperationalError("no such table: x"))
    )
    assert not database_unavailable(IntegrityError("x", {}, Exception("duplicate key")))
    assert not database_unavailable(ValueError("connection is closed"))


@pytest.fixture
def sqlite_url() -> Iterator[str]:
    if backend() != "sqlite":
        pytest.skip("the SQLite lock runs with the SQLite suite")
    with fresh_database() as url:
        asyncio.run(_seed(url))
        yield url


async def test_a_sqlite_file_locked_by_another_process_is_a_503_for_writers(
    sqlite_url: str,
) -> None:
    """Another process (a backup, a maintenance script) holds the write lock for 3 s: a writer
    queues for it until its request's time limit (1 s here), then gets 503 with Retry-After,
    nothing changed (domain.db's busy timeout outlasts the limit); readers of the WAL are not
    held up; once the lock is gone the same write goes through.

    The 503 leaves only when the lock does: SQLite cannot stop the waiting statement from
    another thread, and the session's cleanup waits for it."""
    path = sqlite_url.removeprefix("sqlite:///")
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(3)
        other.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    async with _client(sqlite_url, request_timeout_seconds=1.0) as client:
        jwt = bearer()
        assert (await client.post("/graphql", json=QUERY, headers=jwt)).status_code == 200
        holder.start()
        try:
            await asyncio.to_thread(locked.wait, 10)
            assert (await client.post("/graphql", json=QUERY, headers=jwt)).status_code == 200
            _assert_unavailable(
                await client.post("/graphql", json=_ticket("locked"), headers=jwt),
                "a mutation while another process writes",
                code="TIMEOUT",
            )
        finally:
            release.set()
            await asyncio.to_thread(holder.join, 30)
        assert (await client.post("/graphql", json=QUERY, headers=jwt)).status_code == 200
        again = await client.post("/graphql", json=_ticket("locked"), headers=jwt)
        assert again.json()["data"]["openTicket"]["__typename"] == "OpenTicketSuccess"
    assert await _tickets(sqlite_url, "locked") == 1
