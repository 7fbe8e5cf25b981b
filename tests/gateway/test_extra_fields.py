"""setExtraFields: the first mutation, and the conventions every mutation follows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import models as m
from domain.db import writer_bind
from domain.identity import Identity
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.root import schema
from gateway.schema.base import to_global_id
from tests.gateway.helpers import SETTINGS, http_client, run, test_settings

SET = """
mutation Set($input: SetExtraFieldsInput!) {
  setExtraFields(input: $input) {
    __typename
    ... on SetExtraFieldsSuccess { fields { name valueType value } }
    ... on ValidationError { message fields { path message } }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
  }
}
"""


async def _customer_id(session: AsyncSession) -> int:
    return await session.scalar(select(m.Customer.id).order_by(m.Customer.id).limit(1))  # type: ignore[return-value]


async def _audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(m.AuditLog)) or 0)


async def test_sets_changes_and_removes_fields(session: AsyncSession) -> None:
    customer_id = await _customer_id(session)
    owner = to_global_id("Customer", customer_id)
    audits = await _audit_count(session)
    data = await run(
        session,
        SET,
        {
            "input": {
                "customerId": owner,
                "fields": [
                    {"name": "Vencimento preferido", "type": "INTEGER", "value": " 10 "},
                    {"name": "Cliente VIP", "type": "BOOLEAN", "value": "TRUE"},
                ],
            }
        },
    )
    result = data["setExtraFields"]
    assert result["__typename"] == "SetExtraFieldsSuccess"
    fields = {f["name"]: (f["valueType"], f["value"]) for f in result["fields"]}
    assert fields["Vencimento preferido"] == ("INTEGER", "10")
    assert fields["Cliente VIP"] == ("BOOLEAN", "true")
    assert await _audit_count(session) == audits + 1

    data = await run(
        session,
        SET,
        {
            "input": {
                "customerId": owner,
                "fields": [
                    {"name": "Cliente VIP", "type": "BOOLEAN", "value": None},
                    {"name": "Vencimento preferido", "type": "DATE", "value": "2026-12-01"},
                ],
            }
        },
    )
    fields = {f["name"]: (f["valueType"], f["value"]) for f in data["setExtraFields"]["fields"]}
    assert "Cliente VIP" not in fields
    assert fields["Vencimento preferido"] == ("DATE", "2026-12-01")
    read_back = await run(
        session,
        "query ($id: ID!) { customer(id: $id) { extraFields { name value } } }",
        {"id": owner},
    )
    assert {"name": "Vencimento preferido", "value": "2026-12-01"} in read_back["customer"][
        "extraFields"
    ]


async def test_invalid_values_change_nothing(session: AsyncSession) -> None:
    customer_id = await _customer_id(session)
    before = await _audit_count(session)
    data = await run(
        session,
        SET,
        {
            "input": {
                "customerId": str(customer_id),
                "fields": [
                    {"name": "Limite", "type": "DECIMAL", "value": "dez"},
                    {"name": "", "type": "STRING", "value": "x"},
                    {"name": "Ok", "type": "STRING", "value": "fine"},
                ],
            }
        },
    )
    result = data["setExtraFields"]
    assert result["__typename"] == "ValidationError"
    paths = {tuple(f["path"]) for f in result["fields"]}
    assert paths == {("fields", "0", "value"), ("fields", "1", "name")}
    names = set(
        await session.scalars(
            select(m.ExtraField.name).where(m.ExtraField.customer_id == customer_id)
        )
    )
    assert "Ok" not in names and await _audit_count(session) == before


async def test_unknown_owner_and_missing_permission(session: AsyncSession) -> None:
    data = await run(session, SET, {"input": {"planId": to_global_id("Plan", 10**8), "fields": []}})
    assert data["setExtraFields"] == {"__typename": "NotFound", "entity": "Plan", "id": str(10**8)}
    data = await run(session, SET, {"input": {"fields": []}})
    assert data["setExtraFields"]["__typename"] == "ValidationError"

    context = GraphQLContext.for_session(session, SETTINGS, identity=Identity.staff("clerk"))
    result = await schema.execute(
        SET,
        variable_values={
            "input": {"customerId": "1", "fields": [{"name": "x", "type": "STRING", "value": "y"}]}
        },
        context_value=context,
    )
    assert result.data == {
        "setExtraFields": {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}
    }


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


async def test_over_http_commits_and_get_refuses_mutations(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    name = "http-test-field"
    variables = {
        "input": {"customerId": "2", "fields": [{"name": name, "type": "STRING", "value": "v"}]}
    }
    refused = await client.get(
        "/graphql",
        params={"query": SET, "variables": __import__("orjson").dumps(variables).decode()},
    )
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"

    async def stored() -> int:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count()).select_from(m.ExtraField).where(m.ExtraField.name == name)
                )
                or 0
            )

    assert await stored() == 0
    try:
        response = await client.post("/graphql", json={"query": SET, "variables": variables})
        assert response.status_code == 200
        assert response.json()["data"]["setExtraFields"]["__typename"] == "SetExtraFieldsSuccess"
        assert await stored() == 1
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(
                m.ExtraField.__table__.delete().where(m.ExtraField.name == name)
            )
