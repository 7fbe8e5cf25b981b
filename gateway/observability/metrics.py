"""Prometheus metrics with prometheus-client (ADR 0175).

Served on `GATEWAY_METRICS_PATH` of the app's port (default `/metrics`, outside the GraphQL
authentication) and/or on an address of their own (`GATEWAY_METRICS_LISTEN`, which `gateway
serve` listens on). With several workers every process writes its values to files in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode, set up by `gateway serve`)
and a scrape adds them up, whichever process answers it.

Label values are bounded: operation names are the client's words, so only well-formed names
are kept, at most `MAX_OPERATION_NAMES` per process; past that they count as "other".
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

_LATENCY = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRAPHQL_REQUESTS = Counter(
    "gateway_graphql_requests",
    "GraphQL requests by operation name, operation type, read path (executor) and outcome "
    "(ok, errors: answered with errors, refused: 4xx, unavailable: 503, failed: 5xx).",
    ["operation", "type", "executor", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "gateway_graphql_request_duration_seconds",
    "Time to answer a GraphQL request, by operation type and read path.",
    ["type", "executor"],
    buckets=_LATENCY,
)
HTTP_REQUESTS = Counter(
    "gateway_http_requests",
    "HTTP requests by route, method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "gateway_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=_LATENCY,
)
ERRORS = Counter(
    "gateway_graphql_errors",
    "Errors in GraphQL responses by their extensions.code (NONE when an error has none).",
    ["code"],
)
RATE_LIMITED = Counter(
    "gateway_rate_limited",
    "Requests refused by a rate limit (429), by the limit's bucket: ip or identity.",
    ["bucket"],
)
OVERLOADED = Counter(
    "gateway_overload_rejections",
    "Requests refused to protect the process (503): in_flight (too many at once) or timeout "
    "(stopped at the request time limit).",
    ["reason"],
)
DB_IN_USE = Gauge(
    "gateway_db_pool_connections_in_use",
    "Database connections checked out of the pool now.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "gateway_db_pool_size",
    "Connections the pool keeps (before overflow), per process, added up.",
    multiprocess_mode="livesum",
)
DB_CHECKOUT = Histogram(
    "gateway_db_pool_checkout_seconds",
    "Time to get a connection from the pool (waits when it is exhausted).",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0),
)
OUTBOX_BACKLOG = Gauge(
    "gateway_outbox_backlog_messages",
    "Outbox messages not yet delivered (pending), at the last sample.",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_AGE = Gauge(
    "gateway_outbox_oldest_message_age_seconds",
    "Age of the oldest pending outbox message (0 when none), at the last sample.",
    multiprocess_mode="mostrecent",
)
OUTBOX_DELIVERIES = Counter(
    "gateway_outbox_deliveries",
    "Outbox delivery attempts by outcome: delivered, retrying, failed.",
    ["outcome"],
)
REPLICA_LAG = Gauge(
    "gateway_db_replica_lag_seconds",
    "How far each read replica is behind the primary, at the last health check: seconds since "
    "the primary was first seen at a WAL position the replica has not replayed (0: caught up).",
    ["replica"],
    multiprocess_mode="mostrecent",
)
REPLICA_HEALTHY = Gauge(
    "gateway_db_replica_healthy",
    "1 while a read replica answers its health check within GATEWAY_REPLICA_MAX_LAG, else 0 "
    "(its reads go to the primary).",
    ["replica"],
    multiprocess_mode="mostrecent",
)
DB_READS = Counter(
    "gateway_db_reads",
    "GraphQL reads by the database that served them (primary, replica1, ...) and why: replica, "
    "read-your-writes, no replica is well, replica failed, read-your-writes unknown (Redis "
    "unavailable).",
    ["database", "reason"],
)

REDIS_BREAKER_OPEN = Gauge(
    "gateway_redis_breaker_open",
    "1 while the Redis circuit breaker is open or half-open (Redis not asked, or one trial at "
    "a time), else 0; the highest of the processes.",
    multiprocess_mode="livemax",
)
REDIS_BREAKER_OPENED = Counter(
    "gateway_redis_breaker_opened", "Times the Redis circuit breaker opened."
)
REDIS_SHORT_CIRCUITED = Counter(
    "gateway_redis_short_circuited",
    "Redis calls refused without asking Redis because the breaker was open.",
)
RATE_LIMIT_FAIL_OPEN = Counter(
    "gateway_rate_limit_fail_open",
    "Requests let through uncounted because Redis could not count them "
    "(GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE=open).",
)

SUBSCRIPTIONS_OPEN = Gauge(
    "gateway_subscriptions_open",
    "GraphQL subscriptions open now, by field and protocol (ws or sse).",
    ["field", "protocol"],
    multiprocess_mode="livesum",
)
SUBSCRIPTION_EVENTS = Counter(
    "gateway_subscription_events",
    "Events sent to subscribers, by field and read path (compiled or standard).",
    ["field", "executor"],
)
SUBSCRIPTION_WITHHELD = Counter(
    "gateway_subscription_events_withheld",
    "Events not sent because the subscriber may not read the changed row (or it is gone), by "
    "field.",
    ["field"],
)
SUBSCRIPTIONS_ENDED = Counter(
    "gateway_subscriptions_closed",
    "Subscriptions the gateway ended, by reason: slow_consumer, token_expired, revoked (an "
    "API key revoked while open), shutdown, limit (refused past a limit), error.",
    ["reason"],
)
CHANGES_RECEIVED = Counter(
    "gateway_realtime_changes",
    "Committed changes this process received from its broker (postgres, redis or memory).",
    ["broker"],
)
CHANGES_LOST = Counter(
    "gateway_realtime_changes_lost",
    "Announcements that could not be published or were missed while the broker was "
    "reconnecting, by broker.",
    ["broker"],
)

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_seen_operations: set[str] = set()


_children: dict[tuple[Any, ...], Any] = {}


def labelled(metric: Any, *values: str) -> Any:
    """`metric.labels(*values)`, kept: prometheus_client checks and locks on every call, and
    each request labels four metrics (the label values are bounded, so is this)."""
    key = (metric, *values)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*values)
    return found


def operation_label(name: str | None) -> str:
    """The operation name as a label value: "" when anonymous, "other" past the bound."""
    if not name:
        return ""
    if name in _seen_operations:
        return name
    if not _NAME.fullmatch(name) or len(_seen_operations) >= MAX_OPERATION_NAMES:
        return "other"
    _seen_operations.add(name)
    return name


def registry() -> Any:
    """What a scrape reads: every process's files in multiprocess mode, else this process."""
    if not MULTIPROCESS:
        return REGISTRY
    collected = CollectorRegistry()
    _multiprocess.MultiProcessCollector(collected)
    return collected


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def process_stopped(pid: int | None = None) -> None:
    """Drops a stopped process's live gauges (multiprocess mode)."""
    if MULTIPROCESS:
        _multiprocess.mark_process_dead(pid if pid is not None else os.getpid())


def watch_pool(engine: Any, pool_size: int) -> None:
    """Counts the engine's checked-out connections and times each checkout."""
    from sqlalchemy import event

    sync_engine = engine.sync_engine
    DB_POOL_SIZE.inc(pool_size)

    @event.listens_for(sync_engine, "checkout")
    def _checkout(*_args: Any) -> None:
        DB_IN_USE.inc()

    @event.listens_for(sync_engine, "checkin")
    def _checkin(*_args: Any) -> None:
        DB_IN_USE.dec()

    pool = sync_engine.pool
    original = pool._do_get  # the pool's own wait for a free connection

    def timed_get() -> Any:
        started = time.perf_counter()
        try:
            return original()
        finally:
            DB_CHECKOUT.observe(time.perf_counter() - started)

    pool._do_get = timed_get


def unwatch_pool(pool_size: int) -> None:
    DB_POOL_SIZE.dec(pool_size)


async def sample_outbox(backlog: Callable[[], Awaitable[tuple[int, float | None]]]) -> None:
    """Sets the outbox gauges from `backlog()`: (pending messages, oldest one's age)."""
    count, oldest_age = await backlog()
    OUTBOX_BACKLOG.set(count)
    OUTBOX_OLDEST_AGE.set(oldest_age or 0.0)
