"""The read graph over the seeded data, checked against the database itself."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.models.enums import PlanStatus, ServiceKind
from gateway.schema.base import from_global_id, to_global_id
from tests.gateway.helpers import run, run_with_errors

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String,
           $filter: CustomerFilter, $orderBy: [CustomerOrder!]) {
  customers(first: $first, after: $after, last: $last, before: $before,
            filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { databaseId name document } }
  }
}
"""


def _ids(data: dict) -> list[int]:
    return [edge["node"]["databaseId"] for edge in data["customers"]["edges"]]


async def _scalar(session: AsyncSession, statement):  # type: ignore[no-untyped-def]
    return await session.scalar(statement)


async def test_first_page_and_total(session: AsyncSession) -> None:
    total = await _scalar(session, select(func.count()).select_from(m.Customer))
    data = await run(session, PAGE, {"first": 10})
    assert data["customers"]["totalCount"] == total
    assert _ids(data) == list(
        await session.scalars(select(m.Customer.id).order_by(m.Customer.id).limit(10))
    )
    info = data["customers"]["pageInfo"]
    assert info["hasNextPage"] is True and info["hasPreviousPage"] is False


async def test_paging_forward_visits_every_customer_once(session: AsyncSession) -> None:
    seen: list[int] = []
    after = None
    while True:
        data = await run(session, PAGE, {"first": 25, "after": after})
        seen.extend(_ids(data))
        info = data["customers"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == list(await session.scalars(select(m.Customer.id).order_by(m.Customer.id)))


async def test_paging_backward_from_the_end(session: AsyncSession) -> None:
    all_ids = list(await session.scalars(select(m.Customer.id).order_by(m.Customer.id)))
    last_page = await run(session, PAGE, {"last": 7})
    assert _ids(last_page) == all_ids[-7:]
    assert last_page["customers"]["pageInfo"]["hasPreviousPage"] is True
    before = last_page["customers"]["pageInfo"]["startCursor"]
    previous = await run(session, PAGE, {"last": 5, "before": before})
    assert _ids(previous) == all_ids[-12:-7]


async def test_order_by_name_descending(session: AsyncSession) -> None:
    data = await run(
        session, PAGE, {"first": 30, "orderBy": [{"field": "NAME", "direction": "DESC"}]}
    )
    expected = await session.scalars(
        select(m.Customer.id).order_by(m.Customer.name.desc(), m.Customer.id).limit(30)
    )
    assert _ids(data) == list(expected)


async def test_filter_by_city(session: AsyncSession) -> None:
    city = await _scalar(session, select(m.Address.city).order_by(m.Address.id).limit(1))
    expected = list(
        await session.scalars(
            select(m.Customer.id)
            .where(
                select(m.Address.id)
                .where(m.Address.customer_id == m.Customer.id, m.Address.city == city)
                .exists()
            )
            .order_by(m.Customer.id)
        )
    )
    data = await run(session, PAGE, {"first": 100, "filter": {"city": city.upper()}})
    assert expected and _ids(data) == expected[:100]
    assert data["customers"]["totalCount"] == len(expected)


async def test_filter_by_document_and_name(session: AsyncSession) -> None:
    customer = await session.scalar(select(m.Customer).order_by(m.Customer.id.desc()).limit(1))
    assert customer is not None
    by_document = await run(
        session, PAGE, {"first": 10, "filter": {"search": customer.document[:9]}}
    )
    assert customer.id in _ids(by_document)
    name_part = customer.name.split()[0].lower()
    by_name = await run(session, PAGE, {"first": 100, "filter": {"nameContains": name_part}})
    assert customer.id in _ids(by_name)
    assert all(name_part in edge["node"]["name"].lower() for edge in by_name["customers"]["edges"])


async def test_filter_by_plan_status_and_offer(session: AsyncSession) -> None:
    data = await run(session, PAGE, {"first": 100, "filter": {"planStatus": ["CANCELLED"]}})
    expected = list(
        await session.scalars(
            select(m.Plan.customer_id)
            .where(m.Plan.status == PlanStatus.CANCELLED)
            .distinct()
            .order_by(m.Plan.customer_id)
        )
    )
    assert expected and _ids(data) == expected[:100]

    offer_id = await _scalar(session, select(m.Plan.offer_id).order_by(m.Plan.id).limit(1))
    data = await run(
        session,
        PAGE,
        {"first": 100, "filter": {"offerId": [to_global_id("PlanOffer", offer_id)]}},
    )
    with_offer = set(
        await session.scalars(select(m.Plan.customer_id).where(m.Plan.offer_id == offer_id))
    )
    assert _ids(data) and set(_ids(data)) <= with_offer
    unknown = await run(session, PAGE, {"first": 5, "filter": {"offerId": ["bm90IGFuIGlk"]}})
    assert unknown["customers"]["totalCount"] == 0


async def test_page_size_is_bounded(session: AsyncSession) -> None:
    result = await run_with_errors(session, PAGE, {"first": 1000})
    assert result.errors and "between 0 and 100" in result.errors[0].message
    result = await run_with_errors(session, PAGE, {"first": 5, "after": "garbage"})
    assert result.errors and "not a cursor" in result.errors[0].message


NESTED = """
query Nested($id: ID!) {
  customer(id: $id) {
    id databaseId name kind
    addresses { cep city state }
    contacts { name }
    plans {
      databaseId status inactiveReason dueDay paymentMethod
      offer { name isTvOffer allowedServiceKinds defaultTvPackage { name } }
      contract { number validityMonths template { name } }
      installationAddress { city }
      services {
        __typename kind status
        ... on RadiusLogin { login fixedIp }
        ... on EmailAccount { address }
        ... on EmailAlias { address email { address } }
        ... on IpAddress { address pool { name } }
        ... on VoiceTerminal { phoneNumber }
        ... on Onu { serial olt ponPort }
        ... on HostedDomain { name }
        ... on Circuit { identifier bandwidthKbps }
        ... on ExtraService { value installments definition { name } }
        ... on AntivirusLicense { licenseStatus }
      }
      tvPackages { value isDefault package { name channels { name number family } } }
      tvPoints { status location { name } equipment { casn serial } history { event } }
      receivables { amount dueDate status }
    }
  }
}
"""


async def test_nested_customer_matches_the_database(session: AsyncSession) -> None:
    # A customer with a TV plan, so every branch of the query has rows.
    customer_id = await session.scalar(
        select(m.Plan.customer_id)
        .join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id)
        .order_by(m.Plan.customer_id)
        .limit(1)
    )
    assert customer_id is not None
    data = await run(session, NESTED, {"id": to_global_id("Customer", customer_id)})
    customer = data["customer"]
    assert from_global_id(customer["id"]) == ("Customer", customer_id)
    plan_ids = list(
        await session.scalars(
            select(m.Plan.id).where(m.Plan.customer_id == customer_id).order_by(m.Plan.id)
        )
    )
    assert [plan["databaseId"] for plan in customer["plans"]] == plan_ids
    for plan in customer["plans"]:
        kinds = list(
            await session.scalars(
                select(m.Service.kind)
                .where(m.Service.plan_id == plan["databaseId"])
                .order_by(m.Service.id)
            )
        )
        assert [service["kind"] for service in plan["services"]] == [k.name for k in kinds]
        for service in plan["services"]:
            assert service["kind"] in plan["offer"]["allowedServiceKinds"]
    tv_plans = [plan for plan in customer["plans"] if plan["tvPoints"]]
    assert tv_plans and all(plan["offer"]["isTvOffer"] for plan in tv_plans)
    packages = [sub["package"] for plan in tv_plans for sub in plan["tvPackages"]]
    assert packages and all(package["channels"] for package in packages)


async def test_plans_and_services_filters(session: AsyncSession) -> None:
    customer_id = await session.scalar(
        select(m.Plan.customer_id).where(m.Plan.status == PlanStatus.CANCELLED).limit(1)
    )
    query = """
      query ($id: ID!) { customer(id: $id) {
        plans(status: [CANCELLED]) { status cancelledAt services(kind: [RADIUS_LOGIN]) { kind } }
      } }
    """
    data = await run(session, query, {"id": str(customer_id)})
    plans = data["customer"]["plans"]
    assert plans and all(p["status"] == "CANCELLED" and p["cancelledAt"] for p in plans)
    assert all(s["kind"] == "RADIUS_LOGIN" for p in plans for s in p["services"])


async def test_node_resolves_each_kind_of_id(session: AsyncSession) -> None:
    plan_id = await session.scalar(select(m.Plan.id).limit(1))
    login = await session.scalar(select(m.RadiusLogin).limit(1))
    assert plan_id and login
    query = """
      query ($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
        a: node(id: $a) { __typename id ... on Plan { databaseId } }
        b: node(id: $b) { __typename ... on RadiusLogin { login } }
        c: node(id: $c) { id }
        d: node(id: $d) { id }
      }
    """
    data = await run(
        session,
        query,
        {
            "a": to_global_id("Plan", plan_id),
            "b": to_global_id("RadiusLogin", login.id),
            "c": to_global_id("EmailAccount", login.id),  # right id, wrong type
            "d": "not-a-global-id",
        },
    )
    assert data["a"] == {
        "__typename": "Plan",
        "id": to_global_id("Plan", plan_id),
        "databaseId": plan_id,
    }
    assert data["b"] == {"__typename": "RadiusLogin", "login": login.login}
    assert data["c"] is None and data["d"] is None


async def test_unknown_customer_is_null(session: AsyncSession) -> None:
    data = await run(
        session,
        "query ($a: ID!, $b: ID!) { a: customer(id: $a) { id } b: customer(id: $b) { id } }",
        {"a": to_global_id("Customer", 10**9), "b": "99999999999999999999"},
    )
    assert data == {"a": None, "b": None}


async def test_catalog(session: AsyncSession) -> None:
    data = await run(
        session,
        """{ planOffers { name allowedServiceKinds isTvOffer }
             tvPackages(isExtra: true) { name isExtra channels { number } }
             extraServiceDefinitions { name billingType }
             tvPointLocations { name } }""",
    )
    offered = {kind for offer in data["planOffers"] for kind in offer["allowedServiceKinds"]}
    assert offered == {kind.name for kind in ServiceKind}
    assert data["tvPackages"] and all(p["isExtra"] for p in data["tvPackages"])
    for package in data["tvPackages"]:
        numbers = [c["number"] for c in package["channels"]]
        assert numbers == sorted(numbers)
    assert data["extraServiceDefinitions"] and data["tvPointLocations"]
