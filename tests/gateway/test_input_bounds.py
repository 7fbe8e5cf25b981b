"""What a hostile or careless client puts in its input, sent over HTTP in production mode:
control characters, huge strings and lists, decimals no column holds, and ids that only look
like numbers (issue 15 items 3, 4, 8, 9; issue 14 item 12; ADR 0120).

Every refusal is typed (BAD_USER_INPUT, or a ValidationError as data naming the field), never
"Internal error", and changes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLList, GraphQLNonNull
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from gateway.resolvers.root import schema
from gateway.schema.base import to_global_id
from gateway.schema.bounds import MAX_ITEMS, MAX_STRING
from tests.gateway.helpers import bearer, http_client, test_settings


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_settings(database_url, environment="production")
    async with http_client(engine, settings, identity=DEVELOPMENT_STAFF) as client:
        yield client


def subscriber(customer_id: int) -> Identity:
    return Identity(subject=f"portal-{customer_id}", role=Role.SUBSCRIBER, customer_id=customer_id)


async def post(
    client: httpx.AsyncClient, query: str, identity: Identity | None = None, **variables: Any
) -> httpx.Response:
    headers = bearer(identity) if identity is not None else {}
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def refused_request(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a request refused before it ran: 400, BAD_USER_INPUT, no data."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body, body
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in body["errors"]), body
    assert "Internal error" not in response.text
    return body["errors"]


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as c:
        return int(await c.scalar(select(func.count()).select_from(table)) or 0)


CUSTOMERS = """query ($filter: CustomerFilter) { customers(first: 5, filter: $filter) {
  totalCount } }"""


@pytest.mark.parametrize("name", ["search", "city", "nameContains", "documentContains"])
async def test_a_control_character_in_a_filter_is_a_bad_user_input(
    client: httpx.AsyncClient, name: str
) -> None:
    errors = refused_request(await post(client, CUSTOMERS, filter={name: "Cur\x00itiba"}))
    assert errors[0]["extensions"]["path"] == ["filter", name]
    assert "U+0000" in errors[0]["message"]
    # Written in the document instead of a variable: the same refusal.
    literal = f'{{ customers(filter: {{{name}: "a\\u0000b"}}) {{ totalCount }} }}'
    errors = refused_request(await post(client, literal))
    assert errors[0]["extensions"]["path"] == ["filter", name]
    # Every other control character too; plain text passes.
    for character in ("\x01", "\x1b", "\x7f", "\x85", "\n"):
        refused_request(await post(client, CUSTOMERS, filter={name: f"a{character}"}))
    assert data(await post(client, CUSTOMERS, filter={name: "São Paulo"}))


TICKETS = """query ($filter: TicketFilter) { tickets(filter: $filter) { databaseId } }"""
OPEN = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) { __typename
  ... on OpenTicketSuccess { ticket { databaseId description } }
  ... on ValidationError { fields { path message } } } }"""


async def test_a_subscriber_sending_nul_gets_typed_refusals(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id = await c.scalar(select(m.Ticket.customer_id).limit(1))
    me = subscriber(customer_id)
    errors = refused_request(await post(client, TICKETS, me, filter={"description": "x\x00"}))
    assert errors[0]["extensions"]["path"] == ["filter", "description"]

    before = await count(engine, m.Ticket)
    result = data(await post(client, OPEN, me, input={"type": "Suporte", "description": "a\x00"}))
    assert result["openTicket"]["__typename"] == "ValidationError"
    assert [f["path"] for f in result["openTicket"]["fields"]] == [["description"]]
    assert await count(engine, m.Ticket) == before


async def test_long_free_text_and_many_items_are_refused_naming_the_field(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id = await c.scalar(select(m.Ticket.customer_id).limit(1))
    me = subscriber(customer_id)
    before = await count(engine, m.Ticket)
    huge = {"type": "Suporte", "description": "x" * 900_000}
    result = data(await post(client, OPEN, me, input=huge))["openTicket"]
    assert result["__typename"] == "ValidationError"
    assert result["fields"][0]["path"] == ["description"]
    assert "at most" in result["fields"][0]["message"]
    long_type = {"type": "t" * (MAX_STRING + 1), "description": "ok"}
    result = data(await post(client, OPEN, me, input=long_type))["openTicket"]
    assert [f["path"] for f in result["fields"]] == [["type"]]
    assert await count(engine, m.Ticket) == before

    # Free text keeps its line breaks.
    lines = {"type": "Suporte", "description": "Sem sinal\r\ndesde ontem\tàs 10h"}
    opened = data(await post(client, OPEN, me, input=lines))["openTicket"]
    assert opened["__typename"] == "OpenTicketSuccess", opened
    assert opened["ticket"]["description"] == lines["description"]
    async with writer_bind(engine).begin() as c:
        await c.execute(
            m.TicketContact.__table__.delete().where(
                m.TicketContact.ticket_id == opened["ticket"]["databaseId"]
            )
        )
        await c.execute(
            m.Ticket.__table__.delete().where(m.Ticket.id == opened["ticket"]["databaseId"])
        )


EXTRA_FIELDS = """mutation ($input: SetExtraFieldsInput!) { setExtraFields(input: $input) {
  __typename ... on ValidationError { fields { path message } } } }"""


async def test_extra_fields_with_nul_or_by_thousands_are_refused(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        customer_id = await c.scalar(select(m.Customer.id).limit(1))
    owner = to_global_id("Customer", customer_id)
    before = await count(engine, m.ExtraField)
    nul = [{"name": "Observação", "type": "STRING", "value": "a\x00b"}]
    result = data(await post(client, EXTRA_FIELDS, input={"customerId": owner, "fields": nul}))
    assert result["setExtraFields"]["__typename"] == "ValidationError"
    assert [f["path"] for f in result["setExtraFields"]["fields"]] == [["fields", "0", "value"]]

    many = [{"name": f"campo {i}", "type": "STRING", "value": "x"} for i in range(5000)]
    result = data(await post(client, EXTRA_FIELDS, input={"customerId": owner, "fields": many}))
    refused = result["setExtraFields"]
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["fields"]]
    assert "at most" in refused["fields"][0]["message"]
    assert await count(engine, m.ExtraField) == before


async def test_forty_thousand_list_items_are_refused_before_the_database(
    client: httpx.AsyncClient,
) -> None:
    offers = [str(i) for i in range(1, 40_001)]
    errors = refused_request(await post(client, CUSTOMERS, filter={"offerId": offers}))
    assert errors[0]["extensions"]["path"] == ["filter", "offerId"]
    assert f"at most {MAX_ITEMS} items" in errors[0]["message"]
    nested = """query ($s: [PlanStatus!]) { customers(first: 1) { edges { node {
      plans(status: $s) { id } } } } }"""
    errors = refused_request(await post(client, nested, s=["ACTIVE"] * 40_000))
    extensions = dict(errors[0]["extensions"])
    assert extensions.pop("requestId")  # every error carries the request id
    assert extensions == {"code": "BAD_USER_INPUT", "field": "plans", "path": ["status"]}
    assert data(await post(client, CUSTOMERS, filter={"offerId": offers[:MAX_ITEMS]}))


def test_every_list_argument_and_input_field_says_its_bound() -> None:
    """The SDL tells front-end developers each list's bound (issue 15 item 9)."""
    missing = []
    for named in schema._schema.type_map.values():
        if named.name.startswith("__"):
            continue
        holders: list[tuple[str, Any]] = []
        if hasattr(named, "fields") and not hasattr(named, "interfaces"):  # input objects
            holders = [(f"{named.name}.{n}", f) for n, f in named.fields.items()]
        elif hasattr(named, "fields"):
            holders = [
                (f"{named.name}.{fn}({an})", a)
                for fn, f in named.fields.items()
                for an, a in f.args.items()
            ]
        for where, holder in holders:
            type_ = holder.type.of_type if isinstance(holder.type, GraphQLNonNull) else holder.type
            if isinstance(type_, GraphQLList) and "At most" not in (holder.description or ""):
                missing.append(where)
    assert missing == []


ADD_EXTRA = """mutation ($input: AddExtraServiceInput!) { addExtraService(input: $input) {
  __typename ... on ValidationError { fields { path message } } } }"""


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "1e999999", "12345678901.00", "0.001", "sNaN"]
)
async def test_decimals_no_money_column_holds_are_validation_errors(
    client: httpx.AsyncClient, engine: AsyncEngine, value: str
) -> None:
    async with engine.connect() as c:
        plan_id = await c.scalar(select(m.Plan.id).where(m.Plan.status == "ACTIVE").limit(1))
        definition_id = await c.scalar(select(m.ExtraServiceDefinition.id).limit(1))
    before = await count(engine, m.ExtraService)
    payload = {
        "planId": to_global_id("Plan", plan_id),
        "definitionId": to_global_id("ExtraServiceDefinition", definition_id),
        "firstDueDate": "2030-01-10",
        "value": value,
    }
    result = data(await post(client, ADD_EXTRA, input=payload))["addExtraService"]
    assert result["__typename"] == "ValidationError", result
    assert [f["path"] for f in result["fields"]] == [["value"]]
    # In the document as a literal, and as a JSON number: the same.
    literal = ADD_EXTRA.replace("$input: AddExtraServiceInput!", "$p: ID!, $d: ID!").replace(
        "input: $input",
        f'input: {{planId: $p, definitionId: $d, firstDueDate: "2030-01-10", value: "{value}"}}',
    )
    result = data(await post(client, literal, p=payload["planId"], d=payload["definitionId"]))[
        "addExtraService"
    ]
    assert result["__typename"] == "ValidationError", result
    assert await count(engine, m.ExtraService) == before


async def test_a_decimal_sent_as_a_json_number_is_checked_too(client: httpx.AsyncClient) -> None:
    query = """mutation ($v: Decimal) { addExtraService(input: {planId: "1", definitionId: "1",
      firstDueDate: "2030-01-10", value: $v}) { __typename
      ... on ValidationError { fields { path } } } }"""
    body = await client.post(
        "/graphql",
        content=b'{"query": ' + _json(query) + b', "variables": {"v": 123456789012.5}}',
        headers={"content-type": "application/json"},
    )
    result = data(body)["addExtraService"]
    assert result == {"__typename": "ValidationError", "fields": [{"path": ["value"]}]}


def _json(text: str) -> bytes:
    import orjson

    return orjson.dumps(text)


# ------------------------------------------------------------------ ids (issue 15 item 4)

CUSTOMER = """query ($id: ID!) { customer(id: $id) { databaseId } }"""
NODE = """query ($id: ID!) { node(id: $id) { id } }"""


@pytest.mark.parametrize("raw", ["²", "٢", "\uff12", "+2", " 2", "2_0", str(2**40), "0", "-2"])
async def test_ids_that_only_look_like_numbers_name_no_row(
    client: httpx.AsyncClient, raw: str
) -> None:
    assert data(await post(client, CUSTOMER, id=raw)) == {"customer": None}
    global_id = base64.b64encode(f"Customer:{raw}".encode()).decode()
    assert data(await post(client, NODE, id=global_id)) == {"node": None}
    assert data(await post(client, CUSTOMER, id=global_id)) == {"customer": None}
    assert data(await post(client, CUSTOMER, id="2")) == {"customer": {"databaseId": 2}}


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A2", "%EF%BC%92", str(2**40)])
async def test_document_paths_with_unicode_digits_are_not_found(
    client: httpx.AsyncClient, raw: str
) -> None:
    for path in (f"/plans/{raw}/contract.pdf", f"/invoices/{raw}.xml"):
        response = await client.get(path)
        assert response.status_code == 404, (path, response.status_code, response.text)


@pytest.mark.parametrize("claim", ["²", "٢", 2**40, 2**31, "2 ", True, 0, -1, "0x2"])
async def test_a_token_whose_customer_id_is_no_key_is_refused_at_authentication(
    client: httpx.AsyncClient, claim: Any
) -> None:
    identity = subscriber(2)
    headers = bearer(identity, customer_id=claim)
    response = await client.post(
        "/graphql", json={"query": "{ me { __typename } }"}, headers=headers
    )
    assert response.status_code == 401, response.text
    assert "customer_id" in response.json()["errors"][0]["message"]
    pdf = await client.get("/plans/1/contract.pdf", headers=headers)
    assert pdf.status_code == 401


async def test_a_cursor_with_unicode_digits_is_refused_in_words(client: httpx.AsyncClient) -> None:
    cursor = base64.b64encode("offset:²".encode()).decode()
    response = await post(
        client, "query ($a: String) { customers(after: $a) { totalCount } }", a=cursor
    )
    # Refused before anything runs, as every string that is no cursor (BAD_USER_INPUT).
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["message"] == "`after` is not a cursor of this connection."
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


EQUIPMENT = """query ($l: ID!, $c: String!) { equipmentByCasn(locationId: $l, casn: $c) {
  __typename ... on ValidationError { fields { path message } } } }"""


async def test_a_query_answering_a_result_union_refuses_as_data(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        location = await c.scalar(select(m.TvPointLocation.id).limit(1))
    response = await post(
        client, EQUIPMENT, l=to_global_id("TvPointLocation", location), c="CA\x00SN"
    )
    assert response.headers["x-gateway-executor"] == "standard; reason=refused input"
    result = data(response)["equipmentByCasn"]
    assert result["__typename"] == "ValidationError"
    assert [f["path"] for f in result["fields"]] == [["casn"]]
