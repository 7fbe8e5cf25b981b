"""Mutations sent ten times at once, over HTTP, as the identity that would send them (issue 15
items 5 and 13): each answer is a success or a typed error of the mutation's union, never
"Internal error", and the data stays whole. On PostgreSQL the ten run on ten connections at
once; on SQLite they queue for the write lock.

Also: every field answering with errors as data holds every typed error (ADR 0121).
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLUnionType
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

import domain
from domain import credentials
from domain import errors as domain_errors
from domain import models as m
from domain.db import writer_bind
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from domain.models.base import utcnow
from domain.rules.repeats import REPEAT_WINDOW
from gateway.resolvers.root import schema
from gateway.schema import errors as graphql_errors
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, test_settings

TIMES = 10

# Tables these tests add rows to (children first); rows above the highest id seen are removed.
WRITTEN = (
    m.SmsCreditPurchase, m.Boleto, m.Receivable, m.TicketContact, m.Ticket, m.ExtraField,
    m.VoiceFranchise, m.VoiceLine, m.VoiceSubscriber, m.AuditLog,
)  # fmt: skip


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    p = m.VoiceSubscriberPermission
    async with engine.connect() as c:
        highest = {t: int(await c.scalar(select(func.max(t.id))) or 0) for t in WRITTEN}
        permissions = [dict(r._mapping) for r in await c.execute(select(p.__table__))]
        franchises = [dict(r._mapping) for r in await c.execute(select(m.VoiceFranchise.__table__))]
        lines = list(await c.execute(select(m.VoiceLine.id, m.VoiceLine.simultaneous_ip_lines)))
        hashes = list(
            await c.execute(select(m.VoiceSubscriber.id, m.VoiceSubscriber.panel_password_hash))
        )
    settings = test_settings(database_url, environment="production")
    async with http_client(engine, settings, identity=None) as client:
        yield client
    async with writer_bind(engine).begin() as c:
        await c.execute(delete(m.VoiceFranchise))
        if franchises:
            await c.execute(insert(m.VoiceFranchise), franchises)
        for table in WRITTEN:
            await c.execute(delete(table).where(table.id > highest[table]))
        await c.execute(delete(p))
        if permissions:
            await c.execute(insert(p), permissions)
        for line_id, value in lines:
            await c.execute(
                update(m.VoiceLine)
                .where(m.VoiceLine.id == line_id)
                .values(simultaneous_ip_lines=value)
            )
        for subscriber_id, value in hashes:
            await c.execute(
                update(m.VoiceSubscriber)
                .where(m.VoiceSubscriber.id == subscriber_id)
                .values(panel_password_hash=value)
            )


async def ten_at_once(
    client: httpx.AsyncClient,
    identity: Identity,
    query: str,
    variables: dict[str, Any],
    times: int = TIMES,
) -> list[dict[str, Any]]:
    """The mutation's payloads, sent `times` times at once; each must be a typed answer."""
    headers = bearer(identity)
    body = {"query": query, "variables": variables}
    responses = await asyncio.gather(
        *(client.post("/graphql", json=body, headers=headers) for _ in range(times))
    )
    payloads = []
    for response in responses:
        if response.status_code == 503:
            # Queued past the request's time limit (SQLite runs one writer at a time, and a
            # password change hashes twice under its lock): typed, retryable, nothing changed.
            assert response.headers["retry-after"], response.text
            assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
            continue
        assert response.status_code == 200, response.text
        result = response.json()
        assert "errors" not in result, result
        (payload,) = result["data"].values()
        payloads.append(payload)
    return payloads


def typenames(payloads: list[dict[str, Any]]) -> set[str]:
    return {p["__typename"] for p in payloads}


async def _voice_subscriber(engine: AsyncEngine) -> tuple[int, int, int]:
    """(reseller, voice subscriber, one of its lines)."""
    async with engine.connect() as c:
        row = (
            await c.execute(
                select(m.VoiceSubscriber.reseller_id, m.VoiceSubscriber.id, m.VoiceLine.id)
                .join(m.VoiceLine, m.VoiceLine.subscriber_id == m.VoiceSubscriber.id)
                .order_by(m.VoiceSubscriber.id, m.VoiceLine.id)
                .limit(1)
            )
        ).one()
    return row[0], row[1], row[2]


def reseller(reseller_id: int) -> Identity:
    return Identity(subject=f"reseller-{reseller_id}", role=Role.RESELLER, reseller_id=reseller_id)


def voice(subscriber_id: int) -> Identity:
    return Identity(
        subject=f"voice-{subscriber_id}",
        role=Role.VOICE_SUBSCRIBER,
        voice_subscriber_id=subscriber_id,
    )


def portal(customer_id: int) -> Identity:
    return Identity(subject=f"portal-{customer_id}", role=Role.SUBSCRIBER, customer_id=customer_id)


async def _grant(engine: AsyncEngine, subscriber_id: int, permission: str) -> None:
    p = m.VoiceSubscriberPermission
    async with writer_bind(engine).begin() as c:
        await c.execute(delete(p).where(p.subscriber_id == subscriber_id))
        await c.execute(insert(p).values(subscriber_id=subscriber_id, permission=permission))


EXTRA_FIELDS = """mutation ($input: SetExtraFieldsInput!) { setExtraFields(input: $input) {
  __typename ... on SetExtraFieldsSuccess { fields { name value } } } }"""


async def test_set_extra_fields_ten_times_at_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id = await c.scalar(select(m.Customer.id).order_by(m.Customer.id.desc()).limit(1))
    fields = [{"name": f"Campo paralelo {i}", "type": "STRING", "value": "x"} for i in range(3)]
    payloads = await ten_at_once(
        client,
        DEVELOPMENT_STAFF,
        EXTRA_FIELDS,
        {"input": {"customerId": to_global_id("Customer", customer_id), "fields": fields}},
    )
    assert typenames(payloads) <= {"SetExtraFieldsSuccess", "Conflict"}
    assert "SetExtraFieldsSuccess" in typenames(payloads)
    async with engine.connect() as c:
        stored = await c.scalar(
            select(func.count())
            .select_from(m.ExtraField)
            .where(
                m.ExtraField.customer_id == customer_id, m.ExtraField.name.like("Campo paralelo%")
            )
        )
    assert stored == 3


FRANCHISES = """mutation ($input: SetVoiceFranchisesInput!) { setVoiceFranchises(input: $input) {
  __typename ... on SetVoiceFranchisesSuccess { franchises { category minutes } } } }"""
PERMISSIONS = """mutation ($input: SetVoicePermissionsInput!) { setVoicePermissions(input: $input) {
  __typename ... on SetVoicePermissionsSuccess { permissions } } }"""


async def test_a_reseller_sets_franchises_and_permissions_ten_times_at_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    reseller_id, subscriber_id, _line = await _voice_subscriber(engine)
    me = reseller(reseller_id)
    subscriber = to_global_id("VoiceSubscriber", subscriber_id)
    franchises = [
        {"category": "FIXED_LOCAL", "minutes": 300},
        {"category": "MOBILE_LOCAL", "minutes": 100},
    ]
    payloads = await ten_at_once(
        client, me, FRANCHISES, {"input": {"subscriberId": subscriber, "franchises": franchises}}
    )
    assert typenames(payloads) <= {"SetVoiceFranchisesSuccess", "Conflict"}
    assert "SetVoiceFranchisesSuccess" in typenames(payloads)
    async with engine.connect() as c:
        stored = (
            await c.execute(
                select(m.VoiceFranchise.category, m.VoiceFranchise.minutes).where(
                    m.VoiceFranchise.subscriber_id == subscriber_id
                )
            )
        ).all()
    assert sorted((r[0].value, r[1]) for r in stored) == [
        ("FIXED_LOCAL", 300),
        ("MOBILE_LOCAL", 100),
    ]

    wanted = ["CHANGE_PANEL_PASSWORD", "VIEW_CALL_RECORDS"]
    payloads = await ten_at_once(
        client, me, PERMISSIONS, {"input": {"subscriberId": subscriber, "permissions": wanted}}
    )
    assert typenames(payloads) <= {"SetVoicePermissionsSuccess", "Conflict"}
    assert "SetVoicePermissionsSuccess" in typenames(payloads)
    async with engine.connect() as c:
        granted = await c.scalars(
            select(m.VoiceSubscriberPermission.permission).where(
                m.VoiceSubscriberPermission.subscriber_id == subscriber_id
            )
        )
        assert sorted(p.value for p in granted) == wanted


IP_LINES = """mutation ($input: SetSimultaneousIpLinesInput!) {
  setSimultaneousIpLines(input: $input) { __typename
    ... on SetSimultaneousIpLinesSuccess { line { simultaneousIpLines } } } }"""
PASSWORD = """mutation ($input: ChangeVoicePanelPasswordInput!) {
  changeVoicePanelPassword(input: $input) { __typename
    ... on ValidationError { fields { path } } } }"""


async def test_a_voice_subscriber_changes_lines_and_password_ten_times_at_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _reseller, subscriber_id, line_id = await _voice_subscriber(engine)
    me = voice(subscriber_id)
    await _grant(engine, subscriber_id, "CHANGE_SIMULTANEOUS_IP_LINES")
    payloads = await ten_at_once(
        client, me, IP_LINES, {"input": {"lineId": to_global_id("VoiceLine", line_id), "lines": 7}}
    )
    assert typenames(payloads) <= {"SetSimultaneousIpLinesSuccess", "Conflict"}
    assert "SetSimultaneousIpLinesSuccess" in typenames(payloads)
    async with engine.connect() as c:
        lines = await c.scalar(
            select(m.VoiceLine.simultaneous_ip_lines).where(m.VoiceLine.id == line_id)
        )
    assert lines == 7

    await _grant(engine, subscriber_id, "CHANGE_PANEL_PASSWORD")
    old, new = "Painel-antigo-2024!", "Painel-novo-2025#x"
    async with writer_bind(engine).begin() as c:
        await c.execute(
            update(m.VoiceSubscriber)
            .where(m.VoiceSubscriber.id == subscriber_id)
            .values(panel_password_hash=credentials.hash_password(old))
        )
    payloads = await ten_at_once(
        client, me, PASSWORD, {"input": {"currentPassword": old, "newPassword": new}}
    )
    # One changes it; the others find the password changed, or meet the change in flight.
    assert typenames(payloads) <= {"ChangeVoicePanelPasswordSuccess", "ValidationError", "Conflict"}
    assert "ChangeVoicePanelPasswordSuccess" in typenames(payloads)
    async with engine.connect() as c:
        stored = await c.scalar(
            select(m.VoiceSubscriber.panel_password_hash).where(
                m.VoiceSubscriber.id == subscriber_id
            )
        )
    assert stored is not None and credentials.verify_password(stored, new)


OPEN = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) { __typename
  ... on OpenTicketSuccess { ticket { databaseId protocol } } } }"""
BUY = """mutation ($input: PurchaseSmsCreditsInput!) { purchaseSmsCredits(input: $input) {
  __typename ... on PurchaseSmsCreditsSuccess { repeated receivable { databaseId amount } } } }"""


async def _plan_of_a_customer(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as c:
        row = (
            await c.execute(
                select(m.Plan.customer_id, m.Plan.id)
                .where(m.Plan.status == "ACTIVE")
                .order_by(m.Plan.id.desc())
                .limit(1)
            )
        ).one()
    return row[0], row[1]


async def test_a_subscriber_opens_tickets_ten_times_at_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    customer_id, _plan = await _plan_of_a_customer(engine)
    payloads = await ten_at_once(
        client,
        portal(customer_id),
        OPEN,
        {"input": {"type": "Suporte", "description": "Sem sinal desde ontem"}},
    )
    assert typenames(payloads) <= {"OpenTicketSuccess", "Conflict"}
    opened = [p["ticket"] for p in payloads if p["__typename"] == "OpenTicketSuccess"]
    assert opened
    assert len({t["protocol"] for t in opened}) == len({t["databaseId"] for t in opened})


async def test_sms_credits_bought_ten_times_at_once_are_bought_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Without an Idempotency-Key, the same package for the same plan within the window is the
    first purchase (issue 15 item 13, ADR 0123)."""
    customer_id, plan_id = await _plan_of_a_customer(engine)
    async with engine.connect() as c:
        value_id = await c.scalar(select(m.SmsCreditValue.id).limit(1))
        before = await c.scalar(
            select(func.count())
            .select_from(m.SmsCreditPurchase)
            .where(m.SmsCreditPurchase.plan_id == plan_id)
        )
    variables = {
        "input": {
            "planId": to_global_id("Plan", plan_id),
            "creditValueId": to_global_id("SmsCreditValue", value_id),
        }
    }
    payloads = await ten_at_once(client, portal(customer_id), BUY, variables)
    assert typenames(payloads) == {"PurchaseSmsCreditsSuccess"}
    assert len({p["receivable"]["databaseId"] for p in payloads}) == 1
    assert sorted(p["repeated"] for p in payloads) == [False] + [True] * (TIMES - 1)
    assert await _purchases(engine, plan_id) == before + 1
    # Once the window has passed, the same package is a new purchase.
    async with writer_bind(engine).begin() as c:
        await c.execute(
            update(m.SmsCreditPurchase)
            .where(m.SmsCreditPurchase.plan_id == plan_id)
            .values(created_at=utcnow() - REPEAT_WINDOW * 2)
        )
    (later,) = await ten_at_once(client, portal(customer_id), BUY, variables, times=1)
    assert later["repeated"] is False
    assert later["receivable"]["databaseId"] != payloads[0]["receivable"]["databaseId"]
    assert await _purchases(engine, plan_id) == before + 2


async def _purchases(engine: AsyncEngine, plan_id: int) -> int:
    async with engine.connect() as c:
        return int(
            await c.scalar(
                select(func.count())
                .select_from(m.SmsCreditPurchase)
                .where(m.SmsCreditPurchase.plan_id == plan_id)
            )
            or 0
        )


ADD_EXTRA = """mutation ($input: AddExtraServiceInput!) { addExtraService(input: $input) {
  __typename ... on AddExtraServiceSuccess { repeated service { databaseId }
    receivables { databaseId } } } }"""


async def test_an_extra_service_added_ten_times_at_once_is_added_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    _customer, plan_id = await _plan_of_a_customer(engine)
    async with engine.connect() as c:
        definition_id = await c.scalar(
            select(m.ExtraServiceDefinition.id).where(m.ExtraServiceDefinition.active).limit(1)
        )
    terms = {
        "planId": to_global_id("Plan", plan_id),
        "definitionId": to_global_id("ExtraServiceDefinition", definition_id),
        "firstDueDate": "2031-03-10",
        "value": "90.00",
        "installments": 3,
    }
    payloads = await ten_at_once(client, DEVELOPMENT_STAFF, ADD_EXTRA, {"input": terms})
    assert typenames(payloads) == {"AddExtraServiceSuccess"}, payloads
    assert len({p["service"]["databaseId"] for p in payloads}) == 1
    assert sorted(p["repeated"] for p in payloads) == [False] + [True] * (TIMES - 1)
    assert all(len(p["receivables"]) == 3 for p in payloads)
    # Other terms are another service.
    (other,) = await ten_at_once(
        client, DEVELOPMENT_STAFF, ADD_EXTRA, {"input": {**terms, "installments": 2}}, times=1
    )
    assert other["repeated"] is False
    assert other["service"]["databaseId"] != payloads[0]["service"]["databaseId"]
    async with writer_bind(engine).begin() as c:
        ids = [payloads[0]["service"]["databaseId"], other["service"]["databaseId"]]
        await c.execute(delete(m.Receivable).where(m.Receivable.extra_service_id.in_(ids)))
        for table in (m.ExtraService.__table__, m.Service.__table__):
            await c.execute(delete(table).where(table.c.id.in_(ids)))


CREATE = """mutation ($input: CreateVoiceSubscriberInput!) { createVoiceSubscriber(input: $input) {
  __typename ... on VoiceSubscriberSuccess { subscriber { id } }
  ... on UserError { message } ... on ValidationError { fields { path message } } } }"""
LINE = """mutation ($input: AddVoiceLineInput!) { addVoiceLine(input: $input) { __typename
  ... on UserError { message } ... on ValidationError { fields { path message } } } }"""
DATABASE_WORDS = ("uq_", "duplicate", "constraint", "violates", "UNIQUE", "INSERT")


def _no_database_text(payloads: list[dict[str, Any]]) -> None:
    text = repr(payloads)
    assert not [w for w in DATABASE_WORDS if w in text], text


async def test_duplicates_are_validation_errors_on_the_field_in_words(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A taken line number, document or panel username: a ValidationError on the input field,
    whether the action's check or the database's constraint caught it (issue 14 item 17,
    issue 15 item 11); ten creations at once make one subscriber."""
    import random

    from domain.rules.documents import generate_cpf

    async with engine.connect() as c:
        reseller_id, sale_plan = (
            await c.execute(select(m.VoiceSalePlan.reseller_id, m.VoiceSalePlan.id).limit(1))
        ).one()
        taken_number = await c.scalar(select(m.VoiceLine.number).limit(1))
    me = reseller(reseller_id)
    fields = {
        "kind": "PERSON",
        "name": "Paula Dias",
        "document": generate_cpf(random.Random(4242)),
        "cep": "80010-000",
        "street": "Rua XV de Novembro",
        "number": "100",
        "district": "Centro",
        "city": "Curitiba",
        "state": "PR",
        "salePlanId": to_global_id("VoiceSalePlan", sale_plan),
    }
    create = {"input": {"subscriber": fields, "panelUsername": "paula.dias.paralela"}}
    payloads = await ten_at_once(client, me, CREATE, create)
    _no_database_text(payloads)
    created = [p for p in payloads if p["__typename"] == "VoiceSubscriberSuccess"]
    assert len(created) == 1, payloads
    refused = [p for p in payloads if p["__typename"] != "VoiceSubscriberSuccess"]
    assert {p["__typename"] for p in refused} <= {"ValidationError"}, refused
    for payload in refused:
        paths = {tuple(f["path"]) for f in payload["fields"]}
        assert paths <= {("subscriber", "document"), ("panelUsername",)}, payload

    # The same document again, under another username: the document is named.
    again = {"input": {"subscriber": fields, "panelUsername": "paula.dias.outra"}}
    (twice,) = await ten_at_once(client, me, CREATE, again, times=1)
    _no_database_text([twice])
    assert twice["__typename"] == "ValidationError"
    assert [f["path"] for f in twice["fields"]] == [["subscriber", "document"]]

    subscriber = created[0]["subscriber"]["id"]
    line = {"subscriberId": subscriber, "number": taken_number, "extension": "301"}
    (duplicate,) = await ten_at_once(client, me, LINE, {"input": line}, times=1)
    _no_database_text([duplicate])
    assert duplicate["__typename"] == "ValidationError", duplicate
    assert duplicate["fields"] == [{"path": ["number"], "message": "is already in use"}]


# ------------------------------------------------------------ unions (ADR 0121)


def _user_error_types() -> set[str]:
    interface = schema._schema.get_type("UserError")
    return {t.name for t in schema._schema.get_possible_types(interface)}  # type: ignore[arg-type]


def test_every_field_answering_errors_as_data_holds_every_error_type() -> None:
    errors = _user_error_types()
    lacking = {}
    for named in schema._schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for name, field in named.fields.items():
            result = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(result, GraphQLUnionType):
                members = {t.name for t in result.types}
                if members & errors and not errors <= members:
                    lacking[f"{named.name}.{name}"] = sorted(errors - members)
    assert lacking == {}
    # Every mutation answers with errors as data.
    mutation = schema._schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        result = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        assert isinstance(result, GraphQLUnionType), name
        assert errors <= {t.name for t in result.types}, name


def _domain_error_classes() -> set[type]:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found: set[type] = set()
    pending = [domain_errors.DomainError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.add(sub)
            pending.append(sub)
    return found


EXAMPLES: list[domain_errors.DomainError] = [
    domain_errors.ValidationFailed.one("name", "is wrong"),
    domain_errors.NotFound("Plan", 1),
    domain_errors.NotAllowed("no", permission="BILLING"),
    domain_errors.InvalidTransition("Plan", "ACTIVE", "ACTIVE"),
    domain_errors.RuleViolation("rule", "no"),
    domain_errors.Conflict("changed"),
]


def test_every_domain_error_becomes_a_type_every_union_holds() -> None:
    handled = tuple(type(e) for e in EXAMPLES)
    assert {cls for cls in _domain_error_classes() if not issubclass(cls, handled)} == set()
    errors = _user_error_types()
    for example in EXAMPLES:
        assert type(graphql_errors.user_error(example)).__name__ in errors
    assert {type(graphql_errors.user_error(e)).__name__ for e in EXAMPLES} == errors
