"""Report connections and aggregates over HTTP, on both read paths, against the database itself.

Every query goes to the compiled path and to the standard one (forced with the header); both
must answer the same bytes, and the answer must match what a hand-written query reads.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import Identity, Permission, Role
from gateway.resolvers.reports import REPORT_ROOTS, camel
from gateway.schema.base import to_global_id
from tests.conftest import StatementCounter
from tests.gateway.helpers import http_client, test_settings

PAGE = """
query ($first: Int, $after: String, $last: Int, $before: String,
       $filter: ReceivableFilter, $orderBy: [ReceivableOrder!]) {
  receivables(first: $first, after: $after, last: $last, before: $before,
              filter: $filter, orderBy: $orderBy) {
    __typename
    ... on ReceivableConnection {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { databaseId amount dueDate status } }
    }
    ... on ValidationError { message fields { path message } }
    ... on NotAllowed { message permission }
  }
}
"""

AGGREGATE = """
query ($filter: ReceivableFilter, $groupBy: [ReceivableDimension!]) {
  receivablesAggregate(filter: $filter, groupBy: $groupBy) {
    __typename
    ... on ReceivableAggregate {
      groups { key { status dueMonth offerId } count sum { amount } avg { amount }
               min { amount } max { amount } }
    }
    ... on NotAllowed { permission }
    ... on ValidationError { message }
  }
}
"""


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


async def _query(client: httpx.AsyncClient, query: str, variables: dict) -> dict:
    """The answer, after checking that both read paths give the same bytes."""
    payload = {"query": query, "variables": variables}
    compiled = await client.post("/graphql", json=payload)
    standard = await client.post(
        "/graphql", json=payload, headers={"x-gateway-executor": "standard"}
    )
    assert compiled.status_code == standard.status_code == 200, compiled.text
    assert compiled.content == standard.content, (compiled.text, standard.text)
    body = compiled.json()
    assert "errors" not in body, body
    body["executor"] = compiled.headers["x-gateway-executor"]
    return body


async def test_paging_to_the_end_reads_every_receivable_once_in_order(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    order = [{"field": "DUE_DATE", "direction": "DESC"}]
    seen, after, executors = [], None, set()
    while True:
        body = await _query(client, PAGE, {"first": 97, "after": after, "orderBy": order})
        executors.add(body["executor"])
        page = body["data"]["receivables"]
        seen += [edge["node"]["databaseId"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    async with engine.connect() as connection:
        expected = list(
            await connection.scalars(
                select(m.Receivable.id).order_by(m.Receivable.due_date.desc(), m.Receivable.id)
            )
        )
    assert seen == expected
    assert executors == {"compiled"}


async def test_last_and_before_page_backward(client: httpx.AsyncClient) -> None:
    order = [{"field": "AMOUNT"}]
    first = await _query(client, PAGE, {"first": 30, "orderBy": order})
    edges = first["data"]["receivables"]["edges"]
    back = await _query(client, PAGE, {"last": 10, "before": edges[20]["cursor"], "orderBy": order})
    page = back["data"]["receivables"]
    assert [e["node"]["databaseId"] for e in page["edges"]] == [
        e["node"]["databaseId"] for e in edges[10:20]
    ]
    assert page["pageInfo"]["hasPreviousPage"] and page["pageInfo"]["hasNextPage"]


async def test_a_cursor_of_another_ordering_or_a_forged_one_is_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    first = await _query(client, PAGE, {"first": 2, "orderBy": [{"field": "DUE_DATE"}]})
    cursor = first["data"]["receivables"]["pageInfo"]["endCursor"]
    other = await _query(client, PAGE, {"first": 2, "after": cursor})
    refused = other["data"]["receivables"]
    assert refused["__typename"] == "ValidationError"
    assert refused["fields"][0]["path"] == ["after"]
    assert "another ordering" in refused["message"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    edited = base64.urlsafe_b64encode(raw.replace(b"20", b"19", 1)).decode().rstrip("=")
    for forged in ("garbage", edited, to_global_id("Receivable", 1)):
        body = await _query(
            client, PAGE, {"first": 2, "after": forged, "orderBy": [{"field": "DUE_DATE"}]}
        )
        assert body["data"]["receivables"]["__typename"] == "ValidationError", forged
        assert "not a cursor" in body["data"]["receivables"]["message"]


async def test_customers_page_by_keyset_and_refuse_a_cursor_of_another_ordering(
    client: httpx.AsyncClient,
) -> None:
    query = """query ($after: String, $orderBy: [CustomerOrder!]) {
      customers(first: 5, after: $after, orderBy: $orderBy) {
        pageInfo { endCursor hasNextPage } nodes { databaseId } } }"""
    by_name = [{"field": "NAME"}]
    first = (await _query(client, query, {"orderBy": by_name}))["data"]["customers"]
    after = first["pageInfo"]["endCursor"]
    second = (await _query(client, query, {"orderBy": by_name, "after": after}))["data"]
    assert len(second["customers"]["nodes"]) == 5
    response = await client.post("/graphql", json={"query": query, "variables": {"after": after}})
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "after"
    assert error["extensions"]["fields"][0]["path"] == ["after"]


async def test_filters_match_a_hand_written_query(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as connection:
        offer_id, city = (
            await connection.execute(
                select(m.Plan.offer_id, m.Address.city)
                .join(m.Address, m.Address.id == m.Plan.installation_address_id)
                .join(m.Receivable, m.Receivable.plan_id == m.Plan.id)
                .order_by(m.Plan.id)
                .limit(1)
            )
        ).one()
        expected = list(
            await connection.scalars(
                select(m.Receivable.id)
                .join(m.Plan, m.Plan.id == m.Receivable.plan_id)
                .join(m.Address, m.Address.id == m.Plan.installation_address_id)
                .where(
                    m.Plan.offer_id == offer_id,
                    func.lower(m.Address.city) == city.lower(),
                    m.Receivable.status.in_(["OPEN", "PAID"]),
                    m.Receivable.due_date >= dt.date(2020, 1, 1),
                )
                .order_by(m.Receivable.id)
            )
        )
    assert expected
    wanted = {
        "offerId": [to_global_id("PlanOffer", offer_id)],
        "city": city.upper(),
        "status": ["OPEN", "PAID"],
        "dueDate": {"start": "2020-01-01"},
    }
    body = await _query(client, PAGE, {"first": 100, "filter": wanted})
    got = [e["node"]["databaseId"] for e in body["data"]["receivables"]["edges"]]
    assert got == expected[:100]
    refused = await _query(
        client, PAGE, {"filter": {"dueDate": {"start": "2026-02-01", "end": "2026-01-01"}}}
    )
    assert refused["data"]["receivables"]["fields"][0]["path"] == ["filter", "dueDate", "end"]


async def test_grouped_sums_are_exact_and_match_a_hand_written_group_by(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    body = await _query(client, AGGREGATE, {"groupBy": ["STATUS", "DUE_MONTH"]})
    assert body["executor"] == "compiled"
    groups = body["data"]["receivablesAggregate"]["groups"]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(m.Receivable.status, m.Receivable.due_date,
                                                m.Receivable.amount))).all()  # fmt: skip
    expected: dict[tuple, list[Decimal]] = defaultdict(list)
    for status, due, amount in rows:
        expected[(status.name, due.replace(day=1).isoformat())].append(Decimal(amount))
    assert len(groups) == len(expected)
    for group in groups:
        amounts = expected[(group["key"]["status"], group["key"]["dueMonth"])]
        assert group["key"]["offerId"] is None
        assert group["count"] == len(amounts)
        assert Decimal(group["sum"]["amount"]) == sum(amounts)
        assert group["min"]["amount"] == str(min(amounts))
        assert group["max"]["amount"] == str(max(amounts))
    keys = [(g["key"]["status"], g["key"]["dueMonth"]) for g in groups]
    assert keys == sorted(keys)
    total = await _query(client, AGGREGATE, {})
    (whole,) = total["data"]["receivablesAggregate"]["groups"]
    assert Decimal(whole["sum"]["amount"]) == sum(Decimal(r[2]) for r in rows)


async def test_aggregates_are_scoped_per_identity(engine: AsyncEngine, database_url: str) -> None:
    async with engine.connect() as connection:
        customer_id = await connection.scalar(select(func.min(m.Receivable.customer_id)))
        own = (
            await connection.execute(
                select(func.count(), func.sum(m.Receivable.amount)).where(
                    m.Receivable.customer_id == customer_id
                )
            )
        ).one()
    settings = test_settings(database_url)
    subscriber = Identity(subject="s", role=Role.SUBSCRIBER, customer_id=customer_id)
    async with http_client(engine, settings, subscriber) as client:
        body = await _query(client, AGGREGATE, {})
        (group,) = body["data"]["receivablesAggregate"]["groups"]
        assert group["count"] == own[0]
        assert Decimal(group["sum"]["amount"]) == Decimal(own[1])
    reseller = Identity(subject="r", role=Role.RESELLER, reseller_id=1)
    async with http_client(engine, settings, reseller) as client:
        body = await _query(client, AGGREGATE, {})
        assert body["data"]["receivablesAggregate"]["groups"][0]["count"] == 0
    clerk = Identity.staff("clerk", Permission.PLAN_ADMIN)
    async with http_client(engine, settings, clerk) as client:
        body = await _query(client, AGGREGATE, {})
        assert body["data"]["receivablesAggregate"] == {
            "__typename": "NotAllowed",
            "permission": "BILLING",
        }
        body = await _query(client, PAGE, {"first": 1})
        assert body["data"]["receivables"]["permission"] == "BILLING"


@pytest.mark.parametrize("executor", ["compiled", "standard"])
async def test_total_count_is_counted_only_when_asked(
    client: httpx.AsyncClient, count_statements: StatementCounter, executor: str
) -> None:
    for selection, counts in (("pageInfo { hasNextPage }", False), ("totalCount", True)):
        query = f"{{ receivables(first: 3) {{ ... on ReceivableConnection {{ {selection} }} }} }}"
        with count_statements.fresh() as counter:
            response = await client.post(
                "/graphql", json={"query": query}, headers={"x-gateway-executor": executor}
            )
        assert response.headers["x-gateway-executor"].startswith(executor)
        assert "errors" not in response.json()
        counted = [s for s in counter.statements if "count(" in s.lower()]
        assert bool(counted) is counts, counter.statements


def _scalars(type_name: str) -> str:
    """The scalar and enum fields of a type (or interface), for a generic selection."""
    from graphql import GraphQLEnumType, GraphQLScalarType, get_named_type

    from gateway.resolvers.root import schema

    graphql_type = schema._schema.get_type(type_name)
    names = [
        name
        for name, field_def in graphql_type.fields.items()  # type: ignore[union-attr]
        if isinstance(get_named_type(field_def.type), GraphQLScalarType | GraphQLEnumType)
        and not field_def.args
    ]
    return " ".join(names)


@pytest.mark.parametrize("root", list(REPORT_ROOTS))
async def test_every_report_pages_to_its_end_and_aggregates_on_the_compiled_path(
    client: httpx.AsyncClient, root: str
) -> None:
    types = REPORT_ROOTS[root].types
    report = REPORT_ROOTS[root].report
    query = f"""query ($after: String, $orderBy: [{types.prefix}Order!]) {{
      {root}(first: 100, after: $after, orderBy: $orderBy) {{
        ... on {types.prefix}Connection {{
          totalCount pageInfo {{ hasNextPage endCursor }}
          edges {{ cursor node {{ __typename {_scalars(types.node)} }} }} }} }} }}"""
    for order in report.orders:
        after, seen, total = None, 0, None
        while True:
            variables = {"after": after, "orderBy": [{"field": order.name, "direction": "DESC"}]}
            body = await _query(client, query, variables)
            assert body["executor"] == "compiled", body["executor"]
            page = body["data"][root]
            total = page["totalCount"]
            seen += len(page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == total
    for dimension in report.dimensions:
        measures = ""
        if types.measures is not None:
            names = " ".join(camel(x.name) for x in report.measures)
            measures = f"sum {{ {names} }} avg {{ {names} }} min {{ {names} }} max {{ {names} }}"
        aggregate = f"""{{ {root}Aggregate(groupBy: [{dimension.name.upper()}]) {{
          ... on {types.prefix}Aggregate {{ groups {{ key {{ {camel(dimension.name)} }}
            count {measures} }} }} }} }}"""
        body = await _query(client, aggregate, {})
        assert body["executor"] == "compiled", body["executor"]
        groups = body["data"][f"{root}Aggregate"]["groups"]
        assert sum(group["count"] for group in groups) == total
