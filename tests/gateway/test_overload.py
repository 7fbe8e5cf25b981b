"""Timeouts, the bound on requests in flight, and rate limits counted in Redis."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import Identity
from tests.databases import backend
from tests.gateway.helpers import bearer, http_client, test_settings

REDIS_URL = "redis://127.0.0.1:6379/0"
SET = """mutation ($input: SetExtraFieldsInput!) { setExtraFields(input: $input) { __typename } }"""
INPUT = {"input": {"customerId": "1", "fields": [{"name": "slow", "type": "STRING", "value": "x"}]}}
QUERY = {"query": "{ banks { name } }"}


async def _extra_fields(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(m.ExtraField)) or 0)


async def test_a_request_past_its_time_limit_gets_503_and_changes_nothing(
    engine: AsyncEngine, database_url: str
) -> None:
    settings = test_settings(database_url, request_timeout_seconds=0.000_001)
    before = await _extra_fields(engine)
    async with http_client(engine, settings) as client:
        response = await client.post("/graphql", json={"query": SET, "variables": INPUT})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "longer than" in response.json()["errors"][0]["message"]
    assert await _extra_fields(engine) == before


async def test_past_the_bound_on_requests_in_flight_503_at_once(
    engine: AsyncEngine, database_url: str
) -> None:
    async with http_client(engine, test_settings(database_url, max_in_flight=2)) as client:
        bound = client.app.state.in_flight  # type: ignore[attr-defined]
        assert (await client.post("/graphql", json=QUERY)).status_code == 200
        bound.in_flight = 2  # two requests are running
        try:
            refused = await client.post("/graphql", json=QUERY)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "2 requests in flight" in refused.json()["errors"][0]["message"]
            # Health checks are not behind the bound.
            assert (await client.get("/healthz")).status_code == 200
        finally:
            bound.in_flight = 0
        assert (await client.post("/graphql", json=QUERY)).status_code == 200


async def test_concurrent_requests_over_the_bound_are_refused_not_queued(
    engine: AsyncEngine, database_url: str
) -> None:
    async with http_client(engine, test_settings(database_url, max_in_flight=1)) as client:
        responses = await asyncio.gather(*(client.post("/graphql", json=QUERY) for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 200 and 503 in statuses


async def test_rate_limit_per_identity_is_shared_through_redis(
    engine: AsyncEngine, database_url: str
) -> None:
    """Two apps (two workers) on one Redis: their hits add up."""
    settings = test_settings(database_url, redis_url=REDIS_URL, rate_limit_per_identity="3/60")
    caller = Identity.staff(f"rate-{uuid.uuid4().hex[:8]}")
    async with (
        http_client(engine, settings, identity=caller) as worker_a,
        http_client(engine, settings, identity=caller) as worker_b,
    ):
        assert (await worker_a.post("/graphql", json=QUERY)).status_code == 200
        assert (await worker_b.post("/graphql", json=QUERY)).status_code == 200
        assert (await worker_a.post("/graphql", json=QUERY)).status_code == 200
        refused = await worker_b.post("/graphql", json=QUERY)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # Someone else is not limited by this caller's count.
        other = await worker_a.post("/graphql", json=QUERY, headers=bearer())
        assert other.status_code == 200
        redis = worker_a.app.state.runtime.redis  # type: ignore[attr-defined]
        keys = [key async for key in redis.scan_iter(f"gw:rl:id:{caller.subject}:*")]
        assert len(keys) == 1 and int(await redis.get(keys[0])) == 4
        await redis.delete(*keys)


async def test_rate_limit_per_ip_without_redis(engine: AsyncEngine, database_url: str) -> None:
    settings = test_settings(database_url, rate_limit_per_ip="2/60")
    async with http_client(engine, settings) as client:
        assert (await client.post("/graphql", json=QUERY)).status_code == 200
        # Even requests that fail authentication count against their IP.
        assert (
            await client.post("/graphql", json=QUERY, headers={"authorization": "Bearer x"})
        ).status_code == 401
        refused = await client.post("/graphql", json=QUERY)
        assert refused.status_code == 429 and "2 per 60 s" in refused.json()["errors"][0]["message"]
        assert (await client.get("/healthz")).status_code == 200


async def test_an_unreachable_redis_lets_requests_through(
    engine: AsyncEngine, database_url: str
) -> None:
    settings = test_settings(
        database_url, redis_url="redis://127.0.0.1:1/0", rate_limit_per_identity="1/60"
    )
    async with http_client(engine, settings) as client:
        for _ in range(2):
            assert (await client.post("/graphql", json=QUERY)).status_code == 200


@pytest.mark.skipif(backend() != "postgresql", reason="statement_timeout is PostgreSQL's")
async def test_postgresql_stops_the_statement_too(database_url: str) -> None:
    from gateway.http.runtime import Runtime

    # The app's own engine carries statement_timeout = the request's time limit.
    runtime = Runtime.build(test_settings(database_url, request_timeout_seconds=0.3))
    try:
        started = time.perf_counter()
        async with runtime.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(3)"))
        assert time.perf_counter() - started < 2

        # Cancelling the request's task cancels the statement on the server as well.
        marker = f"cancel-{uuid.uuid4().hex[:8]}"

        async def sleep() -> None:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SET statement_timeout = 0"))
                await connection.execute(text(f"SELECT pg_sleep(3) /* {marker} */"))

        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await sleep()
        await asyncio.sleep(0.2)
        async with runtime.engine.connect() as connection:
            running = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE state = 'active' AND query LIKE :q AND query NOT LIKE '%pg_stat%'"
                ),
                {"q": f"%{marker}%"},
            )
        assert running == 0
    finally:
        await runtime.close(engine=True)


async def test_retry_after_is_sent_by_every_refusal_that_passes(
    engine: AsyncEngine, database_url: str
) -> None:
    """503 and 429 both name when to come back; a client can honour it blindly."""
    settings = test_settings(database_url, rate_limit_per_identity="1/60")
    async with http_client(engine, settings) as client:
        await client.post("/graphql", json=QUERY)
        response: httpx.Response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
