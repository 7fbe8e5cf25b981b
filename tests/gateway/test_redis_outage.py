"""A Redis that hangs: short timeouts, a circuit breaker that stops asking it, rate limits that
fail open (counted) or closed (503) as configured, and APQ that falls back to the database
(ADR 0131). The Redis is the test's own, stopped with SIGSTOP: it accepts connections and
never answers, as a wedged server does."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import Identity
from gateway.execution.redis_guard import CLOSED, OPEN, RedisBreaker, RedisUnavailable
from gateway.execution.redis_guard import connect as connect_redis
from tests.gateway.helpers import http_client, test_settings
from tests.servers import ThrowawayRedis, throwaway_redis

QUERY = {"query": "{ banks { name } }"}
TIMEOUT = 0.2
BREAKER = 1.0


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    with throwaway_redis() as server:
        yield server


def _settings(database_url: str, redis: ThrowawayRedis, **overrides: Any) -> Any:
    return test_settings(
        database_url,
        redis_url=redis.url,
        redis_timeout_seconds=TIMEOUT,
        redis_breaker_seconds=BREAKER,
        rate_limit_per_identity="1000/60",
        **overrides,
    )


async def _counted(redis: Any, subject: str) -> int:
    keys = [key async for key in redis.scan_iter(f"gw:rl:id:{subject}:*")]
    return sum([int(await redis.get(key)) for key in keys])


async def test_a_hung_redis_is_asked_three_times_then_left_alone_until_it_answers(
    engine: AsyncEngine, database_url: str, redis_server: ThrowawayRedis
) -> None:
    caller = Identity.staff(f"hung-{uuid.uuid4().hex[:8]}")
    async with http_client(engine, _settings(database_url, redis_server), identity=caller) as c:
        runtime = c.app.state.runtime  # type: ignore[attr-defined]
        limiter = c.app.state.graphql.rate_limiter  # type: ignore[attr-defined]
        breaker: RedisBreaker = runtime.redis_breaker
        assert (await c.post("/graphql", json=QUERY)).status_code == 200
        assert await _counted(runtime.redis, caller.subject) == 1

        redis_server.hang()
        try:
            statuses = [(await c.post("/graphql", json=QUERY)).status_code for _ in range(10)]
            # Fail open: every request answered, each one counted as let through uncounted.
            assert statuses == [200] * 10
            assert limiter.fail_open_decisions == 10
            # Only three calls waited for the hung Redis; the breaker refused the other seven.
            assert breaker.state == OPEN and breaker.opened == 1
            assert breaker.failures == 3 and breaker.short_circuited == 7
            assert breaker.retry_after() == 1

            # APQ: the text goes to the database at once instead of waiting for Redis.
            query = f"query Banks {{ banks {{ code }} }} # {uuid.uuid4().hex}"
            sha = hashlib.sha256(query.encode()).hexdigest()
            apq = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
            stored = await c.post("/graphql", json={"query": query, "extensions": apq})
            assert stored.status_code == 200 and breaker.failures == 3
            assert limiter.fail_open_decisions == 11
            async with engine.connect() as connection:
                row = await connection.scalar(
                    select(m.PersistedDocument.body).where(m.PersistedDocument.sha256 == sha)
                )
            assert row == query
        finally:
            redis_server.resume()

        # After the breaker's time, one request tries Redis again, and counting resumes.
        await asyncio.sleep(BREAKER)
        before = await _counted(runtime.redis, caller.subject)
        assert (await c.post("/graphql", json=QUERY)).status_code == 200
        assert breaker.state == CLOSED
        assert await _counted(runtime.redis, caller.subject) == before + 1
        assert limiter.fail_open_decisions == 11


async def test_rate_limits_may_fail_closed(
    engine: AsyncEngine, database_url: str, redis_server: ThrowawayRedis
) -> None:
    settings = _settings(database_url, redis_server, rate_limit_on_redis_failure="closed")
    async with http_client(engine, settings) as client:
        limiter = client.app.state.graphql.rate_limiter  # type: ignore[attr-defined]
        assert (await client.post("/graphql", json=QUERY)).status_code == 200
        redis_server.hang()
        try:
            for _ in range(5):
                refused = await client.post("/graphql", json=QUERY)
                assert refused.status_code == 503
                assert refused.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert 1 <= int(refused.headers["retry-after"]) <= BREAKER + 1
            assert limiter.fail_open_decisions == 0
            # Health checks do not depend on Redis.
            assert (await client.get("/healthz")).status_code == 200
        finally:
            redis_server.resume()


def test_fail_open_or_closed_is_a_checked_setting(database_url: str) -> None:
    with pytest.raises(ValueError, match="open' or 'closed"):
        test_settings(database_url, rate_limit_on_redis_failure="sometimes").check()


async def test_one_trial_at_a_time_while_half_open(redis_server: ThrowawayRedis) -> None:
    now = [0.0]
    redis = connect_redis(redis_server.url, TIMEOUT)
    breaker = RedisBreaker(redis, open_seconds=5, failures_to_open=1, clock=lambda: now[0])
    try:
        redis_server.hang()
        with pytest.raises(RedisUnavailable):
            await breaker.call(lambda r: r.ping())
        assert breaker.state == OPEN and breaker.retry_after() == 5
        now[0] = 5.0
        # Two calls at once once its time is up: one tries the (still hung) Redis, one is refused.
        results = await asyncio.gather(
            breaker.call(lambda r: r.ping()),
            breaker.call(lambda r: r.ping()),
            return_exceptions=True,
        )
        assert all(isinstance(result, RedisUnavailable) for result in results)
        assert breaker.failures == 2 and breaker.short_circuited == 1
        assert breaker.state == OPEN and breaker.opened == 1  # the failed trial opened it again
        redis_server.resume()
        now[0] = 10.0
        assert await breaker.call(lambda r: r.ping()) is True
        assert breaker.state == CLOSED
    finally:
        redis_server.resume()
        await redis.aclose()
