"""Prometheus metrics (ADR 0175), read back with prometheus-client's own parser: requests by
operation, type, executor and outcome, latency, errors by code, rate-limit and overload
refusals, the database pool, the outbox backlog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.actions import outbox as outbox_actions
from domain.db import create_engine, session_factory
from tests.databases import fresh_database
from tests.gateway.helpers import http_client, test_settings

BANKS = {"query": "query Banks { banks { code } }"}


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    """A database of this module's own: its outbox is what the tests put in it."""
    with fresh_database() as url:
        yield url


async def scrape(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, Any], name: str, sample: str | None = None, **labels: str) -> float:
    """The sum of the samples of `name` (or its sample `sample`) whose labels include `labels`."""
    wanted = sample or name
    return sum(
        s.value
        for s in families[name].samples
        if s.name == wanted and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_requests_latency_and_errors_are_counted(empty_database: str) -> None:
    # No shared engine: the app's own pool is the one measured.
    async with http_client(None, test_settings(empty_database)) as client:
        before = await scrape(client)
        for _ in range(3):
            assert (await client.post("/graphql", json=BANKS)).status_code == 200
        standard = await client.post(
            "/graphql", json=BANKS, headers={"x-gateway-executor": "standard"}
        )
        assert standard.status_code == 200
        bad = await client.post("/graphql", json={"query": "{ banks { nope } }"})
        assert bad.status_code == 400
        unauthenticated = await client.post(
            "/graphql", json=BANKS, headers={"authorization": "Bearer not-a-token"}
        )
        assert unauthenticated.status_code == 401
        after = await scrape(client)

    def delta(name: str, sample: str | None = None, **labels: str) -> float:
        return value(after, name, sample, **labels) - value(before, name, sample, **labels)

    requests = "gateway_graphql_requests"
    total = f"{requests}_total"
    assert (
        delta(requests, total, operation="Banks", type="query", executor="compiled", outcome="ok")
        == 3
    )
    assert delta(requests, total, operation="Banks", executor="standard", outcome="ok") == 1
    assert delta(requests, total, outcome="refused") == 2
    assert (
        delta("gateway_graphql_errors", "gateway_graphql_errors_total", code="UNAUTHENTICATED") == 1
    )
    assert delta("gateway_graphql_errors", "gateway_graphql_errors_total") == 2
    histogram = "gateway_graphql_request_duration_seconds"
    assert delta(histogram, f"{histogram}_count", type="query", executor="compiled") == 3
    assert (
        delta(histogram, f"{histogram}_bucket", type="query", executor="compiled", le="+Inf") == 3
    )
    http = "gateway_http_requests"
    assert delta(http, f"{http}_total", route="/graphql", method="POST", status="200") == 4
    # The pool: connections were checked out (and timed), none is held between requests but
    # SQLite's shared reader, which lingers a second after the last read (ADR 0006).
    checkouts = "gateway_db_pool_checkout_seconds"
    assert delta(checkouts, f"{checkouts}_count") >= 1
    assert value(after, "gateway_db_pool_connections_in_use") <= 1
    assert value(after, "gateway_db_pool_size") >= 5


async def test_rate_limit_and_overload_refusals_are_counted(empty_database: str) -> None:
    limited = test_settings(empty_database, rate_limit_per_identity="2/60")
    async with http_client(None, limited) as client:
        before = await scrape(client)
        statuses = [(await client.post("/graphql", json=BANKS)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited_out = await scrape(client)
    async with http_client(None, test_settings(empty_database, max_in_flight=4)) as client:
        bound = client.app.state.in_flight  # type: ignore[attr-defined]
        bound.in_flight = 4  # four requests are running
        try:
            overloaded = await client.post("/graphql", json=BANKS)
        finally:
            bound.in_flight = 0
        assert overloaded.status_code == 503
        assert (
            overloaded.json()["errors"][0]["extensions"]["requestId"]
            == (overloaded.headers["x-request-id"])
        )
        after = await scrape(client)
    async with http_client(None, test_settings(empty_database, request_timeout_seconds=1e-4)) as c:
        slow = await c.post("/graphql", json={"query": "{ customers(first: 50) { totalCount } }"})
        assert slow.status_code == 503
        timed_out = await scrape(c)

    def delta(families: dict[str, Any], name: str, **labels: str) -> float:
        return value(families, name, f"{name}_total", **labels) - value(
            before, name, f"{name}_total", **labels
        )

    assert delta(limited_out, "gateway_rate_limited", bucket="identity") == 1
    assert delta(after, "gateway_overload_rejections", reason="in_flight") == 1
    assert delta(timed_out, "gateway_overload_rejections", reason="timeout") == 1
    assert delta(after, "gateway_graphql_requests", outcome="unavailable") == 1
    assert delta(after, "gateway_graphql_errors", code="OVERLOADED") == 1


async def test_the_outbox_backlog_and_its_oldest_message_age(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        async with session_factory(engine)() as session:
            message = outbox_actions.enqueue(
                session, topic="tv.test", partition_key="p", payload={"n": 1}
            )
            message.created_at = message.next_attempt_at - dt.timedelta(minutes=5)
            outbox_actions.enqueue(session, topic="tv.test", partition_key="p", payload={"n": 2})
            await session.commit()
        settings = test_settings(empty_database, outbox_worker="off")
        async with http_client(None, settings) as client:
            families = await scrape(client)
    finally:
        await engine.dispose()
    assert value(families, "gateway_outbox_backlog_messages") == 2
    assert 300 <= value(families, "gateway_outbox_oldest_message_age_seconds") < 400


async def test_metrics_need_no_token_and_can_move_or_go(empty_database: str) -> None:
    async with http_client(None, test_settings(empty_database), identity=None) as client:
        assert (await client.get("/metrics")).status_code == 200
    moved = test_settings(empty_database, metrics_path="/internal/metrics")
    async with http_client(None, moved, identity=None) as client:
        assert (await client.get("/internal/metrics")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    async with http_client(
        None, test_settings(empty_database, metrics_path=""), identity=None
    ) as c:
        assert (await c.get("/metrics")).status_code == 404


async def test_routes_are_counted_by_their_template(empty_database: str) -> None:
    async with http_client(None, test_settings(empty_database), identity=None) as client:
        before = await scrape(client)
        for plan_id in (1, 2, 3):
            assert (await client.get(f"/plans/{plan_id}/contract.pdf")).status_code == 401
        assert (await client.get("/no/such/page")).status_code == 404
        after = await scrape(client)
    name, sample = "gateway_http_requests", "gateway_http_requests_total"
    route = "/plans/{plan_id}/contract.pdf"

    def delta(**labels: str) -> float:
        return value(after, name, sample, **labels) - value(before, name, sample, **labels)

    assert delta(route=route, method="GET", status="401") == 3
    assert delta(route="other", status="404") == 1
    assert not any("/plans/1/" in s.labels.get("route", "") for s in after[name].samples)
