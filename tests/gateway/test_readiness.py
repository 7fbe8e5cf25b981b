"""/readyz checks every configured dependency within a short timeout and names the ones that
failed; /healthz stays a liveness check."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.http.app import create_app
from gateway.settings import Settings
from tests.databases import backend
from tests.gateway.helpers import http_client, test_settings

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ready_when_the_database_and_redis_answer(
    engine: AsyncEngine, database_url: str
) -> None:
    async with http_client(engine, test_settings(database_url, redis_url=REDIS)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "redis_breaker": "closed",
        # PostgreSQL: the process listens for committed changes (subscriptions, ADR 0220).
        **({"changes": "ok"} if backend() == "postgresql" else {}),
    }


async def test_a_hung_redis_is_named_within_the_timeout(
    engine: AsyncEngine, database_url: str, hung_redis: str
) -> None:
    settings = test_settings(database_url, redis_url=hung_redis, readiness_timeout_seconds=0.3)
    async with http_client(engine, settings) as client:
        started = time.monotonic()
        ready = await client.get("/readyz")
        elapsed = time.monotonic() - started
        alive = await client.get("/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["failed"] == ["redis"]
    assert body["database"] == "ok"
    # Redis's own timeout (0.25 s) or the check's (0.3 s), whichever gives up first.
    assert body["redis"] in ("no answer within 0.3 s", "unavailable (RedisUnavailable)")
    assert elapsed < 2.0
    assert alive.status_code == 200  # liveness does not depend on Redis


async def test_a_redis_that_refuses_connections_is_named(
    engine: AsyncEngine, database_url: str
) -> None:
    settings = test_settings(database_url, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    async with http_client(engine, settings) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["failed"] == ["redis"] and body["database"] == "ok"
    assert body["redis"].startswith("unavailable (")


async def test_an_unreachable_database_is_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failed"] == ["database"]
    assert "redis" not in ready.json()  # not configured, not checked


async def test_the_redis_breaker_and_fail_open_decisions_show_in_readiness_and_metrics(
    engine: AsyncEngine, database_url: str, hung_redis: str
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    def sample(text: str, name: str) -> float:
        families = {f.name: f for f in text_string_to_metric_families(text)}
        return sum(s.value for s in families[name].samples if s.name in (name, f"{name}_total"))

    settings = test_settings(
        database_url,
        redis_url=hung_redis,
        rate_limit_per_ip="1000/60",
        redis_timeout_seconds=0.05,
        redis_breaker_seconds=30,
    )
    async with http_client(engine, settings) as client:
        before = (await client.get("/metrics")).text
        for _ in range(5):  # three failures open the breaker; the next ones do not ask
            response = await client.post("/graphql", json={"query": "{ banks { code } }"})
            assert response.status_code == 200  # rate limits fail open
        after = (await client.get("/metrics")).text
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["redis_breaker"] == "open"
    assert ready.json()["redis"] == "unavailable (RedisUnavailable)"
    assert sample(after, "gateway_redis_breaker_open") == 1
    assert (
        sample(after, "gateway_redis_breaker_opened")
        - sample(before, "gateway_redis_breaker_opened")
        == 1
    )
    assert (
        sample(after, "gateway_redis_short_circuited")
        - sample(before, "gateway_redis_short_circuited")
        >= 2
    )
    assert (
        sample(after, "gateway_rate_limit_fail_open")
        - sample(before, "gateway_rate_limit_fail_open")
        == 5
    )
