"""One fragment serves every mutation: each error type implements UserError, with a stable
code and the input field it is about."""

from __future__ import annotations

import httpx
import pytest
from graphql import GraphQLUnionType
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.resolvers.root import schema
from tests.gateway.helpers import http_client, test_settings
from tests.gateway.plan_helpers import a_plan, gid

FRAGMENT = "fragment E on UserError { __typename code message field }"


def test_every_error_member_of_every_union_is_a_user_error() -> None:
    interface = schema._schema.get_type("UserError")
    errors = set(schema._schema.get_possible_types(interface))
    unions = [t for t in schema._schema.type_map.values() if isinstance(t, GraphQLUnionType)]
    # Result unions: those that answer refusals as data (`Me` is a union of identities).
    results = [union for union in unions if errors & set(union.types)]
    assert len(results) > 50
    for union in results:
        members = set(union.types)
        # Every union holds every error type, and nothing else but its success type.
        assert errors <= members, union.name
        assert len(members - errors) <= 1, union.name


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> httpx.AsyncClient:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


async def test_one_fragment_reads_the_refusal_of_any_mutation(
    client: httpx.AsyncClient, session
) -> None:  # type: ignore[no-untyped-def]
    plan = await a_plan(session)
    weak = (
        """mutation ($id: ID!) { addRadiusLogin(input: {planId: $id, password: "abc"}) {
      __typename ...E } } """
        + FRAGMENT
    )
    answer = (
        await client.post(
            "/graphql", json={"query": weak, "variables": {"id": gid("Plan", plan.id)}}
        )
    ).json()
    refused = answer["data"]["addRadiusLogin"]
    assert refused["__typename"] == "ValidationError"
    assert refused["code"] == "VALIDATION_ERROR" and refused["field"] == "password"
    missing = (
        """mutation { cancelPlan(input: {planId: "UGxhbjo5OTk5OTk5OQ==", reason: "x"}) {
      __typename ...E } } """
        + FRAGMENT
    )
    answer = (await client.post("/graphql", json={"query": missing})).json()
    refused = answer["data"]["cancelPlan"]
    assert (refused["__typename"], refused["code"]) == ("NotFound", "NOT_FOUND")
    assert refused["field"] is None
