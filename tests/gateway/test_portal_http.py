"""The subscriber's own view and the voice reseller's panel, driven over HTTP with their tokens.

Each test writes through the app (its own connections, committed), so it removes what it wrote
afterwards: rows above the highest ids it saw first.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import credentials
from domain import models as m
from domain.db import writer_bind
from domain.identity import Identity, Role
from domain.models.enums import ServiceKind
from domain.rules import boleto as boleto_rules
from domain.rules.documents import generate_cpf
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, test_settings

# Tables the tests write to, children first (deleted in this order).
WRITTEN = (
    m.SmsCreditPurchase, m.Boleto, m.Receivable, m.TicketContact, m.Ticket, m.VoiceFranchise,
    m.VoiceSubscriberPermission, m.VoiceLine, m.VoiceSubscriber, m.AuditLog,
)  # fmt: skip


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, cep_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    keyed = [t for t in WRITTEN if hasattr(t, "id")]
    async with engine.connect() as c:
        highest = {t: int(await c.scalar(select(func.max(t.id))) or 0) for t in keyed}
    settings = test_settings(database_url, cep_base_url=cep_url)  # voice subscribers' CEPs
    async with http_client(engine, settings, identity=None) as client:
        yield client
    async with writer_bind(engine).begin() as c:
        subscribers = select(m.VoiceSubscriber.id).where(
            m.VoiceSubscriber.id > highest[m.VoiceSubscriber]
        )
        await c.execute(
            delete(m.VoiceSubscriberPermission).where(
                m.VoiceSubscriberPermission.subscriber_id.in_(subscribers)
            )
        )
        for table in keyed:
            await c.execute(delete(table).where(table.id > highest[table]))


async def gql(
    client: httpx.AsyncClient, identity: Identity, query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(identity)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def subscriber(customer_id: int) -> Identity:
    return Identity(subject=f"portal-{customer_id}", role=Role.SUBSCRIBER, customer_id=customer_id)


def reseller(reseller_id: int) -> Identity:
    return Identity(subject=f"reseller-{reseller_id}", role=Role.RESELLER, reseller_id=reseller_id)


def gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


CONNECTIONS = """query ($plan: ID!, $start: DateTime!, $end: DateTime!, $after: String) {
  connectionStatement(planId: $plan, period: {start: $start, end: $end}, first: 2, after: $after) {
    __typename
    ... on ConnectionStatement { totalCount totalDurationSeconds totalInputOctets
      totalOutputOctets endCursor hasNextPage
      sessions { login startedAt durationSeconds inputOctets ipAddress nasIpAddress } }
    ... on ValidationError { fields { path } } } }"""


async def test_connection_statement_pages_with_period_totals(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    s = m.ConnectionSession
    async with engine.connect() as c:
        plan_id, customer_id, login = (
            await c.execute(
                select(m.RadiusLogin.plan_id, m.Plan.customer_id, m.RadiusLogin.login)
                .join(m.Plan, m.Plan.id == m.RadiusLogin.plan_id)
                .join(s, s.username == m.RadiusLogin.login)
                .group_by(m.RadiusLogin.plan_id, m.Plan.customer_id, m.RadiusLogin.login)
                .having(func.count() >= 3)
                .order_by(m.RadiusLogin.plan_id)
                .limit(1)
            )
        ).one()
        rows = (await c.execute(select(s).where(s.username == login))).all()
    start = min(r.acctstarttime for r in rows)
    period = {"start": start.isoformat(), "end": (start + dt.timedelta(days=365)).isoformat()}
    within = [r for r in rows if r.acctstarttime < start + dt.timedelta(days=365)]
    me = subscriber(customer_id)
    first = (await gql(client, me, CONNECTIONS, plan=gid("Plan", plan_id), **period))[
        "connectionStatement"
    ]
    assert first["totalCount"] == len(within) and len(first["sessions"]) == 2
    # Staff, whose reads no row filter narrows, see the same sessions: only the plan's login's
    # (the taken-over-login rule once matched every session of the period, ADR 0104).
    staff = (
        await gql(
            client, Identity.staff("support"), CONNECTIONS, plan=gid("Plan", plan_id), **period
        )
    )["connectionStatement"]
    assert staff["totalCount"] == len(within)
    assert staff["totalInputOctets"] == first["totalInputOctets"]
    assert first["totalDurationSeconds"] == sum(r.acctsessiontime for r in within)
    assert first["totalInputOctets"] == sum(r.acctinputoctets for r in within)
    assert first["totalOutputOctets"] == sum(r.acctoutputoctets for r in within)
    assert first["hasNextPage"] is True
    second = (
        await gql(
            client, me, CONNECTIONS, plan=gid("Plan", plan_id), after=first["endCursor"], **period
        )
    )["connectionStatement"]
    seen = first["sessions"] + second["sessions"]
    assert len({(x["startedAt"], x["login"]) for x in seen}) == len(seen)  # no overlap
    assert {x["login"] for x in seen} == {login}
    # A backwards period is refused as data; another customer's plan does not exist.
    bad = await gql(
        client, me, CONNECTIONS, plan=gid("Plan", plan_id), start=period["end"], end=period["start"]
    )
    assert bad["connectionStatement"] == {
        "__typename": "ValidationError",
        "fields": [{"path": ["period", "end"]}],
    }
    stranger = subscriber(customer_id + 1)
    other = await gql(client, stranger, CONNECTIONS, plan=gid("Plan", plan_id), **period)
    assert other["connectionStatement"] == {"__typename": "NotFound"}


CALLS = """query ($plan: ID!, $start: DateTime!, $end: DateTime!) {
  callStatement(planId: $plan, period: {start: $start, end: $end}) { __typename
    ... on CallStatement { totalDurationSeconds totalCost
      calls { termination durationSeconds cost }
      totals { termination count durationSeconds cost } } } }"""


async def test_call_statement_totals_by_termination(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    c_ = m.CallRecord
    async with engine.connect() as c:
        plan_id, customer_id = (
            await c.execute(
                select(m.Service.plan_id, m.Plan.customer_id)
                .join(m.Plan, m.Plan.id == m.Service.plan_id)
                .join(c_, c_.voice_terminal_id == m.Service.id)
                .where(m.Service.kind == ServiceKind.VOICE_TERMINAL)
                .order_by(m.Service.plan_id)
                .limit(1)
            )
        ).one()
        terminals = select(m.Service.id).where(
            m.Service.plan_id == plan_id, m.Service.kind == ServiceKind.VOICE_TERMINAL
        )
        calls = (await c.execute(select(c_).where(c_.voice_terminal_id.in_(terminals)))).all()
    start = min(call.started_at for call in calls)
    data = await gql(
        client,
        subscriber(customer_id),
        CALLS,
        plan=gid("Plan", plan_id),
        start=start.isoformat(),
        end=(start + dt.timedelta(days=366)).isoformat(),
    )
    statement = data["callStatement"]
    assert len(statement["calls"]) == len(calls)
    assert statement["totalDurationSeconds"] == sum(call.duration_seconds for call in calls)
    assert Decimal(statement["totalCost"]) == sum(call.cost for call in calls)
    by_type = {t["termination"]: t for t in statement["totals"]}
    assert len(by_type) == 6  # the six terminations of manual 004, with or without calls
    for termination, total in by_type.items():
        mine = [call for call in calls if call.termination.value == termination]
        assert total["count"] == len(mine)
        assert Decimal(total["cost"]) == sum((call.cost for call in mine), Decimal(0))


ME = """{ me { __typename ... on Customer { databaseId
  invoices { id number amount } tickets { databaseId protocol contacts { name position } }
  receivables(status: [OPEN]) { id dueDate boletos { digitableLine } } } } }"""


async def test_invoices_download_their_xml_only_for_their_customer(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        invoice = (await c.execute(select(m.Invoice).order_by(m.Invoice.id).limit(1))).one()
    me = subscriber(invoice.customer_id)
    data = (await gql(client, me, ME))["me"]
    assert data["__typename"] == "Customer" and data["databaseId"] == invoice.customer_id
    [listed] = [i for i in data["invoices"] if i["number"] == invoice.number]
    response = await client.get(f"/invoices/{listed['id']}.xml", headers=bearer(me))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.text == invoice.xml_document
    stranger = subscriber(invoice.customer_id + 1)
    assert (
        await client.get(f"/invoices/{listed['id']}.xml", headers=bearer(stranger))
    ).status_code == 404
    assert (await client.get(f"/invoices/{listed['id']}.xml")).status_code == 401
    clerk = Identity.staff("clerk")
    refused = await client.get(f"/invoices/{listed['id']}.xml", headers=bearer(clerk))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"] == {
        "code": "NOT_ALLOWED",
        "permission": "BILLING",
        "requestId": refused.headers["x-request-id"],
    }


TICKETS = """query ($filter: TicketFilter) { tickets(filter: $filter) {
  databaseId protocol type status contacts { name position } } }"""
OPEN = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) { __typename
  ... on OpenTicketSuccess { ticket { databaseId protocol status contacts { name } } }
  ... on ValidationError { fields { path } } ... on NotFound { entity } } }"""


async def test_tickets_filter_and_open(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    async with engine.connect() as c:
        ticket = (await c.execute(select(m.Ticket).order_by(m.Ticket.id).limit(1))).one()
        first_name = await c.scalar(
            select(m.TicketContact.name).where(
                m.TicketContact.ticket_id == ticket.id, m.TicketContact.position == 1
            )
        )
        other_plan = await c.scalar(
            select(m.Plan.id).where(m.Plan.customer_id != ticket.customer_id).limit(1)
        )
    me = subscriber(ticket.customer_id)
    found = await gql(client, me, TICKETS, filter={"protocol": ticket.protocol})
    assert [t["databaseId"] for t in found["tickets"]] == [ticket.id]
    by_name = await gql(client, me, TICKETS, filter={"contactName": first_name.upper()[1:6]})
    assert ticket.id in {t["databaseId"] for t in by_name["tickets"]}
    none = await gql(client, me, TICKETS, filter={"protocol": ticket.protocol, "status": []})
    assert [t["databaseId"] for t in none["tickets"]] == [ticket.id]  # [] filters nothing
    wrong_status = [s for s in ("OPEN", "IN_PROGRESS", "CLOSED") if s != ticket.status.value]
    assert (
        await gql(client, me, TICKETS, filter={"protocol": ticket.protocol, "status": wrong_status})
    )["tickets"] == []
    # Another subscriber does not find it, whatever the filter.
    stranger = subscriber(ticket.customer_id + 1)
    assert (await gql(client, stranger, TICKETS, filter={"protocol": ticket.protocol}))[
        "tickets"
    ] == []

    opened = (
        await gql(
            client,
            me,
            OPEN,
            input={
                "type": "Suporte técnico",
                "description": "Sem sinal",
                "contactName": "Ana Lima",
            },
        )
    )["openTicket"]
    assert opened["__typename"] == "OpenTicketSuccess"
    new = opened["ticket"]
    assert new["status"] == "OPEN" and new["contacts"] == [{"name": "Ana Lima"}]
    assert new["protocol"].endswith(f"{new['databaseId']:06d}")
    again = await gql(client, me, TICKETS, filter={"contactName": "ana lima", "type": "técnico"})
    assert new["databaseId"] in {t["databaseId"] for t in again["tickets"]}
    refused = (await gql(client, me, OPEN, input={"type": " ", "description": ""}))["openTicket"]
    assert {tuple(f["path"]) for f in refused["fields"]} == {("type",), ("description",)}
    foreign = await gql(
        client, me, OPEN, input={"type": "x", "description": "y", "planId": gid("Plan", other_plan)}
    )
    assert foreign["openTicket"] == {"__typename": "NotFound", "entity": "Plan"}


BUY = """mutation ($input: PurchaseSmsCreditsInput!) { purchaseSmsCredits(input: $input) {
  __typename ... on PurchaseSmsCreditsSuccess { credits boletoPdfPath
    receivable { id amount dueDate status origin } boleto { digitableLine barcode amount } }
  ... on NotFound { entity } ... on NotAllowed { permission } } }"""


async def test_sms_credits_bring_a_receivable_and_its_printable_boleto(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        plan = (
            await c.execute(
                select(m.Plan).where(m.Plan.cancelled_at.is_(None)).order_by(m.Plan.id).limit(1)
            )
        ).one()
        overdue = await c.scalar(
            select(m.Receivable.id).where(
                m.Receivable.customer_id == plan.customer_id,
                m.Receivable.status == m.Receivable.status.type.enum_class.OPEN,
                m.Receivable.due_date < dt.date.today(),
            )
        )
    me = subscriber(plan.customer_id)
    values = (await gql(client, me, "{ smsCreditValues { id credits price } }"))["smsCreditValues"]
    value = values[0]
    bought = (
        await gql(
            client, me, BUY, input={"planId": gid("Plan", plan.id), "creditValueId": value["id"]}
        )
    )["purchaseSmsCredits"]
    assert bought["__typename"] == "PurchaseSmsCreditsSuccess"
    receivable, slip = bought["receivable"], bought["boleto"]
    assert (receivable["status"], receivable["origin"]) == ("OPEN", "SMS_CREDIT")
    assert Decimal(receivable["amount"]) == Decimal(value["price"]) == Decimal(slip["amount"])
    assert boleto_rules.barcode_of_line(slip["digitableLine"]) == slip["barcode"]
    pdf = await client.get(bought["boletoPdfPath"], headers=bearer(me))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "private, no-store"
    stranger = subscriber(plan.customer_id + 1)
    assert (await client.get(bought["boletoPdfPath"], headers=bearer(stranger))).status_code == 404
    if overdue is not None:
        late = await client.get(
            f"/receivables/{gid('Receivable', overdue)}/boleto.pdf", headers=bearer(me)
        )
        assert late.status_code == 409
        assert late.json()["errors"][0]["extensions"] == {
            "code": "RULE_VIOLATION",
            "rule": "OVERDUE",
            "requestId": late.headers["x-request-id"],
        }
    # Another customer's plan, and an unknown credit value, are not found.
    other = await gql(
        client, stranger, BUY, input={"planId": gid("Plan", plan.id), "creditValueId": value["id"]}
    )
    assert other["purchaseSmsCredits"] == {"__typename": "NotFound", "entity": "Plan"}
    unknown = await gql(
        client, me, BUY, input={"planId": gid("Plan", plan.id), "creditValueId": "999999"}
    )
    assert unknown["purchaseSmsCredits"] == {"__typename": "NotFound", "entity": "SmsCreditValue"}
    clerk = await gql(
        client,
        Identity.staff("clerk"),
        BUY,
        input={"planId": gid("Plan", plan.id), "creditValueId": value["id"]},
    )
    assert clerk["purchaseSmsCredits"] == {"__typename": "NotAllowed", "permission": "BILLING"}


NODE = "query ($id: ID!) { node(id: $id) { __typename id } }"


async def test_a_subscriber_sees_none_of_another_customers_rows(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        ticket = (await c.execute(select(m.Ticket).order_by(m.Ticket.id).limit(1))).one()
        invoice = (
            await c.execute(
                select(m.Invoice).where(m.Invoice.customer_id != ticket.customer_id).limit(1)
            )
        ).one()
        subscriber_id = await c.scalar(select(m.VoiceSubscriber.id).limit(1))
    me = subscriber(ticket.customer_id)
    assert (await gql(client, me, NODE, id=gid("Ticket", ticket.id)))["node"] is not None
    for kind, pk in (("Invoice", invoice.id), ("VoiceSubscriber", subscriber_id)):
        assert (await gql(client, me, NODE, id=gid(kind, pk)))["node"] is None
    # Nested: everything under `me` is the customer's own.
    data = (await gql(client, me, ME))["me"]
    async with engine.connect() as c:
        own_tickets = set(
            await c.scalars(select(m.Ticket.id).where(m.Ticket.customer_id == ticket.customer_id))
        )
        own_invoices = set(
            await c.scalars(select(m.Invoice.id).where(m.Invoice.customer_id == ticket.customer_id))
        )
    assert {t["databaseId"] for t in data["tickets"]} == own_tickets
    assert {i["id"] for i in data["invoices"]} == {gid("Invoice", i) for i in own_invoices}


RESELLER_ME = """{ me { __typename ... on VoiceReseller { databaseId salePlans { id name }
  subscribers { databaseId panelUsername lines { number } franchises { category minutes }
    permissions } } } }"""
CREATE = """mutation ($input: CreateVoiceSubscriberInput!) { createVoiceSubscriber(input: $input) {
  __typename ... on VoiceSubscriberSuccess { generatedPassword subscriber { id databaseId
    document panelUsername salePlan { name } } }
  ... on ValidationError { fields { path } } ... on NotFound { entity }
  ... on NotAllowed { permission } } }"""
UPDATE = """mutation ($input: UpdateVoiceSubscriberInput!) { updateVoiceSubscriber(input: $input) {
  __typename ... on VoiceSubscriberSuccess { subscriber { creditLimit city } }
  ... on ValidationError { fields { path } } ... on NotFound { entity } } }"""
LINE = """mutation ($input: AddVoiceLineInput!) { addVoiceLine(input: $input) { __typename
  ... on AddVoiceLineSuccess { line { number extension simultaneousIpLines } }
  ... on ValidationError { fields { path } } ... on NotFound { entity } } }"""
FRANCHISES = """mutation ($input: SetVoiceFranchisesInput!) { setVoiceFranchises(input: $input) {
  __typename ... on SetVoiceFranchisesSuccess { franchises { category minutes consumesLocal } }
  ... on ValidationError { fields { path } } } }"""
PERMISSIONS = """mutation ($input: SetVoicePermissionsInput!) { setVoicePermissions(input: $input) {
  __typename ... on SetVoicePermissionsSuccess { permissions } } }"""
CREDENTIALS = """mutation ($input: SetVoicePanelCredentialsInput!) {
  setVoicePanelCredentials(input: $input) { __typename
    ... on VoiceSubscriberSuccess { generatedPassword subscriber { panelUsername } }
    ... on ValidationError { fields { path } } } }"""
BALANCE = """query ($id: ID!, $start: DateTime!, $end: DateTime!) { node(id: $id) {
  ... on VoiceSubscriber { franchiseBalance(period: {start: $start, end: $end}) { __typename
    ... on FranchiseBalances { balances { category grantedMinutes usedMinutes remainingMinutes } }
  } } } }"""


def _address() -> dict[str, Any]:
    return {
        "cep": "80010-000",
        "street": "Rua XV de Novembro",
        "number": "100",
        "district": "Centro",
        "city": "Curitiba",
        "state": "pr",
    }


async def test_a_reseller_drives_its_panel(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    async with engine.connect() as c:
        mine, theirs = list(
            await c.scalars(select(m.VoiceReseller.id).order_by(m.VoiceReseller.id).limit(2))
        )
        foreign = await c.scalar(
            select(m.VoiceSubscriber.id).where(m.VoiceSubscriber.reseller_id == theirs).limit(1)
        )
    me = reseller(mine)
    panel = (await gql(client, me, RESELLER_ME))["me"]
    assert panel["__typename"] == "VoiceReseller" and panel["databaseId"] == mine
    async with engine.connect() as c:
        own = set(
            await c.scalars(
                select(m.VoiceSubscriber.id).where(m.VoiceSubscriber.reseller_id == mine)
            )
        )
    assert {s["databaseId"] for s in panel["subscribers"]} == own

    cpf = generate_cpf(random.Random(901))
    fields = {
        "kind": "PERSON",
        "name": "Joana Prado",
        "document": cpf,
        "creditLimit": "300",
        "monthlyLimit": "100",
        "salePlanId": panel["salePlans"][0]["id"],
        **_address(),
    }
    created = (
        await gql(client, me, CREATE, input={"subscriber": fields, "panelUsername": "Joana.Prado"})
    )["createVoiceSubscriber"]
    assert created["__typename"] == "VoiceSubscriberSuccess", created
    new = created["subscriber"]
    assert new["panelUsername"] == "joana.prado" and new["document"] == cpf
    assert new["salePlan"]["name"] == panel["salePlans"][0]["name"]
    async with engine.connect() as c:
        stored = await c.scalar(
            select(m.VoiceSubscriber.panel_password_hash).where(
                m.VoiceSubscriber.id == new["databaseId"]
            )
        )
    assert credentials.verify_password(stored, created["generatedPassword"])

    invalid = {**fields, "document": cpf[:-1] + str((int(cpf[-1]) + 1) % 10), "state": "XX"}
    refused = (
        await gql(client, me, CREATE, input={"subscriber": invalid, "panelUsername": "joana.prado"})
    )["createVoiceSubscriber"]
    assert {tuple(f["path"]) for f in refused["fields"]} == {("document",), ("state",)}
    taken = (
        await gql(client, me, CREATE, input={"subscriber": fields, "panelUsername": "joana.prado"})
    )["createVoiceSubscriber"]
    assert taken["__typename"] == "ValidationError"

    updated = await gql(
        client,
        me,
        UPDATE,
        input={
            "subscriberId": new["id"],
            "subscriber": {"creditLimit": "750.50", "city": "Londrina"},
        },
    )
    assert updated["updateVoiceSubscriber"]["subscriber"] == {
        "creditLimit": "750.50",
        "city": "Londrina",
    }
    elsewhere = await gql(
        client,
        me,
        UPDATE,
        input={"subscriberId": gid("VoiceSubscriber", foreign), "subscriber": {"city": "X"}},
    )
    assert elsewhere["updateVoiceSubscriber"] == {
        "__typename": "NotFound",
        "entity": "VoiceSubscriber",
    }

    line = await gql(
        client,
        me,
        LINE,
        input={
            "subscriberId": new["id"],
            "number": "+55 (41) 3099-0901",
            "extension": "201",
            "simultaneousIpLines": 2,
        },
    )
    assert line["addVoiceLine"]["line"] == {
        "number": "+554130990901",
        "extension": "201",
        "simultaneousIpLines": 2,
    }
    bad_line = await gql(
        client,
        me,
        LINE,
        input={
            "subscriberId": new["id"],
            "number": "abc",
            "extension": "1",
            "simultaneousIpLines": 0,
        },
    )
    assert len(bad_line["addVoiceLine"]["fields"]) == 3

    franchises = [
        {"category": "FIXED_LOCAL", "minutes": 300},
        {"category": "FIXED_LDN", "minutes": 0, "consumesLocal": True},
    ]
    set_ = await gql(
        client, me, FRANCHISES, input={"subscriberId": new["id"], "franchises": franchises}
    )
    assert len(set_["setVoiceFranchises"]["franchises"]) == 2
    wrong = await gql(
        client,
        me,
        FRANCHISES,
        input={
            "subscriberId": new["id"],
            "franchises": [{"category": "FIXED_LOCAL", "minutes": 1, "consumesLocal": True}],
        },
    )
    assert wrong["setVoiceFranchises"]["fields"] == [{"path": ["franchises", "0", "consumesLocal"]}]
    now = dt.datetime.now(dt.UTC)
    balance = await gql(
        client,
        me,
        BALANCE,
        id=new["id"],
        start=(now - dt.timedelta(days=30)).isoformat(),
        end=now.isoformat(),
    )
    balances = balance["node"]["franchiseBalance"]["balances"]
    assert {b["category"]: b["remainingMinutes"] for b in balances} == {
        "FIXED_LOCAL": 300,
        "FIXED_LDN": 0,
    }

    granted = await gql(
        client,
        me,
        PERMISSIONS,
        input={
            "subscriberId": new["id"],
            "permissions": ["VIEW_CALL_RECORDS", "VIEW_CALL_RECORDS"],
        },
    )
    assert granted["setVoicePermissions"]["permissions"] == ["VIEW_CALL_RECORDS"]
    chosen = await gql(
        client,
        me,
        CREDENTIALS,
        input={"subscriberId": new["id"], "username": "joana.p", "password": "Vo!ce-Panel-2026"},
    )
    assert chosen["setVoicePanelCredentials"] == {
        "__typename": "VoiceSubscriberSuccess",
        "generatedPassword": None,
        "subscriber": {"panelUsername": "joana.p"},
    }
    weak = await gql(
        client,
        me,
        CREDENTIALS,
        input={"subscriberId": new["id"], "username": "joana.p", "password": "joana.p"},
    )
    assert weak["setVoicePanelCredentials"]["fields"] == [{"path": ["password"]}]


async def test_a_reseller_sees_none_of_another_resellers_rows(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        mine, theirs = list(
            await c.scalars(select(m.VoiceReseller.id).order_by(m.VoiceReseller.id).limit(2))
        )
        foreign = (
            await c.execute(
                select(m.VoiceSubscriber.id, m.VoiceLine.id)
                .join(m.VoiceLine, m.VoiceLine.subscriber_id == m.VoiceSubscriber.id)
                .where(m.VoiceSubscriber.reseller_id == theirs)
                .limit(1)
            )
        ).one()
        customer = await c.scalar(select(m.Customer.id).limit(1))
    me = reseller(mine)
    for kind, pk in (
        ("VoiceSubscriber", foreign[0]),
        ("VoiceLine", foreign[1]),
        ("VoiceReseller", theirs),
        ("Customer", customer),
    ):
        assert (await gql(client, me, NODE, id=gid(kind, pk)))["node"] is None, kind
    assert (await gql(client, me, NODE, id=gid("VoiceReseller", mine)))["node"] is not None
    subscribers = (await gql(client, me, RESELLER_ME))["me"]["subscribers"]
    assert foreign[0] not in {s["databaseId"] for s in subscribers}
    # A subscriber of the ISP may not manage voice subscribers at all.
    portal = subscriber(customer)
    refused = await gql(
        client,
        portal,
        CREATE,
        input={"subscriber": {"kind": "PERSON"}, "panelUsername": "x.y.z"},
    )
    assert refused["createVoiceSubscriber"]["__typename"] == "NotAllowed"
