"""Rules every place that sets a password, a mailbox or an identifier shares, over HTTP as the
staff member who would do it: one password rule (ADR 0111), mailboxes on the ISP's or the
customer's own domains only (ADR 0112), identifiers unique whatever their case and a deleted
antivirus that reads DELETED (ADR 0113).

Requests commit; `Committed` deletes what each test added.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.models.enums import PaymentMethod, PlanStatus, ReceivableStatus
from gateway.schema.base import to_global_id
from tests.gateway.committed import Committed
from tests.gateway.helpers import http_client, test_settings
from tests.gateway.service_helpers import ERRORS

ADD_PLAN = """mutation ($input: AddPlanInput!) { addPlan(input: $input) { __typename
  ... on AddPlanSuccess { radiusLogin emailAddress
    radiusPasswordStrength { score band } emailPasswordStrength { score band }
    plan { services { __typename ... on RadiusLogin { login } ... on EmailAccount { address } } } }
  ... on ValidationError { fields { path message } } } }"""
STRENGTH = """query ($password: String!, $login: String, $email: String) {
  passwordStrength(password: $password, login: $login, email: $email) {
    ... on PasswordStrength { score band } } }"""
SERVICE = (
    """mutation ($input: %(type)s!) { %(field)s(input: $input) { __typename ...Errors
  ... on %(success)s { service { id databaseId %(fields)s } } } }"""
    + ERRORS
)
LICENCE = (
    """query ($id: ID!) { node(id: $id) { ... on AntivirusLicense { status licenseStatus } } }"""
)
EQUIPMENT = """query ($location: ID!, $casn: String!) {
  equipmentByCasn(locationId: $location, casn: $casn) { __typename
    ... on EquipmentLookup { equipment { casn } } ... on NotFound { id } } }"""


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with Committed(engine), http_client(engine, test_settings(database_url)) as client:
        yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def service(
    client: httpx.AsyncClient, field: str, fields: str = "status", **payload: Any
) -> dict[str, Any]:
    name = field[0].upper() + field[1:]
    success = {"deleteAntivirus": "RemoveServiceSuccess"}.get(field, f"{name}Success")
    if field == "activateAntivirus":
        success = "AntivirusLicenseSuccess"
    query = SERVICE % {"type": f"{name}Input", "field": field, "success": success, "fields": fields}
    return (await gql(client, query, input=payload))[field]


async def _plan(engine: AsyncEngine, offer: str) -> int:
    async with engine.connect() as c:
        plan = await c.scalar(
            select(m.Plan.id)
            .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
            .where(m.PlanOffer.name == offer, m.Plan.status == PlanStatus.ACTIVE)
            .order_by(m.Plan.id)
            .limit(1)
        )
    assert plan is not None
    return int(plan)


async def _wizard(engine: AsyncEngine) -> dict[str, Any]:
    """addPlan's input for a customer that passes every registration rule (its debts settled,
    put back by the test), on an offer with e-mail and RADIUS logins."""
    async with writer_bind(engine).begin() as c:
        customer = await c.scalar(
            select(m.Customer.id)
            .where(m.Customer.email.is_not(None), m.Customer.kind == "PERSON")
            .order_by(m.Customer.id)
            .limit(1)
        )
        address = await c.scalar(
            select(m.Address.id).where(m.Address.customer_id == customer).limit(1)
        )
        offer = await c.scalar(select(m.PlanOffer.id).where(m.PlanOffer.name == "Fibra 100 Mega"))
    assert customer and address and offer
    return {
        "customerId": to_global_id("Customer", customer),
        "offerId": to_global_id("PlanOffer", offer),
        "installationAddress": {"addressId": to_global_id("Address", address)},
        "billing": {"paymentMethod": PaymentMethod.BOLETO.name, "dueDay": 10},
    }


@pytest.fixture
async def debts_settled(engine: AsyncEngine) -> AsyncIterator[None]:
    """The wizard's customer owes nothing while the test runs (a registration rule)."""
    r = m.Receivable
    async with writer_bind(engine).begin() as c:
        customer = await c.scalar(
            select(m.Customer.id)
            .where(m.Customer.email.is_not(None), m.Customer.kind == "PERSON")
            .order_by(m.Customer.id)
            .limit(1)
        )
        open_ids = list(
            await c.scalars(
                select(r.id).where(r.customer_id == customer, r.status == ReceivableStatus.OPEN)
            )
        )
        await c.execute(
            update(r).where(r.id.in_(open_ids)).values(status=ReceivableStatus.CANCELLED)
        )
    yield
    async with writer_bind(engine).begin() as c:
        await c.execute(update(r).where(r.id.in_(open_ids)).values(status=ReceivableStatus.OPEN))


async def test_add_plan_refuses_the_passwords_the_service_mutations_refuse(
    client: httpx.AsyncClient, engine: AsyncEngine, debts_settled: None
) -> None:
    wizard = await _wizard(engine)
    for radius, mailbox in (("abc", "1"), ("1", "caixa.teste.1@provedor.net.br")):
        refused = await gql(
            client,
            ADD_PLAN,
            input={
                **wizard,
                "radiusLogin": {"login": "senha.fraca.1", "password": radius},
                "email": {"login": "caixa.teste.1", "password": mailbox},
            },
        )
        fields = refused["addPlan"]["fields"]
        assert [f["path"] for f in fields] == [["email", "password"], ["radiusLogin", "password"]]
        assert all(f["message"].startswith("is too weak") for f in fields), fields
    # The login itself, case aside, as addRadiusLogin refuses it.
    same = await gql(
        client,
        ADD_PLAN,
        input={**wizard, "radiusLogin": {"login": "Senha.Fraca.1", "password": "SENHA.fraca.1"}},
    )
    assert same["addPlan"]["fields"] == [
        {
            "path": ["radiusLogin", "password"],
            "message": "is too weak: it equals the login or e-mail; very weak passwords (< 20) "
            "are refused",
        }
    ]
    async with engine.connect() as c:
        assert (
            await c.scalar(select(m.RadiusLogin.id).where(m.RadiusLogin.login == "senha.fraca.1"))
            is None
        )

    added = await gql(
        client,
        ADD_PLAN,
        input={
            **wizard,
            "radiusLogin": {"login": "Senha.Forte.1", "password": "Kx7#pLm2$vQz"},
            "email": {"login": "Caixa.Forte.1", "password": "abcd1234"},
        },
    )
    result = added["addPlan"]
    assert (result["radiusLogin"], result["emailAddress"]) == (
        "senha.forte.1",
        "caixa.forte.1@provedor.net.br",
    )
    # The strength of each password, as passwordStrength (and addRadiusLogin, addEmail) give it.
    for reported, password, login, email in (
        (result["radiusPasswordStrength"], "Kx7#pLm2$vQz", "senha.forte.1", None),
        (
            result["emailPasswordStrength"],
            "abcd1234",
            "caixa.forte.1",
            "caixa.forte.1@provedor.net.br",
        ),
    ):
        expected = await gql(client, STRENGTH, password=password, login=login, email=email)
        assert reported == expected["passwordStrength"]
    assert result["emailPasswordStrength"]["band"] != "VERY_WEAK"


async def test_mailboxes_only_on_the_isps_or_the_customers_own_domains(
    client: httpx.AsyncClient, engine: AsyncEngine, debts_settled: None
) -> None:
    plan = to_global_id("Plan", await _plan(engine, "Fibra 1 Giga + Fixo"))
    password = "Kx7#pLm2$vQz"
    gmail = await service(
        client, "addEmail", login="bruno", domain="gmail.com", password=password, planId=plan
    )
    assert gmail["fields"] == [
        {
            "path": ["domain"],
            "message": "gmail.com is neither one of the ISP's e-mail domains (provedor.net.br) "
            "nor a domain hosted for this customer",
        }
    ]
    hosted = await service(client, "addDomain", "name", planId=plan, name="Loja-Do-Bruno.com.br")
    assert hosted["__typename"] == "AddDomainSuccess", hosted
    own = await service(
        client,
        "addEmail",
        "address",
        login="Bruno",
        domain="LOJA-do-bruno.com.br",
        password=password,
        planId=plan,
    )
    assert own["service"]["address"] == "bruno@loja-do-bruno.com.br"
    isp = await service(
        client, "addEmail", "address", login="bruno.isp", password=password, planId=plan
    )
    assert isp["service"]["address"] == "bruno.isp@provedor.net.br"
    alias = await service(
        client, "addEmailAlias", emailId=own["service"]["id"], login="vendas", domain="gmail.com"
    )
    assert alias["fields"][0]["path"] == ["domain"]
    # Another customer's hosted domain is not this customer's.
    other = to_global_id("Plan", await _plan(engine, "Fibra 100 Mega"))
    foreign = await service(
        client,
        "addEmail",
        login="intruso",
        domain="loja-do-bruno.com.br",
        password=password,
        planId=other,
    )
    assert foreign["fields"][0]["path"] == ["domain"]
    # The wizard applies the same rule.
    wizard = await _wizard(engine)
    refused = await gql(
        client,
        ADD_PLAN,
        input={**wizard, "email": {"login": "bruno", "domain": "gmail.com", "password": password}},
    )
    assert refused["addPlan"]["fields"][0]["path"] == ["email", "domain"]
    async with engine.connect() as c:
        assert (
            await c.scalar(select(m.EmailAccount.id).where(m.EmailAccount.domain == "gmail.com"))
            is None
        )


async def test_identifiers_are_one_whatever_their_case(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    business = to_global_id("Plan", await _plan(engine, "Empresarial Link Dedicado 200"))
    circuit = {
        "bandwidthKbps": 1000,
        "endpointA": "POP Centro",
        "endpointB": "Cliente",
        "planId": business,
    }
    first = await service(client, "addCircuit", "identifier", identifier=" cir-caso  1 ", **circuit)
    assert first["service"]["identifier"] == "CIR-CASO 1"
    second = await service(client, "addCircuit", identifier="CIR-Caso 1", **circuit)
    assert second["fields"] == [{"path": ["identifier"], "message": "CIR-CASO 1 is already in use"}]

    fibra = to_global_id("Plan", await _plan(engine, "Fibra 600 Mega"))
    sip = await service(
        client,
        "addVoiceTerminal",
        "sipUsername",
        planId=fibra,
        phoneNumber="+5541988771101",
        sipUsername="Sip.Caso",
    )
    assert sip["service"]["sipUsername"] == "sip.caso"
    again = await service(
        client,
        "addVoiceTerminal",
        planId=fibra,
        phoneNumber="+5541988771102",
        sipUsername="SIP.caso",
    )
    assert again["fields"][0]["path"] == ["sipUsername"]

    login = await service(
        client, "addRadiusLogin", "login", planId=fibra, login="Caso.Login", password="Kx7#pLm2$vQz"
    )
    assert login["service"]["login"] == "caso.login"
    taken = await service(
        client, "addRadiusLogin", planId=fibra, login="CASO.login", password="Kx7#pLm2$vQz"
    )
    assert taken["fields"][0]["path"] == ["login"]

    # A CASN is found however it is typed.
    async with writer_bind(engine).begin() as c:
        location = await c.scalar(select(m.TvPointLocation.id).limit(1))
        await c.execute(
            insert(m.Equipment).values(
                casn="ABCD1234EF",
                description="Caixa de teste",
                asset_tag="PAT-CASO-1",
                serial="SER-CASO-1",
                internal_code="INT-1",
            )
        )
    try:
        found = await gql(
            client,
            EQUIPMENT,
            location=to_global_id("TvPointLocation", location),
            casn="abcd 1234ef",
        )
        assert found["equipmentByCasn"] == {
            "__typename": "EquipmentLookup",
            "equipment": {"casn": "ABCD1234EF"},
        }
    finally:
        async with writer_bind(engine).begin() as c:
            await c.execute(delete(m.Equipment).where(m.Equipment.casn == "ABCD1234EF"))


async def test_a_deleted_antivirus_reads_deleted(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    plan = to_global_id("Plan", await _plan(engine, "Fibra 100 Mega"))
    added = await service(client, "addAntivirus", "licenseStatus", planId=plan, seats=2)
    assert added["service"]["licenseStatus"] == "ACTIVE"
    licence = added["service"]["id"]
    deleted = await service(client, "deleteAntivirus", serviceId=licence)
    assert deleted["__typename"] == "RemoveServiceSuccess", deleted
    read = (await gql(client, LICENCE, id=licence))["node"]
    assert read == {"status": "CANCELLED", "licenseStatus": "DELETED"}
    again = await service(client, "activateAntivirus", serviceId=licence)
    assert again["__typename"] == "InvalidTransition"
    assert (await gql(client, LICENCE, id=licence))["node"]["licenseStatus"] == "DELETED"
