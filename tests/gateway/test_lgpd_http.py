"""The LGPD rights over HTTP: a customer's data export, and the anonymization of a former
customer that keeps its money records (ADR 0161)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import orjson
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.identity import Identity, Permission
from domain.models.enums import PlanStatus, ReceivableOrigin, ReceivableStatus
from tests.gateway.registration_support import (
    CLERK,
    audit_actions,
    count,
    gid,
    gql,
    subscriber,
    written_client,
)
from tests.gateway.test_registration_http import CREATE, PERSON, UPDATE, _free_cpf


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, cep_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in written_client(engine, database_url, cep_base_url=cep_url):
        yield c


EXPORT = """query ($id: ID) { customerDataExport(customerId: $id) { __typename
  ... on CustomerDataExport { customer { databaseId } generatedAt document }
  ... on NotFound { entity } ... on NotAllowed { permission } } }"""
ANONYMIZE = """mutation ($id: ID!) { anonymizeCustomer(input: {customerId: $id}) { __typename
  ... on AnonymizeCustomerSuccess { customer { name document email emails { address }
      phones { number } contacts { name phone } addresses { cep street city } anonymizedAt } }
  ... on RuleViolation { rule message } ... on NotAllowed { permission } } }"""


async def test_the_subscriber_exports_everything_held_about_it(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id, login = (
            await c.execute(
                select(m.Plan.customer_id, m.RadiusLogin.login)
                .join(m.RadiusLogin, m.RadiusLogin.plan_id == m.Plan.id)
                .join(m.ConnectionSession, m.ConnectionSession.username == m.RadiusLogin.login)
                .order_by(m.Plan.customer_id)
                .limit(1)
            )
        ).one()
        plans = await c.scalar(
            select(func.count()).select_from(m.Plan).where(m.Plan.customer_id == customer_id)
        )
        receivables = await c.scalar(
            select(func.count())
            .select_from(m.Receivable)
            .where(m.Receivable.customer_id == customer_id)
        )
        document = await c.scalar(select(m.Customer.document).where(m.Customer.id == customer_id))
    data = (await gql(client, subscriber(customer_id), EXPORT))["customerDataExport"]
    assert data["__typename"] == "CustomerDataExport"
    export = data["document"]
    assert export["customer"]["document"] == document
    assert len(export["plans"]) == plans and len(export["receivables"]) == receivables
    assert {s["username"] for s in export["connectionSessions"]} >= {login}
    assert any(s["login"] == login for p in export["plans"] for s in p["services"] if "login" in s)
    # No secret travels in an export.
    text = orjson.dumps(export).decode()
    assert "password_hash" not in text and "$argon2" not in text
    # Staff need CUSTOMER_ADMIN; another subscriber finds no such customer.
    staff = Identity.staff("billing", Permission.BILLING)
    refused = await gql(client, staff, EXPORT, id=gid("Customer", customer_id))
    assert refused["customerDataExport"] == {
        "__typename": "NotAllowed",
        "permission": "CUSTOMER_ADMIN",
    }
    stranger = await gql(
        client, subscriber(customer_id + 1), EXPORT, id=gid("Customer", customer_id)
    )
    assert stranger["customerDataExport"] == {"__typename": "NotFound", "entity": "Customer"}
    by_clerk = await gql(client, CLERK, EXPORT, id=gid("Customer", customer_id))
    assert by_clerk["customerDataExport"]["document"]["customer"]["id"] == customer_id


async def test_a_customer_with_a_live_plan_is_not_anonymized(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id, name = (
            await c.execute(
                select(m.Customer.id, m.Customer.name)
                .join(m.Plan, m.Plan.customer_id == m.Customer.id)
                .where(m.Plan.status == PlanStatus.ACTIVE)
                .limit(1)
            )
        ).one()
    refused = (await gql(client, CLERK, ANONYMIZE, id=gid("Customer", customer_id)))[
        "anonymizeCustomer"
    ]
    assert refused["__typename"] == "RuleViolation" and refused["rule"] == "CUSTOMER_NOT_FORMER"
    assert "not cancelled" in refused["message"]
    async with engine.connect() as c:
        assert await c.scalar(select(m.Customer.name).where(m.Customer.id == customer_id)) == name
    assert await audit_actions(engine, customer_id) == []
    me = subscriber(customer_id)
    mine = (await gql(client, me, ANONYMIZE, id=gid("Customer", customer_id)))["anonymizeCustomer"]
    assert mine == {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}


async def test_a_former_customer_is_anonymized_and_its_money_records_kept(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (
        await gql(client, CLERK, CREATE, input={**PERSON, "document": await _free_cpf(engine)})
    )["createCustomer"]["customer"]
    customer_id = created["databaseId"]
    async with writer_bind(engine).begin() as c:  # a paid fee: a money record the law keeps
        await c.execute(
            insert(m.Receivable).values(
                customer_id=customer_id,
                origin=ReceivableOrigin.PLAN_CYCLE,
                description="Mensalidade",
                amount=Decimal("99.90"),
                due_date=dt.date(2026, 10, 10),
                status=ReceivableStatus.PAID,
                paid_at=dt.datetime(2026, 10, 9, tzinfo=dt.UTC),
                paid_amount=Decimal("99.90"),
            )
        )
    result = (await gql(client, CLERK, ANONYMIZE, id=gid("Customer", customer_id)))[
        "anonymizeCustomer"
    ]
    assert result["__typename"] == "AnonymizeCustomerSuccess", result
    customer = result["customer"]
    assert customer["name"] == f"Cliente anonimizado {customer_id}"
    assert customer["document"].startswith("#") and len(customer["document"]) == 11
    assert customer["email"] is None and customer["emails"] == [] and customer["phones"] == []
    assert customer["contacts"] == [{"name": "Contato anonimizado", "phone": None}]
    assert customer["addresses"][0]["street"] == "Anonimizado"
    assert customer["addresses"][0]["cep"] == "00000000"
    assert customer["anonymizedAt"] is not None
    assert await count(engine, m.Receivable, m.Receivable.customer_id == customer_id) == 1
    # The audit trail stays, without the personal values it recorded.
    assert await audit_actions(engine, customer_id) == ["createCustomer", "anonymizeCustomer"]
    async with engine.connect() as c:
        created_row = await c.scalar(
            select(m.AuditLog.after).where(
                m.AuditLog.target_id == customer_id, m.AuditLog.action == "createCustomer"
            )
        )
    assert created_row["name"] is None and created_row["document"] is None
    assert "Maria" not in orjson.dumps(created_row).decode()
    # Its export now holds no personal datum, and nothing changes it any more.
    export = (await gql(client, CLERK, EXPORT, id=gid("Customer", customer_id)))[
        "customerDataExport"
    ]["document"]
    assert "Maria" not in orjson.dumps(export).decode()
    assert len(export["receivables"]) == 1
    again = (
        await gql(
            client, CLERK, UPDATE, input={"customerId": gid("Customer", customer_id), "name": "X"}
        )
    )["updateCustomer"]
    assert again["__typename"] == "RuleViolation"
