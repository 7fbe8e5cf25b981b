"""A voice subscriber in its own panel, over HTTP with its token: what its reseller grants it
(ADR 0095), and that it sees nothing but its own rows (ADR 0094).

The tests write through the app (committed), so the fixture puts back what they change: the
subscribers' permissions, lines and password hashes, and the audit rows they add.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import credentials
from domain import models as m
from domain.db import writer_bind
from domain.identity import Identity, Role
from gateway.schema.base import to_global_id
from tests.gateway.helpers import bearer, http_client, test_settings


@dataclass(frozen=True)
class Panel:
    reseller: int
    me: int  # a voice subscriber of `reseller` with a line
    my_line: int
    neighbour: int  # another subscriber of the same reseller, with a line
    neighbour_line: int
    foreign_reseller: int
    foreign_line: int  # a line of another reseller's subscriber
    customer: int  # a customer of the ISP


@pytest.fixture
async def panel(engine: AsyncEngine) -> Panel:
    async with engine.connect() as c:
        rows = (
            await c.execute(
                select(m.VoiceSubscriber.reseller_id, m.VoiceSubscriber.id, m.VoiceLine.id)
                .join(m.VoiceLine, m.VoiceLine.subscriber_id == m.VoiceSubscriber.id)
                .order_by(m.VoiceSubscriber.reseller_id, m.VoiceSubscriber.id, m.VoiceLine.id)
            )
        ).all()
        customer = await c.scalar(select(m.Customer.id).order_by(m.Customer.id).limit(1))
    reseller = rows[0][0]
    own = [r for r in rows if r[0] == reseller]
    neighbour = next(r for r in own if r[1] != own[0][1])
    foreign = next(r for r in rows if r[0] != reseller)
    assert customer is not None
    return Panel(
        reseller, own[0][1], own[0][2], neighbour[1], neighbour[2], foreign[0], foreign[2], customer
    )


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    p = m.VoiceSubscriberPermission
    async with engine.connect() as c:
        highest_audit = int(await c.scalar(select(func.max(m.AuditLog.id))) or 0)
        permissions = [dict(r._mapping) for r in await c.execute(select(p.__table__))]
        lines = list(await c.execute(select(m.VoiceLine.id, m.VoiceLine.simultaneous_ip_lines)))
        hashes = list(
            await c.execute(select(m.VoiceSubscriber.id, m.VoiceSubscriber.panel_password_hash))
        )
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        yield client
    async with writer_bind(engine).begin() as c:
        await c.execute(delete(m.AuditLog).where(m.AuditLog.id > highest_audit))
        await c.execute(delete(p))
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


def reseller(reseller_id: int) -> Identity:
    return Identity(subject=f"reseller-{reseller_id}", role=Role.RESELLER, reseller_id=reseller_id)


def voice(subscriber_id: int) -> Identity:
    return Identity(
        subject=f"voice-{subscriber_id}",
        role=Role.VOICE_SUBSCRIBER,
        voice_subscriber_id=subscriber_id,
    )


def gid(kind: str, pk: int) -> str:
    return to_global_id(kind, pk)


PERMISSIONS = """mutation ($input: SetVoicePermissionsInput!) { setVoicePermissions(input: $input) {
  __typename ... on SetVoicePermissionsSuccess { permissions }
  ... on NotAllowed { permission } } }"""
IP_LINES = """mutation ($input: SetSimultaneousIpLinesInput!) {
  setSimultaneousIpLines(input: $input) { __typename
    ... on SetSimultaneousIpLinesSuccess { line { databaseId simultaneousIpLines } }
    ... on NotAllowed { permission message } ... on NotFound { entity }
    ... on ValidationError { fields { path } } } }"""
CREDENTIALS = """mutation ($input: SetVoicePanelCredentialsInput!) {
  setVoicePanelCredentials(input: $input) { __typename } }"""
PASSWORD = """mutation ($input: ChangeVoicePanelPasswordInput!) {
  changeVoicePanelPassword(input: $input) { __typename
    ... on ChangeVoicePanelPasswordSuccess { subscriber { databaseId } }
    ... on NotAllowed { permission } ... on ValidationError { fields { path } } } }"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"
ME = """{ me { __typename ... on VoiceSubscriber { databaseId panelUsername
  lines { databaseId simultaneousIpLines } franchises { category minutes } permissions
  salePlan { databaseId } } } }"""


async def _line(engine: AsyncEngine, line_id: int) -> int:
    async with engine.connect() as c:
        value = await c.scalar(
            select(m.VoiceLine.simultaneous_ip_lines).where(m.VoiceLine.id == line_id)
        )
    assert value is not None
    return value


async def _audits(engine: AsyncEngine, action: str, target: int) -> list[m.AuditLog]:
    async with engine.connect() as c:
        rows = await c.execute(
            select(m.AuditLog.actor, m.AuditLog.before, m.AuditLog.after)
            .where(m.AuditLog.action == action, m.AuditLog.target_id == target)
            .order_by(m.AuditLog.id)
        )
    return list(rows)  # type: ignore[arg-type]


async def _grant(client: httpx.AsyncClient, panel: Panel, *permissions: str) -> None:
    data = await gql(
        client,
        reseller(panel.reseller),
        PERMISSIONS,
        input={"subscriberId": gid("VoiceSubscriber", panel.me), "permissions": list(permissions)},
    )
    assert data["setVoicePermissions"] == {
        "__typename": "SetVoicePermissionsSuccess",
        "permissions": sorted(permissions),
    }


async def test_the_reseller_grants_and_revokes_changing_simultaneous_ip_lines(
    client: httpx.AsyncClient, engine: AsyncEngine, panel: Panel
) -> None:
    me = voice(panel.me)
    line = gid("VoiceLine", panel.my_line)
    start = await _line(engine, panel.my_line)
    wanted = 7 if start != 7 else 8

    await _grant(client, panel, "VIEW_CALL_RECORDS")
    refused = (await gql(client, me, IP_LINES, input={"lineId": line, "lines": wanted}))[
        "setSimultaneousIpLines"
    ]
    assert refused["__typename"] == "NotAllowed"
    assert refused["permission"] == "CHANGE_SIMULTANEOUS_IP_LINES"
    assert "CHANGE_SIMULTANEOUS_IP_LINES" in refused["message"]
    assert await _line(engine, panel.my_line) == start
    assert await _audits(engine, "setSimultaneousIpLines", panel.my_line) == []

    await _grant(client, panel, "CHANGE_SIMULTANEOUS_IP_LINES")
    done = await gql(client, me, IP_LINES, input={"lineId": line, "lines": wanted})
    assert done["setSimultaneousIpLines"] == {
        "__typename": "SetSimultaneousIpLinesSuccess",
        "line": {"databaseId": panel.my_line, "simultaneousIpLines": wanted},
    }
    assert await _line(engine, panel.my_line) == wanted
    [audit] = await _audits(engine, "setSimultaneousIpLines", panel.my_line)
    assert audit.actor == me.subject
    assert (audit.before, audit.after) == (
        {"simultaneous_ip_lines": start},
        {"simultaneous_ip_lines": wanted},
    )
    # Granted, but still only within 1..100 and only on its own lines.
    for bad in (0, 101):
        invalid = await gql(client, me, IP_LINES, input={"lineId": line, "lines": bad})
        assert invalid["setSimultaneousIpLines"] == {
            "__typename": "ValidationError",
            "fields": [{"path": ["lines"]}],
        }
    others = {
        line_id: await _line(engine, line_id)
        for line_id in (panel.neighbour_line, panel.foreign_line)
    }
    for other in others:
        missing = await gql(
            client, me, IP_LINES, input={"lineId": gid("VoiceLine", other), "lines": 3}
        )
        assert missing["setSimultaneousIpLines"] == {
            "__typename": "NotFound",
            "entity": "VoiceLine",
        }
        assert await _line(engine, other) == others[other]
    assert await _line(engine, panel.my_line) == wanted

    # The reseller changes its subscriber's line whatever it granted; then revokes the grant.
    by_reseller = await gql(
        client, reseller(panel.reseller), IP_LINES, input={"lineId": line, "lines": 3}
    )
    assert by_reseller["setSimultaneousIpLines"]["line"]["simultaneousIpLines"] == 3
    await _grant(client, panel)
    again = await gql(client, me, IP_LINES, input={"lineId": line, "lines": 5})
    assert again["setSimultaneousIpLines"]["permission"] == "CHANGE_SIMULTANEOUS_IP_LINES"
    assert await _line(engine, panel.my_line) == 3
    assert len(await _audits(engine, "setSimultaneousIpLines", panel.my_line)) == 2

    # Another reseller does not find the line; the ISP's subscriber may not act on voice lines.
    foreign = await gql(
        client, reseller(panel.foreign_reseller), IP_LINES, input={"lineId": line, "lines": 4}
    )
    assert foreign["setSimultaneousIpLines"] == {"__typename": "NotFound", "entity": "VoiceLine"}
    portal = Identity(subject="portal", role=Role.SUBSCRIBER, customer_id=panel.customer)
    isp = await gql(client, portal, IP_LINES, input={"lineId": line, "lines": 4})
    assert isp["setSimultaneousIpLines"]["__typename"] == "NotAllowed"
    assert await _line(engine, panel.my_line) == 3


async def test_a_voice_subscriber_changes_its_panel_password_only_when_granted(
    client: httpx.AsyncClient, engine: AsyncEngine, panel: Panel
) -> None:
    me = voice(panel.me)
    old, new = "Gato-Azul-Pula-1987", "Sapo-Verde-Canta-2024"
    set_by_reseller = await gql(
        client,
        reseller(panel.reseller),
        CREDENTIALS,
        input={
            "subscriberId": gid("VoiceSubscriber", panel.me),
            "username": f"painel.{panel.me}",
            "password": old,
        },
    )
    assert set_by_reseller["setVoicePanelCredentials"]["__typename"] == "VoiceSubscriberSuccess"
    async with engine.connect() as c:
        stored = await c.scalar(
            select(m.VoiceSubscriber.panel_password_hash).where(m.VoiceSubscriber.id == panel.me)
        )

    await _grant(client, panel)
    change = {"currentPassword": old, "newPassword": new}
    refused = await gql(client, me, PASSWORD, input=change)
    assert refused["changeVoicePanelPassword"] == {
        "__typename": "NotAllowed",
        "permission": "CHANGE_PANEL_PASSWORD",
    }

    await _grant(client, panel, "CHANGE_PANEL_PASSWORD")
    wrong = await gql(client, me, PASSWORD, input={**change, "currentPassword": "not-it"})
    assert wrong["changeVoicePanelPassword"]["fields"] == [{"path": ["currentPassword"]}]
    weak = await gql(client, me, PASSWORD, input={**change, "newPassword": "123"})
    assert weak["changeVoicePanelPassword"]["fields"] == [{"path": ["newPassword"]}]
    async with engine.connect() as c:
        unchanged = await c.scalar(
            select(m.VoiceSubscriber.panel_password_hash).where(m.VoiceSubscriber.id == panel.me)
        )
    assert unchanged == stored

    done = await gql(client, me, PASSWORD, input=change)
    assert done["changeVoicePanelPassword"] == {
        "__typename": "ChangeVoicePanelPasswordSuccess",
        "subscriber": {"databaseId": panel.me},
    }
    async with engine.connect() as c:
        changed = await c.scalar(
            select(m.VoiceSubscriber.panel_password_hash).where(m.VoiceSubscriber.id == panel.me)
        )
    assert changed is not None and credentials.verify_password(changed, new)
    assert not credentials.verify_password(changed, old)
    [audit] = await _audits(engine, "changeVoicePanelPassword", panel.me)
    assert audit.actor == me.subject and new not in str(audit.after)


async def test_a_voice_subscriber_sees_only_its_own_rows(
    client: httpx.AsyncClient, engine: AsyncEngine, panel: Panel
) -> None:
    me = voice(panel.me)
    own = (await gql(client, me, ME))["me"]
    async with engine.connect() as c:
        lines = set(
            await c.scalars(select(m.VoiceLine.id).where(m.VoiceLine.subscriber_id == panel.me))
        )
        franchises = await c.scalar(
            select(func.count())
            .select_from(m.VoiceFranchise)
            .where(m.VoiceFranchise.subscriber_id == panel.me)
        )
        permissions = set(
            await c.scalars(
                select(m.VoiceSubscriberPermission.permission).where(
                    m.VoiceSubscriberPermission.subscriber_id == panel.me
                )
            )
        )
        sale_plan = await c.scalar(
            select(m.VoiceSubscriber.sale_plan_id).where(m.VoiceSubscriber.id == panel.me)
        )
        neighbour_plan = await c.scalar(
            select(m.VoiceSalePlan.id)
            .where(m.VoiceSalePlan.reseller_id == panel.reseller, m.VoiceSalePlan.id != sale_plan)
            .limit(1)
        )
    assert own["__typename"] == "VoiceSubscriber" and own["databaseId"] == panel.me
    assert {line["databaseId"] for line in own["lines"]} == lines
    assert len(own["franchises"]) == franchises
    assert set(own["permissions"]) == {p.name for p in permissions}
    assert own["salePlan"] == {"databaseId": sale_plan}

    assert (await gql(client, me, NODE, id=gid("VoiceSubscriber", panel.me)))["node"]
    assert (await gql(client, me, NODE, id=gid("VoiceLine", panel.my_line)))["node"]
    for kind, pk in (
        ("VoiceSubscriber", panel.neighbour),
        ("VoiceLine", panel.neighbour_line),
        ("VoiceLine", panel.foreign_line),
        ("VoiceReseller", panel.reseller),
        ("VoiceSalePlan", neighbour_plan),
        ("Customer", panel.customer),
    ):
        assert (await gql(client, me, NODE, id=gid(kind, pk)))["node"] is None, kind
    # Nested, through the neighbour's node: nothing either.
    nested = await gql(
        client,
        me,
        "query ($id: ID!) { node(id: $id) { ... on VoiceSubscriber { lines { databaseId } } } }",
        id=gid("VoiceSubscriber", panel.neighbour),
    )
    assert nested["node"] is None
    isp = await gql(client, me, "{ customers(first: 5) { totalCount } tickets { databaseId } }")
    assert isp == {"customers": {"totalCount": 0}, "tickets": []}

    # It may not manage its own panel registration: its reseller does that.
    escalate = await gql(
        client,
        me,
        PERMISSIONS,
        input={
            "subscriberId": gid("VoiceSubscriber", panel.me),
            "permissions": ["CHANGE_SIMULTANEOUS_IP_LINES", "CHANGE_PANEL_PASSWORD"],
        },
    )
    assert escalate["setVoicePermissions"]["__typename"] == "NotAllowed"
    async with engine.connect() as c:
        after = set(
            await c.scalars(
                select(m.VoiceSubscriberPermission.permission).where(
                    m.VoiceSubscriberPermission.subscriber_id == panel.me
                )
            )
        )
    assert after == permissions


async def test_a_voice_subscriber_token_needs_its_subscriber(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ planOffers { name } }"},
        headers=bearer(Identity(subject="v", role=Role.VOICE_SUBSCRIBER)),
    )
    assert response.status_code == 401
    assert "voice_subscriber_id" in response.json()["errors"][0]["message"]


LINE_CALLS = """query ($id: ID!, $period: PeriodInput!) {
  voiceLineCallStatement(lineId: $id, period: $period) { __typename
    ... on CallStatement { calls { destination durationSeconds }
                           totals { termination count durationSeconds } totalDurationSeconds }
    ... on NotAllowed { permission } ... on NotFound { entity } } }"""


async def test_a_voice_subscriber_reads_its_line_calls_only_when_granted(
    client: httpx.AsyncClient, engine: AsyncEngine, panel: Panel
) -> None:
    async with engine.connect() as c:
        last = await c.scalar(
            select(func.max(m.CallRecord.started_at)).where(
                m.CallRecord.voice_line_id == panel.my_line
            )
        )
    assert last is not None  # the seeded line has calls
    last = last.replace(tzinfo=dt.UTC) if last.tzinfo is None else last
    start, end = last - dt.timedelta(days=300), last + dt.timedelta(minutes=1)
    async with engine.connect() as c:
        expected = (
            await c.execute(
                select(func.count(), func.coalesce(func.sum(m.CallRecord.duration_seconds), 0))
                .where(m.CallRecord.voice_line_id == panel.my_line)
                .where(m.CallRecord.started_at >= start, m.CallRecord.started_at < end)
            )
        ).one()
    assert expected[0] > 0  # the seeded line has calls in the period
    period = {"start": start.isoformat(), "end": end.isoformat()}
    me, line = voice(panel.me), gid("VoiceLine", panel.my_line)

    await _grant(client, panel, "CHANGE_PANEL_PASSWORD")
    refused = (await gql(client, me, LINE_CALLS, period=period, id=line))["voiceLineCallStatement"]
    assert refused == {"__typename": "NotAllowed", "permission": "VIEW_CALL_RECORDS"}

    await _grant(client, panel, "VIEW_CALL_RECORDS")
    mine = (await gql(client, me, LINE_CALLS, period=period, id=line))["voiceLineCallStatement"]
    assert mine["__typename"] == "CallStatement"
    assert (len(mine["calls"]), mine["totalDurationSeconds"]) == tuple(expected)
    assert sum(t["count"] for t in mine["totals"]) == expected[0]
    # Its reseller reads the same statement; nobody else's line exists for the subscriber.
    theirs = await gql(client, reseller(panel.reseller), LINE_CALLS, period=period, id=line)
    assert theirs["voiceLineCallStatement"] == mine
    for other in (panel.neighbour_line, panel.foreign_line):
        hidden = await gql(client, me, LINE_CALLS, period=period, id=gid("VoiceLine", other))
        assert hidden["voiceLineCallStatement"] == {"__typename": "NotFound", "entity": "VoiceLine"}
    foreign = await gql(
        client,
        reseller(panel.reseller),
        LINE_CALLS,
        period=period,
        id=gid("VoiceLine", panel.foreign_line),
    )
    assert foreign["voiceLineCallStatement"]["__typename"] == "NotFound"
