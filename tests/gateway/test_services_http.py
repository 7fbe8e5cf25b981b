"""Services over HTTP, committed for real: every kind added, read back and removed or cancelled,
and twenty concurrent IP requests that never get the same address.

These requests commit, so each test deletes what it wrote before it ends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.models.enums import PlanStatus
from gateway.http.app import create_app
from gateway.schema.base import to_global_id
from simulators.registry import RegistryState, running_registry
from tests.gateway.helpers import bearer, http_client, test_settings
from tests.gateway.service_helpers import ERRORS

PASSWORD = "Kx7#pLm2$vQz"


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[str, RegistryState]]:
    with running_registry() as served:
        yield served


class Written:
    """Remembers the highest ids before a test, and deletes every service, receivable and
    audit row above them afterwards."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.service_id = self.audit_id = 0

    async def __aenter__(self) -> Written:
        async with self.engine.connect() as connection:
            self.service_id = int(await connection.scalar(select(func.max(m.Service.id))) or 0)
            self.audit_id = int(await connection.scalar(select(func.max(m.AuditLog.id))) or 0)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(m.Receivable).where(m.Receivable.extra_service_id > self.service_id)
            )
            # The kinds' tables follow their base rows (ON DELETE CASCADE).
            await connection.execute(delete(m.Service).where(m.Service.id > self.service_id))
            await connection.execute(delete(m.AuditLog).where(m.AuditLog.id > self.audit_id))


async def _plans(engine: AsyncEngine, offer: str, count: int = 1) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.scalars(
            select(m.Plan.id)
            .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
            .where(m.PlanOffer.name == offer, m.Plan.status != PlanStatus.CANCELLED)
            .order_by(m.Plan.id)
            .limit(count)
        )
        return list(rows)


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, registry: tuple[str, RegistryState]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_settings(database_url, registry_base_url=registry[0])
    async with http_client(engine, settings) as client:
        yield client


async def _call(client: httpx.AsyncClient, field: str, input_type: str, payload: dict) -> dict:
    document = f"""
    mutation M($input: {input_type}!) {{
      {field}(input: $input) {{
        __typename
        ... on UserError {{ message }}
        ...Errors
        ... on {_SUCCESS[field]} {{ service {{ id databaseId kind status }} }}
      }}
    }}
    {ERRORS}
    """
    response = await client.post(
        "/graphql", json={"query": document, "variables": {"input": payload}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


_SUCCESS = {
    "addRadiusLogin": "AddRadiusLoginSuccess",
    "addEmail": "AddEmailSuccess",
    "addEmailAlias": "AddEmailAliasSuccess",
    "addIpAddress": "AddIpAddressSuccess",
    "addVoiceTerminal": "AddVoiceTerminalSuccess",
    "addOnu": "AddOnuSuccess",
    "addDomain": "AddDomainSuccess",
    "registerDomain": "RegisterDomainSuccess",
    "addCircuit": "AddCircuitSuccess",
    "addExtraService": "AddExtraServiceSuccess",
    "addAntivirus": "AddAntivirusSuccess",
    "removeService": "RemoveServiceSuccess",
    "deleteAntivirus": "RemoveServiceSuccess",
    "cancelExtraService": "CancelExtraServiceSuccess",
}


async def _services_of(client: httpx.AsyncClient, plan_id: int) -> dict[int, tuple[str, str]]:
    query = (
        "query ($id: ID!) { node(id: $id) { ... on Plan { services { databaseId kind status } } } }"
    )
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"id": to_global_id("Plan", plan_id)}}
    )
    services = response.json()["data"]["node"]["services"]
    return {s["databaseId"]: (s["kind"], s["status"]) for s in services}


async def test_every_kind_added_read_back_and_removed_over_http(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    (business,) = await _plans(engine, "Empresarial Link Dedicado 200")
    (fiber,) = await _plans(engine, "Fibra 300 Mega")
    async with engine.connect() as connection:
        definition_id = await connection.scalar(
            select(m.ExtraServiceDefinition.id).where(
                m.ExtraServiceDefinition.name == "Mudança de endereço"
            )
        )
    plan = to_global_id("Plan", business)
    async with Written(engine):
        added: dict[str, dict] = {}
        for field, input_type, payload in [
            (
                "addRadiusLogin",
                "AddRadiusLoginInput",
                {
                    "planId": plan,
                    "login": "http.kind",
                    "domain": "http-kind.com.br",
                    "password": PASSWORD,
                },
            ),
            (
                "addEmail",
                "AddEmailInput",
                {"planId": plan, "login": "http.kind", "password": PASSWORD},
            ),
            ("addIpAddress", "AddIpAddressInput", {"planId": plan}),
            (
                "addVoiceTerminal",
                "AddVoiceTerminalInput",
                {"planId": plan, "phoneNumber": "+554830009999"},
            ),
            (
                "addOnu",
                "AddOnuInput",
                {
                    "planId": to_global_id("Plan", fiber),
                    "serial": "HTTPKIND0001",
                    "olt": "OLT-9",
                    "ponPort": 2,
                },
            ),
            ("addDomain", "AddDomainInput", {"planId": plan, "name": "http-kind-hosted.com.br"}),
            (
                "registerDomain",
                "RegisterDomainInput",
                {"planId": plan, "name": "http-kind.com.br", "years": 1},
            ),
            (
                "addCircuit",
                "AddCircuitInput",
                {
                    "planId": plan,
                    "identifier": "CIR-HTTP-KIND",
                    "bandwidthKbps": 500_000,
                    "endpointA": "POP Norte",
                    "endpointB": "Filial",
                },
            ),
            (
                "addExtraService",
                "AddExtraServiceInput",
                {
                    "planId": plan,
                    "definitionId": str(definition_id),
                    "firstDueDate": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
                    "installments": 2,
                },
            ),
            ("addAntivirus", "AddAntivirusInput", {"planId": plan}),
        ]:
            result = await _call(client, field, input_type, payload)
            assert result["__typename"] == _SUCCESS[field], (field, result)
            added[field] = result["service"]
        alias = await _call(
            client,
            "addEmailAlias",
            "AddEmailAliasInput",
            {"emailId": added["addEmail"]["id"], "login": "http.alias"},
        )
        assert alias["__typename"] == "AddEmailAliasSuccess", alias
        added["addEmailAlias"] = alias["service"]

        on_plans = {**await _services_of(client, business), **await _services_of(client, fiber)}
        assert {on_plans[s["databaseId"]][0] for s in added.values()} == {
            "RADIUS_LOGIN",
            "EMAIL",
            "EMAIL_ALIAS",
            "IP",
            "VOICE_TERMINAL",
            "ONU",
            "DOMAIN",
            "CIRCUIT",
            "EXTRA_SERVICE",
            "ANTIVIRUS",
        }
        assert all(on_plans[s["databaseId"]][1] == "ACTIVE" for s in added.values())

        # Removing the mailbox ends its alias; the extra service is cancelled, the licence deleted.
        for field in (
            "addRadiusLogin",
            "addEmail",
            "addIpAddress",
            "addVoiceTerminal",
            "addOnu",
            "addDomain",
            "registerDomain",
            "addCircuit",
        ):
            result = await _call(
                client, "removeService", "RemoveServiceInput", {"serviceId": added[field]["id"]}
            )
            assert result["__typename"] == "RemoveServiceSuccess", (field, result)
        result = await _call(
            client,
            "cancelExtraService",
            "CancelExtraServiceInput",
            {"serviceId": added["addExtraService"]["id"]},
        )
        assert result["__typename"] == "CancelExtraServiceSuccess", result
        result = await _call(
            client,
            "deleteAntivirus",
            "DeleteAntivirusInput",
            {"serviceId": added["addAntivirus"]["id"]},
        )
        assert result["__typename"] == "RemoveServiceSuccess", result

        on_plans = {**await _services_of(client, business), **await _services_of(client, fiber)}
        assert {on_plans[s["databaseId"]][1] for s in added.values()} == {"CANCELLED"}
        async with engine.connect() as connection:
            ip = await connection.scalar(
                select(m.IpAssignment.released_at).where(
                    m.IpAssignment.id == added["addIpAddress"]["databaseId"]
                )
            )
            receivables = await connection.scalar(
                select(func.count())
                .select_from(m.Receivable)
                .where(m.Receivable.extra_service_id == added["addExtraService"]["databaseId"])
            )
        assert ip is not None  # released, committed
        assert receivables == 0  # neither installment was billed: both dropped


async def test_twenty_concurrent_ip_requests_get_twenty_addresses(
    engine: AsyncEngine, database_url: str
) -> None:
    plans = await _plans(engine, "Fibra 600 Mega", 20) + await _plans(
        engine, "Fibra 1 Giga + Fixo", 20
    )
    assert plans, "the seed has no plan on the Clientes Fibra pool"
    async with engine.connect() as connection:
        pool = (
            await connection.execute(select(m.IpPool).where(m.IpPool.name == "Clientes Fibra"))
        ).one()
        held = set(
            await connection.scalars(
                select(m.IpAssignment.address).where(
                    m.IpAssignment.pool_id == pool.id, m.IpAssignment.released_at.is_(None)
                )
            )
        )
    free = [
        str(host)
        for host in ipaddress.ip_network(pool.network).hosts()
        if str(host) not in held and str(host) != pool.gateway
    ][:20]

    # An app with its own engine and a pool of 20, so the twenty requests truly run at once.
    app = create_app(test_settings(database_url, db_pool_size=20))
    document = f"""
    mutation M($input: AddIpAddressInput!) {{
      addIpAddress(input: $input) {{
        __typename ... on AddIpAddressSuccess {{ service {{ address }} }} ...Errors
      }}
    }}
    {ERRORS}
    """
    async with Written(engine):
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://gateway",
                timeout=60,
                headers=bearer(),
            ) as client:
                responses = await asyncio.gather(
                    *(
                        client.post(
                            "/graphql",
                            json={
                                "query": document,
                                "variables": {
                                    "input": {"planId": to_global_id("Plan", plans[i % len(plans)])}
                                },
                            },
                        )
                        for i in range(20)
                    )
                )
        finally:
            await app.state.runtime.engine.dispose()
        results = [response.json()["data"]["addIpAddress"] for response in responses]
        assert [r["__typename"] for r in results] == ["AddIpAddressSuccess"] * 20, results
        addresses = [r["service"]["address"] for r in results]
        assert len(set(addresses)) == 20
        assert sorted(addresses, key=ipaddress.ip_address) == free
        async with engine.connect() as connection:
            stored = list(
                await connection.scalars(
                    select(m.IpAssignment.address).where(
                        m.IpAssignment.address.in_(addresses), m.IpAssignment.released_at.is_(None)
                    )
                )
            )
        assert sorted(stored) == sorted(addresses)
