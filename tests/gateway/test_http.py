"""The GraphQL-over-HTTP contract, through the ASGI app as a client sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.identity import Identity
from gateway.http.app import create_app
from gateway.schema.base import to_global_id
from gateway.settings import Settings
from tests.gateway.helpers import bearer, http_client, test_settings

QUERY = "{ customers(first: 2) { totalCount edges { node { name } } } }"
GQL = "application/graphql-response+json"


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


@pytest.fixture
async def production_client(
    engine: AsyncEngine, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_settings(database_url, environment="production")
    async with http_client(engine, settings) as client:
        yield client


async def test_post_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": QUERY})
    assert response.status_code == 200
    assert response.headers["content-type"] == GQL
    body = response.json()
    assert "errors" not in body and len(body["data"]["customers"]["edges"]) == 2


async def test_get_query_with_variables_and_legacy_json(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query ($n: Int) { customers(first: $n) { edges { node { id } } } }",
            "variables": orjson.dumps({"n": 3}).decode(),
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert len(response.json()["data"]["customers"]["edges"]) == 3


async def test_graphiql_in_development_only(
    client: httpx.AsyncClient, production_client: httpx.AsyncClient
) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    hidden = await production_client.get("/graphql", headers={"accept": "text/html"})
    assert hidden.status_code == 400 and "graphiql" not in hidden.text.lower()


@pytest.mark.parametrize(
    ("request_kwargs", "accept", "status"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, GQL, 400),
        ({"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, GQL, 400),
        ({"json": {"query": 42}}, GQL, 400),
        ({"json": {"query": QUERY, "variables": [1]}}, GQL, 400),
        ({"json": {"query": "{ customers("}}, GQL, 400),
        ({"json": {"query": "{ customers("}}, "application/json", 200),
        ({"json": {"query": "{ nope }"}}, GQL, 400),
        (
            {"json": {"query": "query A { planOffers { name } } query B { banks { name } }"}},
            GQL,
            400,
        ),
        (
            {
                "json": {
                    "query": "query ($n: Int!) { customers(first: $n) { totalCount } }",
                    "variables": {"n": "ten"},
                }
            },
            GQL,
            400,
        ),
        (
            {
                "content": b"query=%7B%7D",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            GQL,
            415,
        ),
        ({"json": {"query": QUERY}}, "text/csv", 406),
        ({"content": b"x" * 1_000_001, "headers": {"content-type": "application/json"}}, GQL, 413),
    ],
)
async def test_bad_requests_get_the_right_status(
    client: httpx.AsyncClient, request_kwargs: dict, accept: str, status: int
) -> None:
    headers = {"accept": accept, **request_kwargs.pop("headers", {})}
    response = await client.post("/graphql", headers=headers, **request_kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"] and body["errors"][0]["message"]
    if status == 400 and "data" in body:
        pytest.fail("a request error must not carry data")


async def test_other_methods_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": QUERY})
    assert response.status_code == 405 and "POST" in response.headers["allow"]


# Staff without the BILLING permission: reading receivables is a field error at run time.
def clerk() -> dict[str, str]:
    """A fresh token for each request: one made at import expires before a long suite ends."""
    return bearer(Identity.staff("clerk"))


RECEIVABLES = "customers(first: 3) { nodes { receivables { amount } } }"


async def test_field_error_keeps_status_200_and_data(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": f"{{ planOffers {{ name }} {RECEIVABLES} }}"},
        headers=clerk(),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["path"][0] == "customers"
    assert body["data"] is None or "planOffers" in body["data"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_readiness_fails_without_a_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503


async def test_a_failing_root_field_leaves_no_read_behind(client: httpx.AsyncClient) -> None:
    """A non-null root field failing answers at once while a sibling's loader still reads;
    the session must outlive that read (asyncpg: "another operation is in progress")."""
    offer = to_global_id("PlanOffer", 1)
    # A reversed period refuses the non-null `tickets` list: the whole answer is null.
    refused = (
        'tickets(filter: {opened: {start: "2026-02-01T00:00:00Z", '
        'end: "2026-01-01T00:00:00Z"}}) { databaseId }'
    )
    query = f"""query {{
      {RECEIVABLES}
      {refused}
      node(id: "{offer}") {{ __typename ... on PlanOffer {{ name }} }}
    }}"""
    for _ in range(25):
        response = await client.post(
            "/graphql",
            json={"query": query},
            headers={"x-gateway-executor": "standard", **clerk()},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None
        assert {error["path"][0] for error in body["errors"]} <= {"customers", "tickets"}
    healthy = await client.post("/graphql", json={"query": "{ banks { code } }"})
    assert healthy.status_code == 200 and healthy.json()["data"]["banks"]
