"""Every compiled root runs as many statements for a large answer as for a small one.

For each root the compiled path plans (and for a mutation's payload), one document is sent
with several arguments or callers that reach different numbers of rows (pages of 5 to 100,
customers with one plan or several, short and long periods...). Answers whose relations have
rows at the same places (the same *shape*: which lists are non-empty, which objects present)
must have run the same number of statements, whatever the number of rows: one statement per
relation level, never one per row. A root whose answers all have the same size proves
nothing, so each case must show two answers of one shape and different sizes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from domain.models.enums import PlanStatus, SpeedState
from domain.reads.batched import Reader
from gateway.execution.compiled import ROOTS, CompiledReads
from gateway.schema.base import to_global_id
from tests.conftest import StatementCounter
from tests.gateway.helpers import bearer, http_client, test_settings

LONG = {"start": "2025-03-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}
SHORT = {"start": "2025-03-01T00:00:00Z", "end": "2025-03-02T00:00:00Z"}


@dataclass(frozen=True)
class Few:
    """Pairs of subjects with few and with many rows below them."""

    customers: tuple[int, int]  # by number of plans
    plans: tuple[int, int]  # by number of services
    active_plans: list[int]  # ACTIVE at normal speed (they can be suspended), few services to many
    resellers: tuple[int, int]
    voice_subscribers: tuple[int, int]  # by number of lines
    call_plan: int  # a plan with calls
    session_plan: int  # a plan with several RADIUS sessions
    voice_line: int  # a line with calls
    ticket_customer: int  # a customer with one ticket
    tv_point: int
    call_periods: list[dict[str, str]]  # of the call plan's calls: short to long
    line_periods: list[dict[str, str]]  # of the voice line's calls
    session_periods: list[dict[str, str]]  # of the session plan's RADIUS sessions


def _ends(rows: list[Any], *, distinct: bool = True) -> tuple[int, int]:
    assert rows[0][1] != rows[-1][1] or not distinct, rows
    return rows[0][0], rows[-1][0]


@pytest.fixture(scope="module")
async def few(engine: AsyncEngine) -> Few:
    async with engine.connect() as c:

        async def by_count(
            key: Any, counted: Any, join: Any, *where: Any, distinct: bool = True
        ) -> tuple[int, int]:
            statement = (
                select(key, func.count(counted))
                .join(join)
                .where(*where)
                .group_by(key)
                .order_by(func.count(counted), key)
            )
            return _ends(list(await c.execute(statement)), distinct=distinct)

        customers = await by_count(
            m.Customer.id, m.Plan.id, m.Plan, m.Plan.status == PlanStatus.ACTIVE
        )
        plans = await by_count(m.Plan.id, m.Service.id, m.Service)
        active_plans = list(
            await c.scalars(
                select(m.Plan.id)
                .join(m.Service)
                .where(
                    m.Plan.status == PlanStatus.ACTIVE,
                    m.Plan.speed_state == SpeedState.NORMAL,
                    m.Plan.speed_restored_until.is_(None),
                    m.Plan.enabled_until.is_(None),
                )
                .group_by(m.Plan.id)
                .order_by(func.count(m.Service.id), m.Plan.id)
            )
        )[::3]
        # The seed's resellers have as many subscribers each: their periods differ instead.
        resellers = await by_count(
            m.VoiceReseller.id, m.VoiceSubscriber.id, m.VoiceSubscriber, distinct=False
        )
        voice_subscribers = await by_count(m.VoiceSubscriber.id, m.VoiceLine.id, m.VoiceLine)
        call_plan, first_plan_call = (
            await c.execute(
                select(m.Service.plan_id, func.min(m.CallRecord.started_at))
                .join(m.CallRecord, m.CallRecord.voice_terminal_id == m.Service.id)
                .group_by(m.Service.plan_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()
        session_plan = await c.scalar(
            select(m.RadiusLogin.plan_id)
            .join(m.ConnectionSession, m.ConnectionSession.username == m.RadiusLogin.login)
            .group_by(m.RadiusLogin.plan_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        voice_line = await c.scalar(
            select(m.CallRecord.voice_line_id)
            .where(m.CallRecord.voice_line_id.is_not(None))
            .group_by(m.CallRecord.voice_line_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        first_call = await c.scalar(
            select(func.min(m.CallRecord.started_at)).where(
                m.CallRecord.voice_line_id == voice_line
            )
        )
        first_session = await c.scalar(
            select(func.min(m.ConnectionSession.acctstarttime))
            .join(m.RadiusLogin, m.ConnectionSession.username == m.RadiusLogin.login)
            .where(m.RadiusLogin.plan_id == session_plan)
        )
        ticket_customer = await c.scalar(
            select(m.Ticket.customer_id)
            .group_by(m.Ticket.customer_id)
            .having(func.count() == 1)
            .limit(1)
        )
        tv_point = await c.scalar(select(func.min(m.TvPoint.id)))
    return Few(
        customers,
        plans,
        active_plans,
        resellers,
        voice_subscribers,
        call_plan,
        session_plan,
        voice_line,
        ticket_customer,
        tv_point,
        _periods(first_plan_call),
        _periods(first_call),
        _periods(first_session),
    )


def _periods(first: Any) -> list[dict[str, str]]:
    """Periods from just before `first` (a datetime, or SQLite's text): a day, 90, 300."""
    if isinstance(first, str):
        first = dt.datetime.fromisoformat(first)
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    start = first - dt.timedelta(minutes=1)
    return [
        {"start": start.isoformat(), "end": (start + dt.timedelta(days=days)).isoformat()}
        for days in (1, 90, 300)
    ]


PLAN = """databaseId status offer { name defaultTvPackage { name } } contract { number }
  services { kind ... on EmailAlias { email { address } } ... on IpAddress { pool { name } } }
  tvPackages { package { name channels { name } } } tvPoints { location { name } history { at } }
  receivables(status: [OPEN]) { amount boletos { barcode } }"""
CUSTOMER = (
    f"name addresses {{ city }} tickets {{ protocol contacts {{ name }} }} plans {{ {PLAN} }}"
)
VOICE_SUBSCRIBER = """name salePlan { name } lines { number } franchises { minutes }
  permissions franchiseBalance(period: $period) { ... on FranchiseBalances {
    balances { category usedMinutes } } }"""


def _staff(_few: Few, _index: int) -> Identity:
    return DEVELOPMENT_STAFF


def _subscriber(_few: Few, index: int) -> Identity:
    return Identity(subject="p", role=Role.SUBSCRIBER, customer_id=index + 1)


def _reseller(few: Few, index: int) -> Identity:
    return Identity(subject="r", role=Role.RESELLER, reseller_id=few.resellers[index % 2])


def _voice_subscriber(_few: Few, index: int) -> Identity:
    return Identity(subject="v", role=Role.VOICE_SUBSCRIBER, voice_subscriber_id=index + 1)


@dataclass(frozen=True)
class Case:
    query: str
    variables: Callable[[Few, int], dict[str, Any]]  # the index-th of `tries` requests
    identity: Callable[[Few, int], Identity] = _staff
    tries: int = 12
    varies: bool = True  # its answers differ in size (a catalog list's do not)


def _gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


PERIODS = [SHORT, {"start": "2025-09-01T00:00:00Z", "end": "2025-12-01T00:00:00Z"}, LONG]

CASES: dict[str, Case] = {
    "customers": Case(
        f"query ($n: Int!) {{ customers(first: $n) {{ totalCount nodes {{ {CUSTOMER} }} }} }}",
        lambda _f, i: {"n": (5, 10, 30, 60, 100)[i]},
        tries=5,
    ),
    "customer": Case(
        f"query ($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}",
        lambda _f, i: {"id": str(i + 1)},
        tries=30,
    ),
    "node": Case(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on Plan {{ {PLAN} }} }} }}",
        lambda _f, i: {"id": _gid("Plan", i + 1)},
        tries=30,
    ),
    "me (subscriber)": Case(
        f"{{ me {{ ... on Customer {{ {CUSTOMER} }} }} }}",
        lambda _f, _i: {},
        _subscriber,
        tries=30,
    ),
    "me (reseller)": Case(
        f"""query ($period: PeriodInput!) {{ me {{ ... on VoiceReseller {{ name
          salePlans {{ name }} subscribers {{ {VOICE_SUBSCRIBER} }} }} }} }}""",
        lambda _f, i: {"period": PERIODS[i // 2]},
        _reseller,
        tries=6,
    ),
    "me (voice subscriber)": Case(
        f"""query ($period: PeriodInput!) {{ me {{ ... on VoiceSubscriber {{ {VOICE_SUBSCRIBER}
          }} }} }}""",
        lambda _f, i: {"period": PERIODS[i % 3]},
        _voice_subscriber,
    ),
    "tvPackages": Case(
        "query ($extra: Boolean) { tvPackages(isExtra: $extra) { name channels { name } } }",
        lambda _f, i: {"extra": (True, False, None)[i]},
        tries=3,
    ),
    **{
        name: Case(f"{{ {name} {{ {selection} }} }}", lambda _f, _i: {}, tries=1, varies=False)
        for name, selection in (
            ("planOffers", "name allowedServiceKinds defaultTvPackage { channels { name } }"),
            ("extraServiceDefinitions", "name"),
            ("tvPointLocations", "name"),
            ("contractTemplates", "name"),
            ("billingForms", "name"),
            ("banks", "name"),
            ("technicians", "name role { name }"),
            ("roles", "name"),
            ("smsCreditValues", "credits"),
        )
    },
    "tickets": Case(
        "query ($id: ID) { tickets(customerId: $id) { protocol contacts { name } } }",
        lambda _f, i: {"id": str(i) if i else None},
    ),
    "connectionStatement": Case(
        """query ($id: ID!, $n: Int!, $period: PeriodInput!) { connectionStatement(planId: $id,
          period: $period, first: $n) { ... on ConnectionStatement { totalCount
          sessions { login inputOctets } } } }""",
        lambda f, i: {
            "id": str(f.session_plan),
            "n": (1, 2, 3, 50)[i],
            "period": f.session_periods[2],
        },
        tries=4,
    ),
    "callStatement": Case(
        """query ($id: ID!, $period: PeriodInput!) { callStatement(planId: $id,
          period: $period) { ... on CallStatement { calls { cost } totals { count } } } }""",
        lambda f, i: {"id": str(f.call_plan), "period": f.call_periods[i]},
        tries=3,
    ),
    "voiceLineCallStatement": Case(
        """query ($id: ID!, $period: PeriodInput!) { voiceLineCallStatement(lineId: $id,
          period: $period) { ... on CallStatement { calls { cost } totalCost } } }""",
        lambda f, i: {"id": _gid("VoiceLine", f.voice_line), "period": f.line_periods[i]},
        tries=3,
    ),
    "dueDateChangePreview": Case(
        """query ($id: ID!) { dueDateChangePreview(planId: $id, newDueDay: 12) { __typename
          ... on DueDateChangePreview { amount plan { services { kind } } } } }""",
        lambda _f, i: {"id": _gid("Plan", i + 1)},
        tries=20,
    ),
    "validateAddPlan": Case(
        """query ($id: ID!) { validateAddPlan(input: {customerId: $id}) { __typename
          ... on AddPlanValid { missingSteps } } }""",
        lambda _f, i: {"id": _gid("Customer", i + 1)},
        tries=2,
        varies=False,
    ),
    "equipmentByCasn": Case(
        """query ($loc: ID!) { equipmentByCasn(locationId: $loc, casn: "0") { __typename } }""",
        lambda _f, i: {"loc": _gid("TvPointLocation", i + 1)},
        tries=2,
        varies=False,
    ),
    "tvBillingPreview": Case(
        """query ($day: Date!) { tvBillingPreview(dueDate: $day) { __typename
          ... on TvBillingPreview { total lines { amount plan { services { kind } }
          tvPackage { package { name } } } } } }""",
        lambda _f, i: {"day": f"2026-{i % 12 + 1:02d}-{(5, 10, 15, 20)[i % 4]:02d}"},
    ),
    "voicePanelUsername": Case(
        """query ($name: String!) { voicePanelUsername(username: $name) { __typename } }""",
        lambda _f, i: {"name": f"someone.{i}"},
        tries=2,
        varies=False,
    ),
    "customerDataExport": Case(
        """query ($id: ID!) { customerDataExport(customerId: $id) { __typename
          ... on CustomerDataExport { customer { plans { services { kind } } } } } }""",
        lambda _f, i: {"id": str(i + 1)},
    ),
    "authenticationDiagnosis": Case(
        """query ($id: ID!) { authenticationDiagnosis(planId: $id) { __typename
          ... on AuthenticationDiagnosis { plan { services { kind } } } } }""",
        lambda _f, i: {"id": str(i + 1)},
    ),
    "freeSlots": Case(
        """query ($id: ID!) { freeSlots(date: "2026-01-05", duration: 60, technicianId: $id) {
          __typename } }""",
        lambda _f, i: {"id": str(i + 1)},
        tries=2,
        varies=False,
    ),
    "tvPointPlatformData": Case(
        """query ($id: ID!) { tvPointPlatformData(tvPointId: $id) { __typename
          ... on TvPointPlatformData { tvPoint { location { name } history { event } } } } }""",
        lambda f, i: {"id": _gid("TvPoint", f.tv_point + i)},
        tries=6,
    ),
}


def shape(value: Any, path: str = "") -> frozenset[str]:
    """Where the answer has rows: the paths (without list indices) of non-empty lists and of
    objects present."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict) or (isinstance(item, list) and item):
                found.add(f"{path}.{key}")
            found |= shape(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found |= shape(item, path)
    return frozenset(found)


def check_same_statements_per_shape(
    measured: list[tuple[frozenset[str], int, int]], *, varies: bool
) -> None:
    """`measured`: (shape, statements, bytes) per request."""
    by_shape: dict[frozenset[str], list[tuple[int, int]]] = {}
    for answer_shape, statements, size in measured:
        by_shape.setdefault(answer_shape, []).append((statements, size))
    for answers in by_shape.values():
        assert len({statements for statements, _ in answers}) == 1, answers
    if varies:
        assert any(len({size for _, size in answers}) > 1 for answers in by_shape.values()), (
            "no two answers of one shape differ in size",
            by_shape,
        )


# Roots whose own resolver runs (a domain read or check, as on the standard path, with its own
# statements); the planner's statements are those of the objects' relations.
RESOLVER_ROOTS = {name for name, plan in ROOTS.items() if plan is CompiledReads.resolver_root}


@contextmanager
def planned_statements() -> Iterator[list[str]]:
    """The statements the compiled path's planner runs on the driver connection."""
    statements: list[str] = []
    Reader.observers.append(statements.append)
    try:
        yield statements
    finally:
        Reader.observers.remove(statements.append)


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # No outbox worker polling the database while statements are counted.
    settings = test_settings(database_url, outbox_worker="off")
    async with http_client(engine, settings, identity=None) as client:
        yield client


def test_every_compiled_root_has_a_case() -> None:
    covered = {name.split(" ")[0] for name in CASES}
    assert covered == set(ROOTS), set(ROOTS) ^ covered


@pytest.mark.parametrize("case", list(CASES))
async def test_a_compiled_root_runs_the_same_statements_for_few_rows_and_many(
    client: httpx.AsyncClient, few: Few, count_statements: StatementCounter, case: str
) -> None:
    spec = CASES[case]
    measured = []
    for index in range(spec.tries):
        with count_statements.fresh() as counter, planned_statements() as planned:
            response = await client.post(
                "/graphql",
                json={"query": spec.query, "variables": spec.variables(few, index)},
                headers=bearer(spec.identity(few, index)),
            )
        assert response.status_code == 200, response.text
        assert response.headers["x-gateway-executor"] == "compiled", response.headers
        body = response.json()
        assert "errors" not in body, body
        if case.split(" ")[0] not in RESOLVER_ROOTS:
            # Nothing but the planner's statements: no session, no ORM.
            assert counter.statements == planned
        measured.append((shape(body["data"]), len(planned), len(response.content)))
    check_same_statements_per_shape(measured, varies=spec.varies)


async def test_a_mutation_payload_runs_the_same_statements_for_few_rows_and_many(
    client: httpx.AsyncClient, few: Few, count_statements: StatementCounter
) -> None:
    """Plans with few services and with many, suspended and restored: the payload (the plan,
    its services, TV and open receivables) costs the same statements after the action."""
    text = f"""mutation ($input: ChangePlanStatusInput!) {{ changePlanStatus(input: $input) {{
      __typename ... on PlanChangeSuccess {{ plan {{ {PLAN} }} }} }} }}"""
    measured = []
    for plan in few.active_plans:
        there = {"planId": str(plan), "status": "INACTIVE", "inactiveReason": "SUSPENDED"}
        back = {"planId": str(plan), "status": "ACTIVE"}
        for step, values in enumerate((there, back)):
            with planned_statements() as planned:
                response = await client.post(
                    "/graphql",
                    json={"query": text, "variables": {"input": values}},
                    headers=bearer(),
                )
            assert response.headers["x-gateway-executor"] == "compiled"
            result = response.json()["data"]["changePlanStatus"]
            assert result["__typename"] == "PlanChangeSuccess", result
            answer_shape = shape(result) | {f"step {step}"}
            measured.append((answer_shape, len(planned), len(response.content)))
    check_same_statements_per_shape(measured, varies=True)
