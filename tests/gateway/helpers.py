"""Running operations against the schema directly, as most GraphQL tests do."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.context import GraphQLContext
from gateway.schema.query import schema
from gateway.settings import Settings

SETTINGS = Settings()


async def run(
    session: AsyncSession, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Executes `query` and returns its data; fails the test on any GraphQL error."""
    result = await schema.execute(
        query,
        variable_values=variables,
        context_value=GraphQLContext.for_session(session, SETTINGS),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def run_with_errors(
    session: AsyncSession, query: str, variables: dict[str, Any] | None = None
) -> Any:
    return await schema.execute(
        query,
        variable_values=variables,
        context_value=GraphQLContext.for_session(session, SETTINGS),
    )
