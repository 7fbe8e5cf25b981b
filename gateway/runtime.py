"""What the running app holds: settings, engine, session factory and schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.db import create_engine, session_factory
from domain.identity import DEVELOPMENT_STAFF, Identity
from gateway.context import GraphQLContext
from gateway.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    schema: strawberry.Schema

    @classmethod
    def build(cls, settings: Settings, engine: AsyncEngine | None = None) -> Runtime:
        from gateway.schema.query import schema

        if engine is None:
            engine = create_engine(settings.database_url, **_pool_options(settings))
        return cls(
            settings=settings, engine=engine, sessions=session_factory(engine), schema=schema
        )

    def identity_for(self, request: Any) -> Identity:
        """Who the request acts as; every HTTP entry point asks here.

        Until authentication lands (issue 8) every request is the development staff user.
        """
        return DEVELOPMENT_STAFF

    def context_for(self, session: AsyncSession, request: Any = None) -> GraphQLContext:
        return GraphQLContext.for_session(
            session, self.settings, request, identity=self.identity_for(request)
        )


def _pool_options(settings: Settings) -> dict[str, Any]:
    if settings.database_url.startswith("sqlite"):
        return {}
    return {"pool_size": settings.db_pool_size, "max_overflow": settings.db_pool_size}
