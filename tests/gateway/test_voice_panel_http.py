"""The voice panel over HTTP, as the reseller, its voice subscriber and staff would drive it
(manual 004): the six call terminations and their franchises (ADR 0110), the address found by
CEP (ADR 0114), the panel username check (ADR 0115) and extensions (ADR 0116).

Requests commit; `Committed` deletes what each test added.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from domain.models.enums import CallTermination
from domain.rules.documents import generate_cpf
from tests.gateway.committed import Committed
from tests.gateway.helpers import bearer, http_client, test_settings

CREATE = """mutation ($input: CreateVoiceSubscriberInput!) { createVoiceSubscriber(input: $input) {
  __typename ... on VoiceSubscriberSuccess { subscriber { id databaseId panelUsername
    cep street district city state number } }
  ... on ValidationError { fields { path message } } ... on Conflict { message } } }"""
UPDATE = """mutation ($input: UpdateVoiceSubscriberInput!) { updateVoiceSubscriber(input: $input) {
  __typename ... on VoiceSubscriberSuccess { subscriber { cep street district city state } }
  ... on ValidationError { fields { path message } } } }"""
LINE = """mutation ($input: AddVoiceLineInput!) { addVoiceLine(input: $input) { __typename
  ... on AddVoiceLineSuccess { line { id databaseId } }
  ... on ValidationError { fields { path message } } } }"""
FRANCHISES = """mutation ($input: SetVoiceFranchisesInput!) { setVoiceFranchises(input: $input) {
  __typename ... on SetVoiceFranchisesSuccess { franchises { category minutes consumesLocal } }
  ... on ValidationError { fields { path message } } } }"""
BALANCE = """query ($id: ID!, $start: DateTime!, $end: DateTime!) { node(id: $id) {
  ... on VoiceSubscriber { franchises { category }
    franchiseBalance(period: {start: $start, end: $end}) { __typename
      ... on FranchiseBalances { balances { category grantedMinutes usedMinutes
        fromLocalMinutes takenByLdnMinutes remainingMinutes exceedingMinutes } } } } } }"""
STATEMENT = """query ($id: ID!, $start: DateTime!, $end: DateTime!) {
  voiceLineCallStatement(lineId: $id, period: {start: $start, end: $end}) { __typename
    ... on CallStatement { totals { termination count } } } }"""
PERMISSIONS = """mutation ($input: SetVoicePermissionsInput!) { setVoicePermissions(input: $input) {
  __typename } }"""
USERNAME = """query ($username: String!, $subscriberId: ID) {
  voicePanelUsername(username: $username, subscriberId: $subscriberId) { __typename
    ... on VoicePanelUsernameCheck { username available problem suggestion }
    ... on NotAllowed { permission } ... on NotFound { entity } } }"""
CREDENTIALS = """mutation ($input: SetVoicePanelCredentialsInput!) {
  setVoicePanelCredentials(input: $input) { __typename
    ... on VoiceSubscriberSuccess { subscriber { panelUsername } }
    ... on ValidationError { fields { path message } } } }"""
ADD_EXTENSION = """mutation ($input: AddVoiceExtensionInput!) { addVoiceExtension(input: $input) {
  __typename ... on VoiceExtensionSuccess { extension { id extension name line { databaseId } } }
  ... on ValidationError { fields { path message } } ... on NotAllowed { permission }
  ... on NotFound { entity } ... on RuleViolation { rule } } }"""
RENAME_EXTENSION = """mutation ($input: RenameVoiceExtensionInput!) {
  renameVoiceExtension(input: $input) { __typename
    ... on VoiceExtensionSuccess { extension { extension name } }
    ... on ValidationError { fields { path } } ... on NotAllowed { permission }
    ... on NotFound { entity } } }"""
REMOVE_EXTENSION = """mutation ($input: RemoveVoiceExtensionInput!) {
  removeVoiceExtension(input: $input) { __typename
    ... on RemoveVoiceExtensionSuccess { removedExtensionId line { extensions { extension } } }
    ... on NotAllowed { permission } ... on NotFound { entity } } }"""
MY_LINES = """{ me { ... on VoiceSubscriber { lines { databaseId extension
  extensions { extension name } } } } }"""


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, cep_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_settings(database_url, cep_base_url=cep_url)
    async with Committed(engine), http_client(engine, settings, identity=None) as client:
        yield client


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


def reseller(pk: int) -> Identity:
    return Identity(subject=f"reseller-{pk}", role=Role.RESELLER, reseller_id=pk)


def voice(pk: int) -> Identity:
    return Identity(subject=f"voice-{pk}", role=Role.VOICE_SUBSCRIBER, voice_subscriber_id=pk)


async def _resellers(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as c:
        return list(await c.scalars(select(m.VoiceReseller.id).order_by(m.VoiceReseller.id)))


_ADDRESS = {
    "cep": "80010-123",
    "street": "Rua XV de Novembro",
    "number": "100",
    "district": "Centro",
    "city": "Curitiba",
    "state": "PR",
}


async def _subscriber(
    client: httpx.AsyncClient, me: Identity, username: str, seed: int, **address: str
) -> dict[str, Any]:
    fields = {
        "kind": "PERSON",
        "name": "Assinante de Teste",
        "document": generate_cpf(random.Random(seed)),
        **(address or _ADDRESS),
    }
    created = (
        await gql(client, me, CREATE, input={"subscriber": fields, "panelUsername": username})
    )["createVoiceSubscriber"]
    assert created["__typename"] == "VoiceSubscriberSuccess", created
    return created["subscriber"]


async def _line(
    client: httpx.AsyncClient, me: Identity, subscriber: dict[str, Any], number: str, ext: str
) -> dict[str, Any]:
    added = await gql(
        client,
        me,
        LINE,
        input={"subscriberId": subscriber["id"], "number": number, "extension": ext},
    )
    assert added["addVoiceLine"]["__typename"] == "AddVoiceLineSuccess", added
    return added["addVoiceLine"]["line"]


async def test_each_termination_draws_on_its_own_franchise(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    me = reseller((await _resellers(engine))[0])
    subscriber = await _subscriber(client, me, "termina.seis", 1101)
    line = await _line(client, me, subscriber, "+554130991101", "301")
    franchises = [
        {"category": "FIXED_LOCAL", "minutes": 100},
        {"category": "FIXED_LDN", "minutes": 0, "consumesLocal": True},
        {"category": "INTERNATIONAL_FIXED", "minutes": 5},
        {"category": "INTERNATIONAL_MOBILE", "minutes": 10},
    ]
    done = await gql(
        client, me, FRANCHISES, input={"subscriberId": subscriber["id"], "franchises": franchises}
    )
    assert done["setVoiceFranchises"]["__typename"] == "SetVoiceFranchisesSuccess"

    # The switch's call records (no mutation writes them): minutes 3, 2 and 7, every started
    # minute counting.
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    calls = [
        (CallTermination.INTERNATIONAL_MOBILE, 150, "+351912345678"),
        (CallTermination.INTERNATIONAL_FIXED, 61, "+351212345678"),
        (CallTermination.FIXED_LONG_DISTANCE, 7 * 60, "+551133334444"),
    ]
    async with writer_bind(engine).begin() as c:
        await c.execute(
            insert(m.CallRecord),
            [
                {
                    "voice_line_id": line["databaseId"],
                    "started_at": start + dt.timedelta(minutes=index * 20),
                    "destination": destination,
                    "duration_seconds": seconds,
                    "termination": termination,
                    "cost": Decimal("1.00"),
                }
                for index, (termination, seconds, destination) in enumerate(calls)
            ],
        )
    period = {
        "start": (start - dt.timedelta(hours=1)).isoformat(),
        "end": (start + dt.timedelta(days=1)).isoformat(),
    }
    balance = (await gql(client, me, BALANCE, id=subscriber["id"], **period))["node"]
    by = {b["category"]: b for b in balance["franchiseBalance"]["balances"]}
    assert (
        by["INTERNATIONAL_MOBILE"]["usedMinutes"],
        by["INTERNATIONAL_MOBILE"]["remainingMinutes"],
    ) == (3, 7)
    assert (
        by["INTERNATIONAL_FIXED"]["usedMinutes"],
        by["INTERNATIONAL_FIXED"]["remainingMinutes"],
    ) == (2, 3)
    assert (by["FIXED_LDN"]["fromLocalMinutes"], by["FIXED_LDN"]["exceedingMinutes"]) == (7, 0)
    assert (by["FIXED_LOCAL"]["takenByLdnMinutes"], by["FIXED_LOCAL"]["remainingMinutes"]) == (
        7,
        93,
    )

    statement = await gql(client, me, STATEMENT, id=line["id"], **period)
    totals = {t["termination"]: t["count"] for t in statement["voiceLineCallStatement"]["totals"]}
    assert totals == {
        "FIXED_LOCAL": 0,
        "FIXED_LONG_DISTANCE": 1,
        "MOBILE_LOCAL": 0,
        "MOBILE_LONG_DISTANCE": 0,
        "INTERNATIONAL_FIXED": 1,
        "INTERNATIONAL_MOBILE": 1,
    }

    # "Consumir da franquia local" needs a local franchise to draw from; nothing changes.
    refused = await gql(
        client,
        me,
        FRANCHISES,
        input={
            "subscriberId": subscriber["id"],
            "franchises": [
                {"category": "MOBILE_LDN", "minutes": 50, "consumesLocal": True},
                {"category": "FIXED_LDN", "minutes": 0, "consumesLocal": True},
                {"category": "FIXED_LOCAL", "minutes": 0},
            ],
        },
    )
    assert refused["setVoiceFranchises"] == {
        "__typename": "ValidationError",
        "fields": [
            {
                "path": ["franchises", "0", "consumesLocal"],
                "message": "needs a MOBILE_LOCAL franchise with minutes to draw from",
            },
            {
                "path": ["franchises", "1", "consumesLocal"],
                "message": "needs a FIXED_LOCAL franchise with minutes to draw from",
            },
        ],
    }
    kept = (await gql(client, me, BALANCE, id=subscriber["id"], **period))["node"]
    assert [f["category"] for f in kept["franchises"]] == [f["category"] for f in franchises]


async def test_the_address_comes_from_the_cep(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    me = reseller((await _resellers(engine))[0])
    # Only the CEP and the number: the rest is the CEP simulator's address.
    found = await _subscriber(client, me, "cep.busca", 1102, cep="01001-000", number="12")
    assert (found["cep"], found["street"], found["district"], found["city"], found["state"]) == (
        "01001000",
        "Praça da Sé",
        "Sé",
        "São Paulo",
        "SP",
    )

    async with engine.connect() as c:
        before = await c.scalar(select(func.count()).select_from(m.VoiceSubscriber))
    fields = {
        "kind": "PERSON",
        "name": "CEP Inexistente",
        "document": generate_cpf(random.Random(1103)),
        **_ADDRESS,
        "cep": "00000-000",
    }
    refused = (
        await gql(client, me, CREATE, input={"subscriber": fields, "panelUsername": "cep.zero"})
    )["createVoiceSubscriber"]
    assert refused == {
        "__typename": "ValidationError",
        "fields": [{"path": ["cep"], "message": "CEP 00000000 was not found"}],
    }
    async with engine.connect() as c:
        assert await c.scalar(select(func.count()).select_from(m.VoiceSubscriber)) == before

    # A new CEP on update brings its own street, district, city and state.
    moved = await gql(
        client,
        me,
        UPDATE,
        input={"subscriberId": found["id"], "subscriber": {"cep": "88015100"}},
    )
    assert moved["updateVoiceSubscriber"]["subscriber"] == {
        "cep": "88015100",
        "street": "Rua Felipe Schmidt",
        "district": "Centro",
        "city": "Florianópolis",
        "state": "SC",
    }
    wrong = await gql(
        client,
        me,
        UPDATE,
        input={"subscriberId": found["id"], "subscriber": {"cep": "00000000"}},
    )
    assert wrong["updateVoiceSubscriber"]["fields"] == [
        {"path": ["cep"], "message": "CEP 00000000 was not found"}
    ]
    # The lookup service down (the simulator's 99999999): a CEP alone cannot be completed.
    down = await gql(
        client,
        me,
        UPDATE,
        input={"subscriberId": found["id"], "subscriber": {"cep": "99999999"}},
    )
    assert down["updateVoiceSubscriber"]["fields"][0]["path"] == ["cep"]
    assert "could not be looked up" in down["updateVoiceSubscriber"]["fields"][0]["message"]


async def test_a_panel_username_is_checked_before_and_when_saved(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second = (await _resellers(engine))[:2]
    mine, theirs = reseller(first), reseller(second)
    subscriber = await _subscriber(client, mine, "Loja.Centro", 1104)
    assert subscriber["panelUsername"] == "loja.centro"

    # Another reseller asks for it, in another case: taken (usernames are one namespace).
    check = (await gql(client, theirs, USERNAME, username=" LOJA.Centro "))["voicePanelUsername"]
    assert check == {
        "__typename": "VoicePanelUsernameCheck",
        "username": "loja.centro",
        "available": False,
        "problem": "is taken",
        "suggestion": "loja.centro.2",
    }
    free = (await gql(client, theirs, USERNAME, username="loja.centro.2"))["voicePanelUsername"]
    assert (free["available"], free["problem"], free["suggestion"]) == (True, None, None)
    invalid = (await gql(client, theirs, USERNAME, username="Zé"))["voicePanelUsername"]
    assert (invalid["available"], invalid["suggestion"]) == (False, "assinante.ze")
    # Its own username is free for the subscriber that has it.
    own = await gql(client, mine, USERNAME, username="loja.centro", subscriberId=subscriber["id"])
    assert own["voicePanelUsername"]["available"] is True
    # Staff with CUSTOMER_ADMIN may ask; a voice subscriber may not.
    staff = await gql(client, DEVELOPMENT_STAFF, USERNAME, username="loja.centro")
    assert staff["voicePanelUsername"]["available"] is False
    refused = await gql(client, voice(subscriber["databaseId"]), USERNAME, username="x.y.z")
    assert refused["voicePanelUsername"]["__typename"] == "NotAllowed"

    # The mutations apply the same check: a ValidationError with the suggestion, not a
    # constraint's Conflict, even across resellers.
    fields = {
        "kind": "PERSON",
        "name": "Outra Loja",
        "document": generate_cpf(random.Random(1105)),
        **_ADDRESS,
    }
    taken = (
        await gql(
            client, theirs, CREATE, input={"subscriber": fields, "panelUsername": "LOJA.CENTRO"}
        )
    )["createVoiceSubscriber"]
    assert taken == {
        "__typename": "ValidationError",
        "fields": [{"path": ["panelUsername"], "message": "is taken; loja.centro.2 is free"}],
    }
    other = await _subscriber(client, theirs, "loja.bairro", 1106)
    renamed = await gql(
        client,
        theirs,
        CREDENTIALS,
        input={"subscriberId": other["id"], "username": "Loja.Centro", "password": "Pa!nel-2026x"},
    )
    assert renamed["setVoicePanelCredentials"]["fields"] == [
        {"path": ["username"], "message": "is taken; loja.centro.2 is free"}
    ]


async def test_extensions_by_the_reseller_and_by_the_granted_subscriber(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    first, second = (await _resellers(engine))[:2]
    me = reseller(first)
    subscriber = await _subscriber(client, me, "ramais.loja", 1107)
    line = await _line(client, me, subscriber, "+554130991107", "200")
    neighbour = await _subscriber(client, me, "ramais.vizinho", 1108)
    neighbour_line = await _line(client, me, neighbour, "+554130991108", "200")
    myself = voice(subscriber["databaseId"])
    new = {"lineId": line["id"], "extension": "2001", "name": "Recepção"}

    # Not granted yet: refused, naming the permission, and nothing is added.
    refused = await gql(client, myself, ADD_EXTENSION, input=new)
    assert refused["addVoiceExtension"] == {
        "__typename": "NotAllowed",
        "permission": "MANAGE_EXTENSIONS",
    }
    await gql(
        client,
        me,
        PERMISSIONS,
        input={"subscriberId": subscriber["id"], "permissions": ["MANAGE_EXTENSIONS"]},
    )
    added = (await gql(client, myself, ADD_EXTENSION, input=new))["addVoiceExtension"]
    assert added["extension"]["extension"] == "2001"
    assert added["extension"]["line"] == {"databaseId": line["databaseId"]}
    extension_id = added["extension"]["id"]

    # The number is the subscriber's once: its extensions and its lines' own.
    for taken in ("2001", "200"):
        again = await gql(client, myself, ADD_EXTENSION, input={**new, "extension": taken})
        assert again["addVoiceExtension"]["fields"] == [
            {
                "path": ["extension"],
                "message": f"{taken} is already an extension of this subscriber",
            }
        ]
    bad = await gql(client, myself, ADD_EXTENSION, input={**new, "extension": "2a", "name": " "})
    assert bad["addVoiceExtension"]["__typename"] == "ValidationError"
    # Another subscriber's line is simply not there.
    elsewhere = await gql(
        client, myself, ADD_EXTENSION, input={**new, "lineId": neighbour_line["id"]}
    )
    assert elsewhere["addVoiceExtension"] == {"__typename": "NotFound", "entity": "VoiceLine"}

    renamed = await gql(
        client, myself, RENAME_EXTENSION, input={"extensionId": extension_id, "name": "Vendas"}
    )
    assert renamed["renameVoiceExtension"]["extension"] == {"extension": "2001", "name": "Vendas"}
    lines = (await gql(client, myself, MY_LINES))["me"]["lines"]
    assert lines == [
        {
            "databaseId": line["databaseId"],
            "extension": "200",
            "extensions": [{"extension": "2001", "name": "Vendas"}],
        }
    ]
    foreign = await gql(
        client,
        reseller(second),
        RENAME_EXTENSION,
        input={"extensionId": extension_id, "name": "Alheio"},
    )
    assert foreign["renameVoiceExtension"] == {"__typename": "NotFound", "entity": "VoiceExtension"}

    removed = await gql(client, myself, REMOVE_EXTENSION, input={"extensionId": extension_id})
    assert removed["removeVoiceExtension"] == {
        "__typename": "RemoveVoiceExtensionSuccess",
        "removedExtensionId": extension_id,
        "line": {"extensions": []},
    }

    # The reseller always may, granted or not; once revoked, the subscriber may not.
    await gql(client, me, PERMISSIONS, input={"subscriberId": subscriber["id"], "permissions": []})
    by_reseller = (await gql(client, me, ADD_EXTENSION, input=new))["addVoiceExtension"]
    assert by_reseller["__typename"] == "VoiceExtensionSuccess"
    revoked = await gql(
        client,
        myself,
        RENAME_EXTENSION,
        input={"extensionId": by_reseller["extension"]["id"], "name": "Recepção 2"},
    )
    assert revoked["renameVoiceExtension"] == {
        "__typename": "NotAllowed",
        "permission": "MANAGE_EXTENSIONS",
    }
    # Both read paths serve the extensions, and agree (ADR 0006).
    query = """query ($id: ID!) { node(id: $id) { ... on VoiceSubscriber { lines {
      extensions { databaseId extension name line { databaseId } } } } } }"""
    payload = {"query": query, "variables": {"id": subscriber["id"]}}
    staff = bearer(DEVELOPMENT_STAFF)
    compiled = await client.post("/graphql", json=payload, headers=staff)
    standard = await client.post(
        "/graphql", json=payload, headers={**staff, "x-gateway-executor": "standard"}
    )
    assert compiled.headers["x-gateway-executor"] == "compiled"
    assert compiled.content == standard.content
    assert compiled.json()["data"]["node"]["lines"][0]["extensions"][0]["name"] == "Recepção"

    async with engine.connect() as c:
        actions = list(
            await c.scalars(
                select(m.AuditLog.action)
                .where(m.AuditLog.target_type == "VoiceExtension")
                .order_by(m.AuditLog.id)
            )
        )
    assert actions[-4:] == [
        "addVoiceExtension",
        "renameVoiceExtension",
        "removeVoiceExtension",
        "addVoiceExtension",
    ]
