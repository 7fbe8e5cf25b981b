"""Shared pieces of the registration tests: a client of the app whose writes are removed after
each test, GraphQL over HTTP, identities and counting rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.identity import Identity, Permission, Role
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, test_settings

# Tables these tests write to through the app, children first (deleted in this order).
WRITTEN = (
    m.Receivable, m.InstallationAppointment, m.PlanAddressHistory, m.Plan, m.CustomerEmail,
    m.CustomerPhone,
    m.Contact, m.Address, m.ExtraField, m.Customer, m.AuditLog,
)  # fmt: skip

CLERK = Identity.staff("clerk", Permission.CUSTOMER_ADMIN)
PLAN_CLERK = Identity.staff("plan-clerk", Permission.PLAN_ADMIN)


def subscriber(customer_id: int) -> Identity:
    return Identity(subject=f"portal-{customer_id}", role=Role.SUBSCRIBER, customer_id=customer_id)


def gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


async def highest_ids(engine: AsyncEngine) -> dict[Any, int]:
    async with engine.connect() as c:
        return {t: int(await c.scalar(select(func.max(t.id))) or 0) for t in WRITTEN}


async def remove_written(engine: AsyncEngine, highest: dict[Any, int]) -> None:
    async with writer_bind(engine).begin() as c:
        for table in WRITTEN:
            await c.execute(delete(table).where(table.id > highest[table]))


async def written_client(
    engine: AsyncEngine, database_url: str, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app; every row the test wrote is deleted afterwards."""
    highest = await highest_ids(engine)
    try:
        async with http_client(
            engine, test_settings(database_url, **settings), identity=None
        ) as client:
            yield client
    finally:
        await remove_written(engine, highest)


async def post(
    client: httpx.AsyncClient,
    identity: Identity,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**bearer(identity), **(headers or {})},
    )


async def gql(
    client: httpx.AsyncClient, identity: Identity, query: str, **variables: Any
) -> dict[str, Any]:
    response = await post(client, identity, query, **variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def count(engine: AsyncEngine, model: Any, *conditions: Any) -> int:
    async with engine.connect() as c:
        return int(await c.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def audit_actions(engine: AsyncEngine, customer_id: int) -> list[str]:
    async with engine.connect() as c:
        rows = await c.scalars(
            select(m.AuditLog.action)
            .where(m.AuditLog.target_type == "Customer", m.AuditLog.target_id == customer_id)
            .order_by(m.AuditLog.id)
        )
        return list(rows)
