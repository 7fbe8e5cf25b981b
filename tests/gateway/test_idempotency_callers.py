"""Idempotency records belong to the whole caller (role, ids, subject, issuer or API key), not
to the token's `sub`: an identity provider that gives two people one `sub` must not make the
gateway replay one's answer to the other (ADR 0085)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.actions.access import create_api_key
from domain.db import session_factory
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from tests.gateway.helpers import bearer, http_client, test_settings

OPEN = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) { __typename
  ... on OpenTicketSuccess { ticket { databaseId } } } }"""


async def _customers(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.scalars(select(m.Customer.id).order_by(m.Customer.id).limit(2))
        return list(rows)


async def _tickets_of(engine: AsyncEngine, customer_id: int, description: str) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).where(
                m.Ticket.customer_id == customer_id, m.Ticket.description == description
            )
        )
        return int(count or 0)


async def _open(client: httpx.AsyncClient, headers: dict[str, str], **input: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": OPEN, "variables": {"input": input}}, headers=headers
    )


async def test_two_subscribers_sharing_a_sub_do_not_share_idempotency_records(
    engine: AsyncEngine, database_url: str
) -> None:
    first, second = await _customers(engine)
    shared = f"reused-{uuid.uuid4().hex[:8]}"  # the identity provider gave both the same sub
    ana = Identity(subject=shared, role=Role.SUBSCRIBER, customer_id=first)
    bia = Identity(subject=shared, role=Role.SUBSCRIBER, customer_id=second)
    description = f"no signal {uuid.uuid4().hex[:8]}"
    key = {"idempotency-key": "ticket-1"}  # both apps pick the same simple key
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        mine = await _open(client, {**bearer(ana), **key}, type="suporte", description=description)
        theirs = await _open(
            client, {**bearer(bia), **key}, type="suporte", description=description
        )
        replayed = await _open(
            client, {**bearer(bia), **key}, type="suporte", description=description
        )
    assert "idempotent-replayed" not in theirs.headers
    ticket = mine.json()["data"]["openTicket"]["ticket"]["databaseId"]
    other = theirs.json()["data"]["openTicket"]["ticket"]["databaseId"]
    assert ticket != other  # before: Bia got Ana's ticket back, and no ticket of her own
    assert await _tickets_of(engine, first, description) == 1
    assert await _tickets_of(engine, second, description) == 1
    # Each caller still gets its own first answer again.
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == theirs.json()


async def test_a_token_whose_sub_names_an_api_key_is_not_that_key(
    engine: AsyncEngine, database_url: str
) -> None:
    async with session_factory(engine)() as session:
        made = await create_api_key(
            session, name="robot", role=Role.STAFF, permissions=Permission, actor=DEVELOPMENT_STAFF
        )
        await session.commit()
    first, _ = await _customers(engine)
    description = f"key {uuid.uuid4().hex[:8]}"
    key = {"idempotency-key": "same-key"}
    # A JWT whose identity reads exactly as the API key's: staff, same permissions, same name.
    lookalike = Identity.staff(f"apikey:{made.key.prefix}", *Permission)
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        robot = {"authorization": f"Bearer {made.secret}", **key}
        by_key = await _open(
            client, robot, type="x", description=description, customerId=str(first)
        )
        by_jwt = await _open(
            client,
            {**bearer(lookalike), **key},
            type="x",
            description=description,
            customerId=str(first),
        )
    assert "idempotent-replayed" not in by_jwt.headers
    assert by_key.json() != by_jwt.json()
    assert await _tickets_of(engine, first, description) == 2


def test_the_caller_key_covers_every_part_of_the_identity() -> None:
    base = Identity(subject="s", role=Role.SUBSCRIBER, customer_id=1, issuer="idp-a")
    variants = [
        Identity(subject="s", role=Role.SUBSCRIBER, customer_id=2, issuer="idp-a"),
        Identity(subject="s", role=Role.SUBSCRIBER, customer_id=1, issuer="idp-b"),
        Identity(subject="t", role=Role.SUBSCRIBER, customer_id=1, issuer="idp-a"),
        Identity(subject="s", role=Role.RESELLER, reseller_id=1, issuer="idp-a"),
        Identity(subject="s", role=Role.SUBSCRIBER, customer_id=1, api_key_id=1),
    ]
    keys = {base.caller_key, *(variant.caller_key for variant in variants)}
    assert len(keys) == 1 + len(variants)
    assert (
        base.caller_key
        == Identity(subject="s", role=Role.SUBSCRIBER, customer_id=1, issuer="idp-a").caller_key
    )
