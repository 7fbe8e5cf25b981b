"""The authentication assistant over HTTP: the diagnosis of a plan's logins, and disconnecting
a session at a NAS simulator over UDP on the loopback (ACK, NAK and timeout)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.models.enums import InactiveReason, PlanStatus, ServiceStatus
from simulators.nas import NasSimulator
from tests.gateway.registration_support import (
    CLERK,
    PLAN_CLERK,
    gid,
    gql,
    post,
    written_client,
)

SECRET = "test-nas-secret"
NAS_ADDRESS = "127.0.0.2"  # the NAS-IP-Address the session carries; requests go to 127.0.0.1


@dataclass
class Online:
    plan_id: int
    login_id: int
    login: str
    session_id: str


@pytest.fixture
def nas() -> Iterator[NasSimulator]:
    simulator = NasSimulator(secret=SECRET).start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
async def online(engine: AsyncEngine, nas: NasSimulator) -> AsyncIterator[Online]:
    """A seeded active plan's login with an open session on the simulated NAS, and six
    rejects in the last hour."""
    now = dt.datetime.now(dt.UTC)
    # Read, then write in a transaction of its own: on SQLite a transaction that read before
    # another connection wrote cannot write (SQLITE_BUSY_SNAPSHOT).
    async with engine.connect() as c:
        plan_id, login_id, login = (
            await c.execute(
                select(m.Plan.id, m.RadiusLogin.id, m.RadiusLogin.login)
                .join(m.RadiusLogin, m.RadiusLogin.plan_id == m.Plan.id)
                .where(
                    m.Plan.status == PlanStatus.ACTIVE, m.RadiusLogin.status == ServiceStatus.ACTIVE
                )
                .order_by(m.Plan.id)
                .limit(1)
            )
        ).one()
    async with writer_bind(engine).begin() as c:
        nas_id = (
            await c.execute(
                insert(m.Nas)
                .values(
                    nasname=NAS_ADDRESS,
                    shortname="sim",
                    type="other",
                    secret=SECRET,
                    coa_host="127.0.0.1",
                    coa_port=nas.port,
                )
                .returning(m.Nas.id)
            )
        ).scalar_one()
        session_id = uuid.uuid4().hex[:16].upper()
        await c.execute(
            insert(m.ConnectionSession).values(
                acctsessionid=session_id,
                acctuniqueid=uuid.uuid4().hex,
                username=login,
                nasipaddress=NAS_ADDRESS,
                nasportid="pon1",
                acctstarttime=now - dt.timedelta(hours=2),
                acctupdatetime=now - dt.timedelta(minutes=5),
                callingstationid="AA:BB:CC:DD:EE:FF",
                framedipaddress="100.64.9.9",
            )
        )
        await c.execute(
            insert(m.RadPostAuth),
            [
                {
                    "username": login,
                    "reply": "Access-Reject",
                    "calledstationid": NAS_ADDRESS,
                    "callingstationid": "AA:BB:CC:DD:EE:FF",
                    "authdate": now - dt.timedelta(minutes=minutes),
                }
                for minutes in range(1, 7)
            ],
        )
    nas.online[session_id] = login
    try:
        yield Online(plan_id, login_id, login, session_id)
    finally:
        async with writer_bind(engine).begin() as c:
            await c.execute(
                delete(m.ConnectionSession).where(m.ConnectionSession.acctsessionid == session_id)
            )
            await c.execute(
                delete(m.RadPostAuth).where(
                    m.RadPostAuth.username == login,
                    m.RadPostAuth.authdate > now - dt.timedelta(hours=1),
                )
            )
            await c.execute(delete(m.Nas).where(m.Nas.id == nas_id))


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for c in written_client(engine, database_url, radius_timeout=0.2, radius_retries=2):
        yield c


DIAGNOSIS = """query ($plan: ID!) { authenticationDiagnosis(planId: $plan) { __typename
  ... on AuthenticationDiagnosis { plan { status }
    logins { login { login } enabled passwordSet rejectsLastHour
      openSession { sessionId nasIpAddress ipAddress callingStationId startedAt }
      lastSessions { terminateCause stoppedAt } lastAttempts { accepted reply at } }
    findings { code message action login } }
  ... on NotAllowed { permission } ... on NotFound { entity } } }"""

DISCONNECT = """mutation ($login: ID!) { disconnectSession(input: {loginId: $login}) {
  __typename
  ... on SessionDisconnection { outcome nas session { sessionId } login { login }
      errorCause errorCauseName attempts message }
  ... on RuleViolation { rule } ... on NotAllowed { permission } ... on NotFound { entity } } }"""


async def test_the_diagnosis_says_what_is_wrong_and_what_fixes_it(
    client: httpx.AsyncClient, online: Online
) -> None:
    data = (await gql(client, PLAN_CLERK, DIAGNOSIS, plan=gid("Plan", online.plan_id)))[
        "authenticationDiagnosis"
    ]
    assert data["__typename"] == "AuthenticationDiagnosis"
    [entry] = [e for e in data["logins"] if e["login"]["login"] == online.login]
    assert entry["enabled"] and entry["passwordSet"]
    assert entry["rejectsLastHour"] == 6
    assert entry["openSession"]["sessionId"] == online.session_id
    assert entry["openSession"]["callingStationId"] == "AA:BB:CC:DD:EE:FF"
    assert (entry["openSession"]["nasIpAddress"], entry["openSession"]["ipAddress"]) == (
        NAS_ADDRESS,
        "100.64.9.9",
    )
    assert [a["accepted"] for a in entry["lastAttempts"][:6]] == [False] * 6
    codes = {f["code"]: f for f in data["findings"] if f["login"] == online.login}
    assert codes["MANY_REJECTS"]["message"].startswith("6 rejects in the last hour")
    assert "changeServicePassword" in codes["MANY_REJECTS"]["action"]
    assert "disconnectSession" in codes["ONLINE"]["action"]


async def test_a_plan_suspended_for_debt_is_found_with_its_fix(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        plan_id = await c.scalar(
            select(m.Plan.id)
            .where(
                m.Plan.status == PlanStatus.INACTIVE,
                m.Plan.inactive_reason == InactiveReason.SUSPENDED,
                m.Plan.enabled_until.is_(None),
            )
            .limit(1)
        )
    assert plan_id is not None, "the seed has a plan suspended for debt"
    data = (await gql(client, PLAN_CLERK, DIAGNOSIS, plan=gid("Plan", plan_id)))[
        "authenticationDiagnosis"
    ]
    [debt] = [f for f in data["findings"] if f["code"] == "SUSPENDED_FOR_DEBT"]
    assert debt["login"] is None and "enableTemporarily" in debt["action"]
    # Staff without PLAN_ADMIN are refused; an unknown plan is not found.
    refused = await gql(client, CLERK, DIAGNOSIS, plan=gid("Plan", plan_id))
    assert refused["authenticationDiagnosis"] == {
        "__typename": "NotAllowed",
        "permission": "PLAN_ADMIN",
    }
    missing = await gql(client, PLAN_CLERK, DIAGNOSIS, plan=gid("Plan", 10**9))
    assert missing["authenticationDiagnosis"] == {"__typename": "NotFound", "entity": "Plan"}


async def _disconnects(engine: AsyncEngine, plan_id: int) -> list[dict]:
    async with engine.connect() as c:
        rows = await c.scalars(
            select(m.AuditLog.after).where(
                m.AuditLog.action == "disconnectSession", m.AuditLog.target_id == plan_id
            )
        )
        return list(rows)


async def test_disconnect_is_acknowledged_and_the_nas_ends_the_session(
    client: httpx.AsyncClient, engine: AsyncEngine, online: Online, nas: NasSimulator
) -> None:
    result = (await gql(client, PLAN_CLERK, DISCONNECT, login=gid("RadiusLogin", online.login_id)))[
        "disconnectSession"
    ]
    assert result["__typename"] == "SessionDisconnection" and result["outcome"] == "ACKNOWLEDGED"
    assert (result["nas"], result["attempts"], result["errorCause"]) == (NAS_ADDRESS, 1, None)
    assert result["session"] == {"sessionId": online.session_id}
    assert result["login"] == {"login": online.login}
    # The simulator got one signed Disconnect-Request naming the session, and ended it.
    assert online.session_id not in nas.online
    assert nas.discarded == 0
    [request] = nas.received
    assert request["User-Name"] == online.login
    assert request["Acct-Session-Id"] == online.session_id
    assert request["NAS-IP-Address"] == NAS_ADDRESS
    assert request["Calling-Station-Id"] == "AA:BB:CC:DD:EE:FF"
    [audited] = await _disconnects(engine, online.plan_id)
    assert audited["outcome"] == "ACKNOWLEDGED" and audited["acct_session_id"] == online.session_id


async def test_a_nak_is_a_typed_result_and_the_session_stays(
    client: httpx.AsyncClient, engine: AsyncEngine, online: Online, nas: NasSimulator
) -> None:
    nas.mode = "nak"
    result = (await gql(client, PLAN_CLERK, DISCONNECT, login=gid("RadiusLogin", online.login_id)))[
        "disconnectSession"
    ]
    assert result["outcome"] == "REFUSED"
    assert (result["errorCause"], result["errorCauseName"]) == (
        504,
        "Session-Context-Not-Removable",
    )
    assert nas.online == {online.session_id: online.login} and len(nas.received) == 1
    [audited] = await _disconnects(engine, online.plan_id)
    assert audited["outcome"] == "REFUSED" and audited["error_cause"] == 504


async def test_no_answer_is_a_timeout_after_the_retries(
    client: httpx.AsyncClient, online: Online, nas: NasSimulator
) -> None:
    nas.mode = "drop"
    result = (await gql(client, PLAN_CLERK, DISCONNECT, login=gid("RadiusLogin", online.login_id)))[
        "disconnectSession"
    ]
    assert result["outcome"] == "TIMED_OUT" and result["attempts"] == 2
    assert len(nas.received) == 2  # sent twice, answered never
    assert online.session_id in nas.online


async def test_refusals_send_nothing_and_write_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine, online: Online, nas: NasSimulator
) -> None:
    login = gid("RadiusLogin", online.login_id)
    refused = (await gql(client, CLERK, DISCONNECT, login=login))["disconnectSession"]
    assert refused == {"__typename": "NotAllowed", "permission": "PLAN_ADMIN"}
    missing = await gql(client, PLAN_CLERK, DISCONNECT, login=gid("RadiusLogin", 10**9))
    assert missing["disconnectSession"] == {"__typename": "NotFound", "entity": "RadiusLogin"}
    async with engine.connect() as c:
        offline_id = await c.scalar(
            select(m.RadiusLogin.id)
            .where(
                m.RadiusLogin.login.not_in(
                    select(m.ConnectionSession.username).where(
                        m.ConnectionSession.acctstoptime.is_(None)
                    )
                )
            )
            .limit(1)
        )
    offline = await gql(client, PLAN_CLERK, DISCONNECT, login=gid("RadiusLogin", offline_id))
    assert offline["disconnectSession"] == {
        "__typename": "RuleViolation",
        "rule": "NO_OPEN_SESSION",
    }
    assert nas.received == [] and await _disconnects(engine, online.plan_id) == []


async def test_a_retried_disconnect_is_sent_once(
    client: httpx.AsyncClient, engine: AsyncEngine, online: Online, nas: NasSimulator
) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    variables = {"login": gid("RadiusLogin", online.login_id)}
    first = await post(client, PLAN_CLERK, DISCONNECT, headers=headers, **variables)
    second = await post(client, PLAN_CLERK, DISCONNECT, headers=headers, **variables)
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(nas.received) == 1
    assert len(await _disconnects(engine, online.plan_id)) == 1
