"""Shared pieces of the service tests: finding seeded plans, running operations as someone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.identity import DEVELOPMENT_STAFF, Identity
from domain.models.enums import PlanStatus
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.root import schema
from gateway.schema.base import to_global_id
from gateway.settings import Settings
from tests.gateway.helpers import SETTINGS

# Every error a service mutation can answer, with the fields the tests look at.
ERRORS = """
fragment Errors on UserError {
  __typename
  message
  ... on ValidationError { fields { path message } }
  ... on RuleViolation { rule }
  ... on NotFound { entity id }
  ... on NotAllowed { permission }
  ... on InvalidTransition { entity fromState toState }
}
"""


async def plan_of(
    session: AsyncSession,
    offer: str,
    *,
    status: PlanStatus = PlanStatus.ACTIVE,
    skip: int = 0,
) -> m.Plan:
    """A seeded plan of the named offer in `status` (the `skip`-th one, by id)."""
    statement = (
        select(m.Plan)
        .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
        .where(m.PlanOffer.name == offer, m.Plan.status == status)
        .order_by(m.Plan.id)
        .offset(skip)
        .limit(1)
    )
    plan = await session.scalar(statement)
    assert plan is not None, f"the seed has no {status.name} plan of {offer!r}"
    return plan


def plan_gid(plan: m.Plan | int) -> str:
    return to_global_id("Plan", plan if isinstance(plan, int) else plan.id)


async def execute(
    session: AsyncSession,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    identity: Identity = DEVELOPMENT_STAFF,
) -> dict[str, Any]:
    """Runs an operation against the schema as `identity`; fails on any GraphQL error."""
    result = await schema.execute(
        query + (ERRORS if "...Errors" in query else ""),
        variable_values=variables,
        context_value=GraphQLContext.for_session(session, settings or SETTINGS, identity=identity),
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def mutation(name: str, input_type: str, success: str, selection: str) -> str:
    """A mutation document for `name(input:)` selecting `selection` on its success type."""
    return f"""
    mutation M($input: {input_type}!) {{
      {name}(input: $input) {{
        __typename
        ... on {success} {{ {selection} }}
        ...Errors
      }}
    }}
    """
