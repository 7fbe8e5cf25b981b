"""Limits on the document, measured before anything runs; each configurable, each named."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from graphql import parse
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.execution.documents import PreparedDocument
from gateway.execution.limits import ArgumentRefused, LimitExceeded, OperationLimits
from gateway.resolvers.root import schema
from gateway.settings import Settings
from tests.gateway.helpers import UNREACHABLE, http_client, test_settings

SETTINGS = Settings(**UNREACHABLE)

# The README's demo query: it must pass the defaults with room to spare.
README = """{
  customers(first: 50) {
    totalCount
    edges { node {
      name document
      plans {
        status offer { name }
        services { __typename kind ... on RadiusLogin { login } ... on EmailAccount { address } }
        tvPackages { package { name channels { name number family } } }
        tvPoints { location { name } equipment { casn serial } history { event at } }
      }
    } }
  }
}"""


def check(
    query: str, settings: Settings = SETTINGS, variables: dict | None = None
) -> LimitExceeded | None:
    document = parse(query)
    operation = PreparedDocument(document, ()).operation(None)
    assert operation is not None
    return OperationLimits(schema._schema, settings).check(document, operation, variables)


def nested(levels: int) -> str:
    """customers > edges > node, then `levels` hops plan > customer."""
    inner = "name"
    for _ in range(levels):
        inner = f"plans {{ customer {{ {inner} }} }}"
    return f"{{ customers(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def test_the_readme_query_passes() -> None:
    assert check(README) is None


def test_depth() -> None:
    assert check(nested(3)) is None  # depth 10
    exceeded = check(nested(4))
    assert exceeded == LimitExceeded("depth", 10, 12)
    assert str(exceeded.message) == "The operation exceeds the depth limit: 12 > 10."
    assert check(nested(4), replace(SETTINGS, max_depth=12)) is None


def test_fragments_count_towards_depth_and_cycles_do_not_hang() -> None:
    query = (
        "query { customers(first: 1) { edges { node { ...C } } } } "
        "fragment C on Customer { plans { customer { plans { customer { plans { customer "
        "{ plans { customer { name } } } } } } } } }"
    )
    assert check(query).limit == "depth"  # type: ignore[union-attr]


def test_aliases_and_directives() -> None:
    aliases = " ".join(f"a{i}: banks {{ name }}" for i in range(16))
    assert check(f"{{ {aliases} }}") == LimitExceeded("aliases", 15, 16)
    directives = " ".join("@include(if: true)" for _ in range(51))
    assert check(f"{{ banks {{ name {directives} }} }}") == LimitExceeded("directives", 50, 51)


def test_page_size_and_cost_come_from_first() -> None:
    for query, argument, message in (
        (
            "{ customers(first: 101) { totalCount } }",
            "first",
            "`first` must be between 0 and 100; got 101.",
        ),
        (
            "{ customers(last: -1) { totalCount } }",
            "last",
            "`last` must be between 0 and 100; got -1.",
        ),
        (
            '{ customers(after: "garbage") { totalCount } }',
            "after",
            "`after` is not a cursor of this connection.",
        ),
    ):
        refused = check(query)
        assert isinstance(refused, ArgumentRefused)
        assert (refused.field, refused.argument) == ("customers", argument)
        assert str(refused.message) == message
    page = (
        "query ($n: Int = 100) { customers(first: $n) "
        "{ edges { node { plans { offer { name } } } } } }"
    )
    assert check(page) is None  # customers 1 + (edges, node, plans, offer) 4 * 100 = 401
    # A variable takes part as sent: the same document is refused with a cost limit of 400.
    tight = replace(SETTINGS, max_cost=400)
    assert check(page, tight) == LimitExceeded("cost", 400, 401)
    assert check(page, tight, {"n": 10}) is None
    # Without `first` a connection costs its default page size (20).
    assert check("{ customers { edges { node { name } } } }", replace(SETTINGS, max_cost=40)) == (
        LimitExceeded("cost", 40, 41)
    )


def test_introspection_is_not_counted() -> None:
    query = "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }"
    assert check(query, replace(SETTINGS, max_depth=2)) is None


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> httpx.AsyncClient:
    settings = test_settings(database_url, max_depth=5, max_cost=100, max_tokens=50)
    async with http_client(engine, settings) as client:
        yield client


async def test_limits_over_http_are_configurable_and_named(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": nested(1)})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "depth",
        "maximum": 5,
        "actual": 6,
        "requestId": response.headers["x-request-id"],
    }
    response = await client.post(
        "/graphql", json={"query": "{ customers(first: 100) { edges { node { name } } } }"}
    )
    assert response.json()["errors"][0]["extensions"]["limit"] == "cost"
    response = await client.post("/graphql", json={"query": "{ " + "__typename " * 60 + "}"})
    assert response.status_code == 400
    assert "50 tokens" in response.json()["errors"][0]["message"]
    response = await client.post(
        "/graphql", json={"query": "{ customers(first: 3) { totalCount } }"}
    )
    assert response.status_code == 200 and response.json()["data"]["customers"]["totalCount"] > 0
