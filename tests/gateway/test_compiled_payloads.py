"""Mutation payloads on the compiled path: the bytes of the standard path's completion.

A mutation's resolver (the action) runs as ever; the selection on its payload is built by the
planner from the objects the resolver returned, reading the mutation's own transaction. Each
generated payload selection goes through mutations that leave the state as they found it (a
setter given the value it already holds, a status change and its reverse), once with the
planned payload and once with `x-gateway-executor: standard`, as every kind of caller; the
two must answer the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from domain.models.enums import InactiveReason, PlanStatus, SpeedState
from gateway.resolvers.root import schema
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, test_settings
from tests.gateway.query_generator import QueryBuilder

EXECUTORS: Counter[str] = Counter()


@dataclass(frozen=True)
class Subjects:
    plan: int  # ACTIVE, normal speed: its status can go to SUSPENDED and back
    customer: int
    reseller: int
    voice_subscriber: int  # the reseller's, with a line
    voice_line: int


@pytest.fixture(scope="module")
async def subjects(engine: AsyncEngine) -> Subjects:
    async with engine.connect() as c:
        plan, customer = (
            await c.execute(
                select(m.Plan.id, m.Plan.customer_id)
                .join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id)
                .where(
                    m.Plan.status == PlanStatus.ACTIVE,
                    m.Plan.speed_state == SpeedState.NORMAL,
                    m.Plan.speed_restored_until.is_(None),
                    m.Plan.enabled_until.is_(None),
                )
                .order_by(m.Plan.id.desc())  # the last: other tests read the first rows
                .limit(1)
            )
        ).one()
        reseller, voice_subscriber, voice_line = (
            await c.execute(
                select(m.VoiceSubscriber.reseller_id, m.VoiceSubscriber.id, m.VoiceLine.id)
                .join(m.VoiceLine, m.VoiceLine.subscriber_id == m.VoiceSubscriber.id)
                .order_by(m.VoiceSubscriber.id.desc(), m.VoiceLine.id.desc())
                .limit(1)
            )
        ).one()
    return Subjects(plan, customer, reseller, voice_subscriber, voice_line)


IDENTITIES: dict[str, Callable[[Subjects], Identity]] = {
    "staff": lambda _s: DEVELOPMENT_STAFF,
    # May change plans, but not read TV or money: the payload's refused fields are null.
    "clerk": lambda _s: Identity.staff("clerk", Permission.PLAN_ADMIN, Permission.CUSTOMER_ADMIN),
    "subscriber": lambda s: Identity(subject="p", role=Role.SUBSCRIBER, customer_id=s.customer),
    "reseller": lambda s: Identity(subject="r", role=Role.RESELLER, reseller_id=s.reseller),
    "voice_subscriber": lambda s: Identity(
        subject="v", role=Role.VOICE_SUBSCRIBER, voice_subscriber_id=s.voice_subscriber
    ),
}


@dataclass(frozen=True)
class Mutation:
    field: str
    # Inputs applied in turn; together they leave the state as it was.
    inputs: Callable[[Subjects], list[dict[str, Any]]]


MUTATIONS = [
    Mutation(
        "changePlanStatus",
        lambda s: [
            {
                "planId": to_global_id("Plan", s.plan),
                "status": "INACTIVE",
                "inactiveReason": InactiveReason.SUSPENDED.name,
            },
            {"planId": to_global_id("Plan", s.plan), "status": "ACTIVE"},
        ],
    ),
    Mutation(
        "setExtraFields",
        lambda s: [
            {
                "customerId": str(s.customer),
                "fields": [{"name": "payload-test", "type": "STRING", "value": "x"}],
            }
        ],
    ),
    Mutation(
        "setSimultaneousIpLines",
        lambda s: [{"lineId": to_global_id("VoiceLine", s.voice_line), "lines": 3}],
    ),
    Mutation(
        "setVoiceFranchises",
        lambda s: [
            {
                "subscriberId": to_global_id("VoiceSubscriber", s.voice_subscriber),
                "franchises": [
                    {"category": "FIXED_LOCAL", "minutes": 100},
                    {"category": "FIXED_LDN", "minutes": 30, "consumesLocal": True},
                ],
            }
        ],
    ),
    Mutation(
        "updateVoiceSubscriber",
        lambda s: [
            {
                "subscriberId": to_global_id("VoiceSubscriber", s.voice_subscriber),
                "subscriber": {"city": "Curitiba"},
            }
        ],
    ),
]


@st.composite
def payload_documents(draw: Any) -> tuple[Mutation, str, str]:
    """A mutation, a generated selection on its result union, and who sends it."""
    mutation = draw(st.sampled_from(MUTATIONS))
    builder = QueryBuilder(schema._schema, draw, 100)
    field_def = schema._schema.mutation_type.fields[mutation.field]
    result_type = field_def.type.of_type
    selection = builder.selection(result_type, depth=4)
    input_type = field_def.args["input"].type
    definitions = ", ".join(
        [f"$input: {input_type}"] + [f"${n}: {k}" for n, (k, _) in builder.variables.items()]
    )
    text = (
        f"mutation M({definitions}) {{ r: {mutation.field}(input: $input) {{ {selection} }} }} "
        + " ".join(builder.fragments)
    )
    who = draw(st.sampled_from(sorted(IDENTITIES)))
    variables = {name: value for name, (_, value) in builder.variables.items()}
    return mutation, text, who, variables  # type: ignore[return-value]


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        yield client


async def _send(
    client: httpx.AsyncClient, text: str, variables: dict[str, Any], identity: Identity, path: str
) -> httpx.Response:
    # One request id for both paths: it is in every error's extensions.
    headers = {**bearer(identity), "x-request-id": "differential-test"}
    if path == "standard":
        headers["x-gateway-executor"] = "standard"
    return await client.post(
        "/graphql", json={"query": text, "variables": variables}, headers=headers
    )


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=payload_documents())
async def test_planned_payloads_answer_the_standard_bytes(
    client: httpx.AsyncClient, subjects: Subjects, drawn: Any
) -> None:
    mutation, text, who, extra = drawn
    identity = IDENTITIES[who](subjects)
    answers: dict[str, list[httpx.Response]] = {"compiled": [], "standard": []}
    for path in ("compiled", "standard"):
        for values in mutation.inputs(subjects):
            answers[path].append(
                await _send(client, text, {"input": values, **extra}, identity, path)
            )
    for compiled, standard in zip(answers["compiled"], answers["standard"], strict=True):
        executor = compiled.headers.get("x-gateway-executor", "none (request error)")
        assert (compiled.status_code, compiled.content) == (
            standard.status_code,
            standard.content,
        ), (text, who, executor)
        EXECUTORS[executor] += 1


def test_the_planner_builds_most_generated_payloads() -> None:
    if not EXECUTORS:
        pytest.skip("the differential test did not run")
    print(EXECUTORS.most_common())
    share = EXECUTORS["compiled"] / sum(EXECUTORS.values())
    assert share >= 0.8, EXECUTORS


async def test_a_rich_payload_is_planned_and_reads_the_mutations_own_rows(
    client: httpx.AsyncClient, subjects: Subjects
) -> None:
    """The plan's services, TV packages and offer come back from the planner, in the same
    request, with the status the mutation just set."""
    text = """mutation ($input: ChangePlanStatusInput!) { changePlanStatus(input: $input) {
      __typename ... on PlanChangeSuccess { plan { status speedState offer { name }
        services { __typename kind status } tvPackages { package { name channels { name } } }
        receivables(status: [OPEN]) { amount boletos { barcode } } } } } }"""
    there, back = MUTATIONS[0].inputs(subjects)
    answers = []
    for path in ("compiled", "standard"):
        for values in (there, back):
            answers.append(await _send(client, text, {"input": values}, DEVELOPMENT_STAFF, path))
    assert [a.headers["x-gateway-executor"] for a in answers] == [
        "compiled",
        "compiled",
        "standard; reason=asked for",
        "standard; reason=asked for",
    ]
    assert answers[0].content == answers[2].content and answers[1].content == answers[3].content
    plan = answers[0].json()["data"]["changePlanStatus"]["plan"]
    assert (plan["status"], plan["speedState"]) == ("INACTIVE", "REDUCED")
    assert plan["services"] and plan["tvPackages"]
    assert answers[1].json()["data"]["changePlanStatus"]["plan"]["status"] == "ACTIVE"


# ------------------------------------------------------------------ the compiled mutation road
# Every payload planned: the resolvers run without graphql-core (ADR 0250). The tests below send
# the same requests down both roads and compare bytes, and look at what was committed.

TOGGLE = """mutation Toggle($id: ID!) {
  before: __typename
  suspend: changePlanStatus(input: {planId: $id, status: INACTIVE, inactiveReason: SUSPENDED}) {
    __typename
    ... on PlanChangeSuccess { plan { id status speedState services { __typename kind status } } }
    ... on InvalidTransition { message fromState toState }
  }
  middle: __typename
  restore: changePlanStatus(input: {planId: $id, status: ACTIVE}) {
    __typename
    ... on PlanChangeSuccess { plan { id status speedState } }
    ... on InvalidTransition { message fromState toState }
  }
}"""
# Restoring first fails (the plan is active), then the suspension and a second restoration
# succeed: a refused field changes nothing, the others commit.
RESTORE_FIRST = TOGGLE.replace(
    "  before: __typename\n",
    """  refused: changePlanStatus(input: {planId: $id, status: ACTIVE}) {
    __typename ... on InvalidTransition { message fromState toState }
  }
""",
)


async def _state(engine: AsyncEngine, plan: int) -> tuple[Any, ...]:
    async with engine.connect() as c:
        row = (
            await c.execute(
                select(m.Plan.status, m.Plan.speed_state, m.Plan.version).where(m.Plan.id == plan)
            )
        ).one()
        audits = await c.scalar(
            select(func.count())
            .select_from(m.AuditLog)
            .where(m.AuditLog.target_type == "Plan", m.AuditLog.target_id == plan)
        )
    return (*row, audits)


async def test_several_roots_and_typename_keep_their_order_and_idempotency_key(
    client: httpx.AsyncClient, subjects: Subjects, engine: AsyncEngine
) -> None:
    variables = {"id": to_global_id("Plan", subjects.plan)}
    answers = []
    for path in ("compiled", "standard"):
        headers = {**bearer(DEVELOPMENT_STAFF), "x-request-id": "t", "idempotency-key": path}
        if path == "standard":
            headers["x-gateway-executor"] = "standard"
        body = {"query": TOGGLE, "variables": variables}
        first = await client.post("/graphql", json=body, headers=headers)
        replay = await client.post("/graphql", json=body, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true", path
        assert replay.content == first.content
        answers.append(first)
    compiled, standard = answers
    assert compiled.headers["x-gateway-executor"] == "compiled"
    assert compiled.content == standard.content
    data = compiled.json()["data"]
    assert list(data) == ["before", "suspend", "middle", "restore"]
    assert data["before"] == data["middle"] == "Mutation"
    assert data["suspend"]["plan"]["status"] == "INACTIVE"


async def test_a_refused_field_changes_nothing_and_the_others_commit(
    client: httpx.AsyncClient, subjects: Subjects, engine: AsyncEngine
) -> None:
    variables = {"id": to_global_id("Plan", subjects.plan)}
    answers = []
    for path in ("compiled", "standard"):
        before = await _state(engine, subjects.plan)
        # Restore (refused: active), suspend; then the standard toggle puts it back.
        answer = await _send(client, RESTORE_FIRST, variables, DEVELOPMENT_STAFF, path)
        status, speed, version, audits = await _state(engine, subjects.plan)
        assert (status, speed) == (before[0], before[1])  # suspended and restored again
        assert version == before[2] + 2 and audits == before[3] + 2  # two changes, not three
        answers.append(answer)
    compiled, standard = answers
    assert compiled.headers["x-gateway-executor"] == "compiled"
    assert compiled.content == standard.content
    data = compiled.json()["data"]
    assert data["refused"]["__typename"] == "InvalidTransition"
    assert data["restore"]["__typename"] == "PlanChangeSuccess"


async def test_a_resolver_that_raises_is_answered_by_the_standard_path_and_commits_nothing(
    client: httpx.AsyncClient,
    subjects: Subjects,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain.actions import plans

    real = plans.change_plan_status
    calls: list[str] = []

    async def broken(session: Any, **arguments: Any) -> Any:
        """The real action, then a defect: its change must not be committed."""
        await real(session, **arguments)
        calls.append(str(arguments["status"]))
        raise RuntimeError("a defect")

    monkeypatch.setattr(plans, "change_plan_status", broken)
    before = await _state(engine, subjects.plan)
    variables = {"id": to_global_id("Plan", subjects.plan)}
    answers = [
        await _send(client, TOGGLE, variables, DEVELOPMENT_STAFF, path)
        for path in ("compiled", "standard")
    ]
    assert await _state(engine, subjects.plan) == before
    assert len(calls) == 3  # the compiled road's first field, then the standard path's
    compiled, standard = answers
    assert compiled.headers["x-gateway-executor"] == (
        "standard; reason=changePlanStatus raised RuntimeError"
    )

    def without_ids(answer: httpx.Response) -> Any:
        body = answer.json()
        for error in body["errors"]:
            error["extensions"].pop("errorId")
        return body

    assert without_ids(compiled) == without_ids(standard)
    assert compiled.json()["data"] is None
    assert [e["path"] for e in compiled.json()["errors"]] == [["suspend"]]


async def test_a_later_field_refused_after_writing_leaves_the_earlier_change_committed(
    client: httpx.AsyncClient,
    subjects: Subjects,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second field's action writes, then is refused: its savepoint undoes its writes
    (statements on the driver included), the first field's change is committed."""
    from domain.actions import plans
    from domain.errors import RuleViolation

    real = plans.change_plan_status

    async def refused_after_writing(session: Any, **arguments: Any) -> Any:
        plan = await real(session, **arguments)
        if arguments["status"] is PlanStatus.ACTIVE:
            raise RuleViolation("TEST_RULE", "refused after writing")
        return plan

    variables = {"id": to_global_id("Plan", subjects.plan)}
    answers = []
    for path in ("compiled", "standard"):
        before = await _state(engine, subjects.plan)
        monkeypatch.setattr(plans, "change_plan_status", refused_after_writing)
        answers.append(await _send(client, TOGGLE, variables, DEVELOPMENT_STAFF, path))
        monkeypatch.setattr(plans, "change_plan_status", real)
        status, speed, version, audits = await _state(engine, subjects.plan)
        assert (status, speed) == (PlanStatus.INACTIVE, SpeedState.REDUCED)
        assert (version, audits) == (before[2] + 1, before[3] + 1)  # the suspension only
        restore = TOGGLE.split("  restore:")[1].rsplit("}", 1)[0]
        back = await _send(
            client, "mutation R($id: ID!) { restore:" + restore + "}", variables,
            DEVELOPMENT_STAFF, "standard",
        )  # fmt: skip
        assert back.json()["data"]["restore"]["__typename"] == "PlanChangeSuccess"
    compiled, standard = answers
    assert compiled.headers["x-gateway-executor"] == "compiled"
    assert compiled.content == standard.content
    assert compiled.json()["data"]["restore"]["__typename"] == "RuleViolation"
