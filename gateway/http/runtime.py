"""What the running app holds: settings, engine, session factory, schema, Redis, replicas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.db import create_engine, session_factory
from domain.identity import Identity
from domain.reads.batched import Readers
from gateway.execution.redis_guard import RedisBreaker
from gateway.execution.redis_guard import connect as connect_redis
from gateway.http.replicas import Database, ReplicaSet
from gateway.loaders.context import GraphQLContext
from gateway.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    schema: strawberry.Schema
    redis: Any = None  # redis.asyncio.Redis when GATEWAY_REDIS_URL is set
    # Every use of `redis` goes through it: short timeouts, then not asked while down.
    redis_breaker: RedisBreaker | None = None
    counters: Any = None  # rate-limit counters: in Redis, or in this process
    # Where reads may run: the primary, and the streaming replicas when configured (ADR 0230).
    primary: Database = field(default=None)  # type: ignore[assignment]
    replicas: ReplicaSet | None = None

    def __post_init__(self) -> None:
        if self.primary is None:
            self.primary = Database("primary", self.engine, self.sessions, Readers(self.engine))

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine | None = None) -> Runtime:
        from gateway.http.ratelimit import MemoryCounters, RedisCounters
        from gateway.resolvers.root import schema

        if engine is None:
            engine = create_engine(settings.database_url, **_pool_options(settings))
        redis = breaker = None
        if settings.redis_url:
            redis = connect_redis(settings.redis_url, settings.redis_timeout_seconds)
            breaker = RedisBreaker(redis, open_seconds=settings.redis_breaker_seconds)
        runtime = cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            schema=schema,
            redis=redis,
            redis_breaker=breaker,
            counters=RedisCounters(breaker) if breaker is not None else MemoryCounters(),
        )
        if settings.database_replica_urls:
            runtime.replicas = ReplicaSet.build(
                settings, runtime.primary, breaker, _pool_options(settings)
            )
        return runtime

    def context_for(
        self, session: AsyncSession, request: Any = None, *, identity: Identity
    ) -> GraphQLContext:
        return GraphQLContext.for_session(session, self.settings, request, identity=identity)

    async def close(self, *, engine: bool) -> None:
        await self.primary.readers.shutdown()
        if self.replicas is not None:
            await self.replicas.close()
        if self.redis is not None:
            await self.redis.aclose()
        if engine:
            await self.engine.dispose()


CONNECT_TIMEOUT_SECONDS = 5.0


def _pool_options(settings: Settings) -> dict[str, Any]:
    if settings.database_url.startswith("sqlite"):
        return {}
    # PostgreSQL stops any statement that outlives the request's time limit by itself, even
    # if the client side of the request is gone (ADR 0083).
    timeout_ms = max(1, int(settings.request_timeout_seconds * 1000))
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "connect_args": {
            "server_settings": {"statement_timeout": str(timeout_ms)},
            # A server that accepts the connection but never answers (stopped, overloaded)
            # is an outage after this long, not a request that waits asyncpg's 60 s.
            "timeout": min(CONNECT_TIMEOUT_SECONDS, settings.request_timeout_seconds),
        },
        # No request waits longer than its time limit for a pooled connection: past it, 503.
        "pool_timeout": settings.request_timeout_seconds,
    }
