"""Who sees what: every role against every root field and mutation, over HTTP.

A subscriber finds only its own customer and what hangs below it (by id, by node, through the
connection, nested), as if nothing else existed; a reseller finds no ISP customer at all; staff
see everything but need the named permission for TV and billing rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import access
from domain import models as m
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from gateway.execution.compiled import ROOTS
from gateway.resolvers.reports import REPORT_ROOTS
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, run, test_settings


@dataclass(frozen=True)
class World:
    """Two customers of the seeded data: `mine` has TV points and receivables, `other` plans."""

    mine: int
    mine_plan: int
    other: int
    other_plan: int
    other_tv_point: int
    customers: int
    reseller: int
    mine_tickets: tuple[int, ...]
    voice_subscriber: int  # one of the reseller's voice subscribers, with a line
    voice_line: int


@pytest.fixture(scope="module")
async def world(engine: AsyncEngine) -> World:
    async with engine.connect() as c:
        mine = await c.scalar(
            select(m.Plan.customer_id)
            .join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id)
            .join(m.Receivable, m.Receivable.customer_id == m.Plan.customer_id)
            .order_by(m.Plan.customer_id)
            .limit(1)
        )
        mine_plan = await c.scalar(select(m.Plan.id).where(m.Plan.customer_id == mine).limit(1))
        other_point = await c.execute(
            select(m.Plan.customer_id, m.Plan.id, m.TvPoint.id)
            .join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id)
            .where(m.Plan.customer_id != mine)
            .order_by(m.Plan.customer_id.desc())
            .limit(1)
        )
        other, other_plan, other_tv_point = other_point.one()
        customers = await c.scalar(select(func.count()).select_from(m.Customer))
        reseller = await c.scalar(select(m.VoiceReseller.id).limit(1))
        tickets = tuple(await c.scalars(select(m.Ticket.id).where(m.Ticket.customer_id == mine)))
        voice_subscriber, voice_line = (
            await c.execute(
                select(m.VoiceSubscriber.id, m.VoiceLine.id)
                .join(m.VoiceLine, m.VoiceLine.subscriber_id == m.VoiceSubscriber.id)
                .where(m.VoiceSubscriber.reseller_id == reseller)
                .order_by(m.VoiceSubscriber.id, m.VoiceLine.id)
                .limit(1)
            )
        ).one()
    assert mine and other and reseller
    return World(
        mine,
        mine_plan,
        other,
        other_plan,
        other_tv_point,
        customers,
        reseller,
        tickets,
        voice_subscriber,
        voice_line,
    )


def subscriber(world: World) -> Identity:
    return Identity(subject="portal-user", role=Role.SUBSCRIBER, customer_id=world.mine)


def reseller(world: World) -> Identity:
    return Identity(subject="reseller-user", role=Role.RESELLER, reseller_id=world.reseller)


def voice_subscriber(world: World) -> Identity:
    return Identity(
        subject="voice-user", role=Role.VOICE_SUBSCRIBER, voice_subscriber_id=world.voice_subscriber
    )


ROLES: dict[str, Callable[[World], Identity]] = {
    "staff": lambda _w: DEVELOPMENT_STAFF,
    "clerk": lambda _w: Identity.staff("clerk"),  # staff without any permission
    "subscriber": subscriber,
    "reseller": reseller,
    "voice_subscriber": voice_subscriber,  # one of the reseller's subscribers (ADR 0094)
}


@dataclass(frozen=True)
class Case:
    query: str
    variables: Callable[[World], dict[str, Any]]
    # role -> check(body, world); the check asserts what that role must get.
    expect: dict[str, Callable[[dict[str, Any], World], None]]


def _gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


def _data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]


def _found(field: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert _data(body)[field] is not None

    return check


def _absent(field: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert _data(body)[field] is None

    return check


def _not_allowed(permission: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        errors = body["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"NOT_ALLOWED"}
        assert {e["extensions"]["permission"] for e in errors} == {permission}
        assert all(permission in e["message"] for e in errors)

    return check


def _non_empty_list(field: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert len(_data(body)[field]) > 0

    return check


def _has_rows(*path: str) -> Callable[[dict[str, Any], World], None]:
    """The customer's rows at `path` (lists flattened on the way) are not all empty."""

    def check(body: dict[str, Any], _w: World) -> None:
        level: list[Any] = [_data(body)["customer"]]
        for key in path:
            level = [item for parent in level for item in parent[key]]
        assert level, path

    return check


def _customers_total(expected: Callable[[World], int]) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], w: World) -> None:
        connection = _data(body)["customers"]
        assert connection["totalCount"] == expected(w)
        ids = {edge["node"]["databaseId"] for edge in connection["edges"]}
        if expected(w) == 1:
            assert ids == {w.mine}

    return check


def _catalog(field: str, selection: str = "databaseId") -> Case:
    check = _non_empty_list(field)
    return Case(f"{{ {field} {{ {selection} }} }}", lambda _w: {}, dict.fromkeys(ROLES, check))


CUSTOMER = "query ($id: ID!) { customer(id: $id) { databaseId name plans { databaseId } } }"
NODE = "query ($id: ID!) { node(id: $id) { id } }"
TV = "query ($id: ID!) { customer(id: $id) { plans { tvPoints { databaseId } } } }"
MONEY = "query ($id: ID!) { customer(id: $id) { receivables { amount } } }"


def _typename(field: str, expected: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert _data(body)[field]["__typename"] == expected, body

    return check


_PLAN_ADMIN_ONLY = {
    "staff": _typename("domainAvailability", "RuleViolation"),  # no registry configured here
    "clerk": _typename("domainAvailability", "NotAllowed"),
    "subscriber": _typename("domainAvailability", "NotAllowed"),
    "reseller": _typename("domainAvailability", "NotAllowed"),
    "voice_subscriber": _typename("domainAvailability", "NotAllowed"),
}


def _typename_in(field: str, *expected: str) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert _data(body)[field]["__typename"] in expected, body

    return check


STATEMENT = (
    "query ($id: ID!) {{ {field}(planId: $id, period: "
    '{{start: "2000-01-01T00:00:00Z", end: "2000-12-31T00:00:00Z"}}) {{ __typename }} }}'
)


def _check_me(body: dict[str, Any], typename: str, key: int) -> None:
    assert _data(body)["me"] == {"__typename": typename, "databaseId": key}


def _check_empty(body: dict[str, Any], field: str) -> None:
    assert _data(body)[field] == []


def _own_tickets(body: dict[str, Any], w: World) -> None:
    assert {t["databaseId"] for t in _data(body)["tickets"]} == set(w.mine_tickets)


REPORT_PAGE = (
    "{ receivables(first: 50) { __typename ... on ReceivableConnection { nodes { databaseId } } } }"
)
REPORT_GROUPS = (
    "{ receivablesAggregate(groupBy: [CUSTOMER_ID]) { __typename "
    "... on ReceivableAggregate { groups { key { customerId } count } } } }"
)


def _report_rows(some: bool) -> Callable[[dict[str, Any], World], None]:
    def check(body: dict[str, Any], _w: World) -> None:
        assert bool(_data(body)["receivables"]["nodes"]) is some, body

    return check


def _groups_of(whose: str | None) -> Callable[[dict[str, Any], World], None]:
    """Staff (None) see many customers' groups, a subscriber its own only, others none."""

    def check(body: dict[str, Any], w: World) -> None:
        groups = _data(body)["receivablesAggregate"]["groups"]
        owners = {g["key"]["customerId"] for g in groups}
        if whose is None:
            assert len(owners) > 1
        elif whose == "mine":
            assert owners == {_gid("Customer", w.mine)} and groups[0]["count"] > 0
        else:
            assert groups == []

    return check


PREVIEW = "query ($id: ID!) { dueDateChangePreview(planId: $id, newDueDay: 12) { __typename } }"
VALIDATE = "query ($id: ID!) { validateAddPlan(input: {customerId: $id}) { __typename } }"

CASN = (
    'query ($loc: ID!) { equipmentByCasn(locationId: $loc, casn: "000000000000") { __typename } }'
)
PLATFORM = "query ($id: ID!) { tvPointPlatformData(tvPointId: $id) { __typename } }"

CASES: dict[str, Case] = {
    # TV lookups need TV_PACKAGES; a subscriber never sees another customer's point.
    "equipmentByCasn": Case(
        CASN,
        lambda _w: {"loc": _gid("TvPointLocation", 1)},
        {
            "staff": _typename("equipmentByCasn", "NotFound"),  # no such CASN
            "clerk": _typename("equipmentByCasn", "NotAllowed"),
            "subscriber": _typename("equipmentByCasn", "NotAllowed"),
            "reseller": _typename("equipmentByCasn", "NotAllowed"),
            "voice_subscriber": _typename("equipmentByCasn", "NotAllowed"),
        },
    ),
    "tvPointPlatformData": Case(
        PLATFORM,
        lambda w: {"id": _gid("TvPoint", w.other_tv_point)},
        {
            "staff": _typename_in("tvPointPlatformData", "TvPointPlatformData"),
            "clerk": _typename("tvPointPlatformData", "NotAllowed"),
            "subscriber": _typename_in("tvPointPlatformData", "NotAllowed", "NotFound"),
            "reseller": _typename_in("tvPointPlatformData", "NotAllowed", "NotFound"),
            "voice_subscriber": _typename_in("tvPointPlatformData", "NotAllowed", "NotFound"),
        },
    ),
    # Staff with BILLING preview any plan's due date; nobody else may.
    "dueDateChangePreview": Case(
        PREVIEW,
        lambda w: {"id": _gid("Plan", w.other_plan)},
        {
            "staff": _typename_in("dueDateChangePreview", "DueDateChangePreview", "RuleViolation"),
            "clerk": _typename("dueDateChangePreview", "NotAllowed"),
            "subscriber": _typename_in("dueDateChangePreview", "NotAllowed", "NotFound"),
            "reseller": _typename_in("dueDateChangePreview", "NotAllowed", "NotFound"),
            "voice_subscriber": _typename_in("dueDateChangePreview", "NotAllowed", "NotFound"),
        },
    ),
    # Faturamento TV's listing needs BILLING, like the run it previews.
    "tvBillingPreview": Case(
        "query ($d: Date!) { tvBillingPreview(dueDate: $d) { __typename } }",
        lambda _w: {"d": "2026-12-10"},
        {
            "staff": _typename("tvBillingPreview", "TvBillingPreview"),
            "clerk": _typename("tvBillingPreview", "NotAllowed"),
            "subscriber": _typename("tvBillingPreview", "NotAllowed"),
            "reseller": _typename("tvBillingPreview", "NotAllowed"),
            "voice_subscriber": _typename("tvBillingPreview", "NotAllowed"),
        },
    ),
    # The wizard's step check needs PLAN_ADMIN, like addPlan itself.
    "validateAddPlan": Case(
        VALIDATE,
        lambda w: {"id": _gid("Customer", w.other)},
        {
            "staff": _typename_in(
                "validateAddPlan", "AddPlanValid", "ValidationError", "RuleViolation"
            ),
            "clerk": _typename("validateAddPlan", "NotAllowed"),
            "subscriber": _typename("validateAddPlan", "NotAllowed"),
            "reseller": _typename("validateAddPlan", "NotAllowed"),
            "voice_subscriber": _typename("validateAddPlan", "NotAllowed"),
        },
    ),
    # A CEP names a street, not anyone's data: every authenticated caller may look one up
    # (no lookup service is configured here, so the answer is that it is unavailable).
    "addressByCep": Case(
        '{ addressByCep(cep: "01310-100") { __typename } }',
        lambda _w: {},
        dict.fromkeys(ROLES, _typename("addressByCep", "RuleViolation")),
    ),
    # Pure helpers every authenticated caller may use (a subscriber choosing a password).
    "generatePassword": Case(
        "{ generatePassword { __typename } }",
        lambda _w: {},
        dict.fromkeys(ROLES, _typename("generatePassword", "GeneratedPassword")),
    ),
    "passwordStrength": Case(
        '{ passwordStrength(password: "Tr0ub4dor&3") { __typename } }',
        lambda _w: {},
        dict.fromkeys(ROLES, _typename("passwordStrength", "PasswordStrength")),
    ),
    "domainAvailability": Case(
        '{ domainAvailability(name: "exemplo-livre.com.br") { __typename } }',
        lambda _w: {},
        _PLAN_ADMIN_ONLY,
    ),
    "customer(own)": Case(
        CUSTOMER,
        lambda w: {"id": _gid("Customer", w.mine)},
        {
            "staff": _found("customer"),
            "clerk": _found("customer"),
            "subscriber": _found("customer"),
            "reseller": _absent("customer"),
            "voice_subscriber": _absent("customer"),
        },
    ),
    "customer(other)": Case(
        CUSTOMER,
        lambda w: {"id": str(w.other)},
        {
            "staff": _found("customer"),
            "clerk": _found("customer"),
            "subscriber": _absent("customer"),
            "reseller": _absent("customer"),
            "voice_subscriber": _absent("customer"),
        },
    ),
    "customers": Case(
        "{ customers(first: 100) { totalCount edges { node { databaseId } } } }",
        lambda _w: {},
        {
            "staff": _customers_total(lambda w: w.customers),
            "clerk": _customers_total(lambda w: w.customers),
            "subscriber": _customers_total(lambda _w: 1),
            "reseller": _customers_total(lambda _w: 0),
            "voice_subscriber": _customers_total(lambda _w: 0),
        },
    ),
    "node(other customer)": Case(
        NODE,
        lambda w: {"id": _gid("Customer", w.other)},
        {
            "staff": _found("node"),
            "clerk": _found("node"),
            "subscriber": _absent("node"),
            "reseller": _absent("node"),
            "voice_subscriber": _absent("node"),
        },
    ),
    "node(other plan)": Case(
        NODE,
        lambda w: {"id": _gid("Plan", w.other_plan)},
        {
            "staff": _found("node"),
            "clerk": _found("node"),
            "subscriber": _absent("node"),
            "reseller": _absent("node"),
            "voice_subscriber": _absent("node"),
        },
    ),
    "node(own plan)": Case(
        NODE,
        lambda w: {"id": _gid("Plan", w.mine_plan)},
        {
            "staff": _found("node"),
            "clerk": _found("node"),
            "subscriber": _found("node"),
            "reseller": _absent("node"),
            "voice_subscriber": _absent("node"),
        },
    ),
    "node(other TV point)": Case(
        NODE,
        lambda w: {"id": _gid("TvPoint", w.other_tv_point)},
        {
            "staff": _found("node"),
            "clerk": _not_allowed("TV_PACKAGES"),
            "subscriber": _absent("node"),
            "reseller": _absent("node"),
            "voice_subscriber": _absent("node"),
        },
    ),
    "customer.plans.tvPoints": Case(
        TV,
        lambda w: {"id": str(w.mine)},
        {
            "staff": _has_rows("plans", "tvPoints"),
            "clerk": _not_allowed("TV_PACKAGES"),
            "subscriber": _has_rows("plans", "tvPoints"),
            "reseller": _absent("customer"),
            "voice_subscriber": _absent("customer"),
        },
    ),
    "customer.receivables": Case(
        MONEY,
        lambda w: {"id": str(w.mine)},
        {
            "staff": _has_rows("receivables"),
            "clerk": _not_allowed("BILLING"),
            "subscriber": _has_rows("receivables"),
            "reseller": _absent("customer"),
            "voice_subscriber": _absent("customer"),
        },
    ),
    "receivables": Case(
        REPORT_PAGE,
        lambda _w: {},
        {
            "staff": _report_rows(True),
            "clerk": _typename("receivables", "NotAllowed"),
            "subscriber": _report_rows(True),
            "reseller": _report_rows(False),
            "voice_subscriber": _report_rows(False),
        },
    ),
    "receivablesAggregate": Case(
        REPORT_GROUPS,
        lambda _w: {},
        {
            "staff": _groups_of(None),
            "clerk": _typename("receivablesAggregate", "NotAllowed"),
            "subscriber": _groups_of("mine"),
            "reseller": _groups_of("none"),
            "voice_subscriber": _groups_of("none"),
        },
    ),
    # The caller's own root: its customer, its reseller, nothing for staff.
    "me": Case(
        "{ me { __typename ... on Customer { databaseId } ... on VoiceReseller { databaseId } "
        "... on VoiceSubscriber { databaseId } } }",
        lambda _w: {},
        {
            "staff": _absent("me"),
            "clerk": _absent("me"),
            "subscriber": lambda b, w: _check_me(b, "Customer", w.mine),
            "reseller": lambda b, w: _check_me(b, "VoiceReseller", w.reseller),
            "voice_subscriber": lambda b, w: _check_me(b, "VoiceSubscriber", w.voice_subscriber),
        },
    ),
    # Another customer's plan has no statement for a subscriber (it does not exist for them).
    "connectionStatement(other)": Case(
        STATEMENT.format(field="connectionStatement"),
        lambda w: {"id": _gid("Plan", w.other_plan)},
        {
            "staff": _typename("connectionStatement", "ConnectionStatement"),
            "clerk": _typename("connectionStatement", "ConnectionStatement"),
            "subscriber": _typename("connectionStatement", "NotFound"),
            "reseller": _typename("connectionStatement", "NotFound"),
            "voice_subscriber": _typename("connectionStatement", "NotFound"),
        },
    ),
    "callStatement(other)": Case(
        STATEMENT.format(field="callStatement"),
        lambda w: {"id": _gid("Plan", w.other_plan)},
        {
            "staff": _typename("callStatement", "CallStatement"),
            "clerk": _typename("callStatement", "CallStatement"),
            "subscriber": _typename("callStatement", "NotFound"),
            "reseller": _typename("callStatement", "NotFound"),
            "voice_subscriber": _typename("callStatement", "NotFound"),
        },
    ),
    # The reseller's line; its voice subscriber reads it only when granted VIEW_CALL_RECORDS.
    "voiceLineCallStatement": Case(
        "query ($id: ID!) { voiceLineCallStatement(lineId: $id, period: "
        '{start: "2000-01-01T00:00:00Z", end: "2000-12-31T00:00:00Z"}) { __typename } }',
        lambda w: {"id": _gid("VoiceLine", w.voice_line)},
        {
            "staff": _typename("voiceLineCallStatement", "CallStatement"),
            "clerk": _typename("voiceLineCallStatement", "CallStatement"),
            "subscriber": _typename("voiceLineCallStatement", "NotFound"),
            "reseller": _typename("voiceLineCallStatement", "CallStatement"),
            "voice_subscriber": _typename_in(
                "voiceLineCallStatement", "CallStatement", "NotAllowed"
            ),
        },
    ),
    # Panel usernames are the reseller's (or staff's) to choose; a voice subscriber's is set.
    "voicePanelUsername": Case(
        '{ voicePanelUsername(username: "Nova.Loja") { __typename } }',
        lambda _w: {},
        {
            "staff": _typename("voicePanelUsername", "VoicePanelUsernameCheck"),
            "clerk": _typename("voicePanelUsername", "NotAllowed"),
            "subscriber": _typename("voicePanelUsername", "NotAllowed"),
            "reseller": _typename("voicePanelUsername", "VoicePanelUsernameCheck"),
            "voice_subscriber": _typename("voicePanelUsername", "NotAllowed"),
        },
    ),
    "tickets": Case(
        "{ tickets { databaseId } }",
        lambda _w: {},
        {
            "staff": _non_empty_list("tickets"),
            "clerk": _non_empty_list("tickets"),
            "subscriber": _own_tickets,
            "reseller": lambda b, _w: _check_empty(b, "tickets"),
            "voice_subscriber": lambda b, _w: _check_empty(b, "tickets"),
        },
    ),
    "smsCreditValues": _catalog("smsCreditValues"),
    "planOffers": _catalog("planOffers"),
    "tvPackages": _catalog("tvPackages", "name channels { name }"),
    "extraServiceDefinitions": _catalog("extraServiceDefinitions"),
    "tvPointLocations": _catalog("tvPointLocations"),
    "contractTemplates": _catalog("contractTemplates"),
    "billingForms": _catalog("billingForms"),
    "banks": _catalog("banks"),
    "technicians": _catalog("technicians", "name role { name }"),
    "roles": _catalog("roles", "name"),
    "freeSlots": Case(
        '{ freeSlots(roleId: "1", date: "2099-01-05", duration: 60) { __typename } }',
        lambda _w: {},
        {
            "staff": _typename("freeSlots", "FreeSlots"),
            "clerk": _typename("freeSlots", "NotAllowed"),
            "subscriber": _typename("freeSlots", "NotAllowed"),
            "reseller": _typename("freeSlots", "NotAllowed"),
            "voice_subscriber": _typename("freeSlots", "NotAllowed"),
        },
    ),
    # The authentication assistant is a PLAN_ADMIN screen; a subscriber finds no such plan.
    "authenticationDiagnosis(other)": Case(
        "query ($id: ID!) { authenticationDiagnosis(planId: $id) { __typename } }",
        lambda w: {"id": _gid("Plan", w.other_plan)},
        {
            "staff": _typename("authenticationDiagnosis", "AuthenticationDiagnosis"),
            "clerk": _typename("authenticationDiagnosis", "NotAllowed"),
            "subscriber": _typename("authenticationDiagnosis", "NotAllowed"),
            "reseller": _typename("authenticationDiagnosis", "NotAllowed"),
            "voice_subscriber": _typename("authenticationDiagnosis", "NotAllowed"),
        },
    ),
    # Another customer's data export: staff with CUSTOMER_ADMIN only; it does not exist for a
    # subscriber (who exports itself, tests/gateway/test_lgpd_http.py).
    "customerDataExport(other)": Case(
        "query ($id: ID) { customerDataExport(customerId: $id) { __typename } }",
        lambda w: {"id": _gid("Customer", w.other)},
        {
            "staff": _typename("customerDataExport", "CustomerDataExport"),
            "clerk": _typename("customerDataExport", "NotAllowed"),
            "subscriber": _typename("customerDataExport", "NotFound"),
            "reseller": _typename("customerDataExport", "NotAllowed"),
            "voice_subscriber": _typename("customerDataExport", "NotAllowed"),
        },
    ),
}


def _report_case(root: str, aggregate: bool) -> Case:
    """Another report root: its result type per role; staff lacking the table's permission get
    NotAllowed, everyone else the connection (its rows scoped by the same policies as
    receivables, whose rows the cases above check)."""
    report_root = REPORT_ROOTS[root]
    field = f"{root}Aggregate" if aggregate else root
    success = report_root.types.prefix + ("Aggregate" if aggregate else "Connection")
    needs = access.read_permissions({report_root.report.model})
    expect = dict.fromkeys(ROLES, _typename(field, success))
    if needs:
        expect["clerk"] = _typename(field, "NotAllowed")
    selection = "" if aggregate else "(first: 5)"
    return Case(f"{{ {field}{selection} {{ __typename }} }}", lambda _w: {}, expect)


for _root in REPORT_ROOTS:
    if _root != "receivables":
        CASES[_root] = _report_case(_root, aggregate=False)
        CASES[f"{_root}Aggregate"] = _report_case(_root, aggregate=True)


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> Any:
    # No default token: each request carries its role's own.
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        yield client


@pytest.mark.parametrize("path", ["compiled", "standard"])
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("case", list(CASES))
async def test_every_role_against_every_root_field(
    client: httpx.AsyncClient, world: World, role: str, case: str, path: str
) -> None:
    """On both read paths: the compiled one serves every root it plans (compiled.ROOTS) for
    every role, with the same scoping and refusals as the standard one."""
    spec = CASES[case]
    headers = bearer(ROLES[role](world))
    if path == "standard":
        headers["x-gateway-executor"] = "standard"
    response = await client.post(
        "/graphql",
        json={"query": spec.query, "variables": spec.variables(world)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    root = case.split("(")[0].split(".")[0]
    executor = response.headers["x-gateway-executor"]
    if path == "standard":
        assert executor.startswith("standard")
    elif root in ROOTS:
        assert executor == "compiled", executor
    spec.expect[role](response.json(), world)


async def test_every_root_field_is_in_the_matrix() -> None:
    from gateway.resolvers.root import schema

    root = schema._schema.query_type
    assert root is not None
    covered = {case.split("(")[0].split(".")[0] for case in CASES}
    assert set(root.fields) <= covered, set(root.fields) - covered


async def test_anonymous_callers_get_only_health(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ planOffers { name } }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_a_subscriber_sees_only_its_own_tree(
    client: httpx.AsyncClient, world: World, engine: AsyncEngine
) -> None:
    """Nested all the way down, every row belongs to the subscriber's customer."""
    query = """{ customers(first: 100) { edges { node { databaseId
        addresses { databaseId } contacts { databaseId }
        plans { databaseId customer { databaseId } services { databaseId }
                tvPoints { databaseId equipment { casn } history { event } }
                tvPackages { databaseId } receivables { databaseId } }
        receivables { databaseId } } } } }"""
    response = await client.post(
        "/graphql", json={"query": query}, headers=bearer(subscriber(world))
    )
    nodes = [edge["node"] for edge in _data(response.json())["customers"]["edges"]]
    assert [node["databaseId"] for node in nodes] == [world.mine]
    node = nodes[0]
    async with engine.connect() as c:
        plans = set(await c.scalars(select(m.Plan.id).where(m.Plan.customer_id == world.mine)))
        services = set(await c.scalars(select(m.Service.id).where(m.Service.plan_id.in_(plans))))
        receivables = set(
            await c.scalars(select(m.Receivable.id).where(m.Receivable.customer_id == world.mine))
        )
    assert {p["databaseId"] for p in node["plans"]} == plans
    assert {p["customer"]["databaseId"] for p in node["plans"]} == {world.mine}
    assert {s["databaseId"] for p in node["plans"] for s in p["services"]} == services
    assert {r["databaseId"] for r in node["receivables"]} == receivables
    assert any(p["tvPoints"] for p in node["plans"])


async def test_a_forged_subscriber_token_without_customer_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ planOffers { name } }"},
        headers=bearer(Identity(subject="x", role=Role.SUBSCRIBER), customer_id=None),
    )
    assert response.status_code == 401
    assert "customer_id" in response.json()["errors"][0]["message"]


SET = """mutation ($input: SetExtraFieldsInput!) { setExtraFields(input: $input) {
  __typename ... on NotAllowed { permission } ... on NotFound { entity } } }"""


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("staff", {"__typename": "SetExtraFieldsSuccess"}),
        ("clerk", {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}),
        ("subscriber", {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}),
        ("reseller", {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}),
        ("voice_subscriber", {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}),
    ],
)
async def test_every_role_against_every_mutation(
    session: AsyncSession, world: World, role: str, expected: dict[str, Any]
) -> None:
    variables = {
        "input": {
            "customerId": str(world.mine),
            "fields": [{"name": "matrix", "type": "STRING", "value": "x"}],
        }
    }
    data = await run(session, SET, variables, identity=ROLES[role](world))
    assert data["setExtraFields"] == expected


IP_LINES = """mutation ($input: SetSimultaneousIpLinesInput!) {
  setSimultaneousIpLines(input: $input) { __typename
  ... on NotAllowed { permission } ... on NotFound { entity }
  ... on SetSimultaneousIpLinesSuccess { line { simultaneousIpLines } } } }"""
PANEL_PASSWORD = """mutation ($input: ChangeVoicePanelPasswordInput!) {
  changeVoicePanelPassword(input: $input) { __typename ... on NotAllowed { permission } } }"""


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "staff",
            {"__typename": "SetSimultaneousIpLinesSuccess", "line": {"simultaneousIpLines": 9}},
        ),
        ("clerk", {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}),
        ("subscriber", {"__typename": "NotAllowed", "permission": None}),
        (
            "reseller",
            {"__typename": "SetSimultaneousIpLinesSuccess", "line": {"simultaneousIpLines": 9}},
        ),
        # Its own line, but its reseller granted it nothing (the test revokes every permission).
        (
            "voice_subscriber",
            {"__typename": "NotAllowed", "permission": "CHANGE_SIMULTANEOUS_IP_LINES"},
        ),
    ],
)
async def test_every_role_against_the_voice_subscriber_mutations(
    session: AsyncSession, world: World, role: str, expected: dict[str, Any]
) -> None:
    await session.execute(
        delete(m.VoiceSubscriberPermission).where(
            m.VoiceSubscriberPermission.subscriber_id == world.voice_subscriber
        )
    )
    identity = ROLES[role](world)
    variables = {"input": {"lineId": _gid("VoiceLine", world.voice_line), "lines": 9}}
    data = await run(session, IP_LINES, variables, identity=identity)
    assert data["setSimultaneousIpLines"] == expected
    variables = {"input": {"currentPassword": "x", "newPassword": "Tr0ub4dor&3-horse"}}
    data = await run(session, PANEL_PASSWORD, variables, identity=identity)
    permission = "CHANGE_PANEL_PASSWORD" if role == "voice_subscriber" else None
    assert data["changeVoicePanelPassword"] == {
        "__typename": "NotAllowed",
        "permission": permission,
    }
