"""What APQ keeps: only a text that passed every check, and only for its time to live, in
Redis and in the database alike (ADR 0084)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.actions.access import forget_documents, save_document
from domain.db import session_factory, writer_bind
from domain.models.base import utcnow
from tests.gateway.helpers import http_client, test_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _apq(text: str) -> dict[str, Any]:
    sha = hashlib.sha256(text.encode()).hexdigest()
    return {"query": text, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def _in_database(engine: AsyncEngine, text: str) -> bool:
    async with engine.connect() as connection:
        sha = _sha(text)
        found = await connection.scalar(
            select(m.PersistedDocument.sha256).where(m.PersistedDocument.sha256 == sha)
        )
        return found is not None


def _unique(text: str) -> str:
    return f"{text} # {uuid.uuid4().hex}"


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_only_a_document_that_would_run_is_kept(
    engine: AsyncEngine, database_url: str, store: str
) -> None:
    settings = test_settings(
        database_url, redis_url=REDIS_URL if store == "redis" else None, max_depth=3
    )
    huge = _unique("{ banks { name } }" + " " * 900_000)
    refused = {
        "too large": huge,
        "does not parse": _unique("{ banks { name }"),
        "does not validate": _unique("{ banks { nope } }"),
        "too deep": _unique("{ customers { edges { node { plans { id } } } } }"),
        "a mutation over GET": _unique(
            'mutation { cancelPlan(input: {planId: "1"}) { __typename } }'
        ),
    }
    async with http_client(engine, settings) as client:
        redis = client.app.state.runtime.redis  # type: ignore[attr-defined]
        for what, text in refused.items():
            if what == "a mutation over GET":
                payload = _apq(text)
                params = {"query": text, "extensions": str(payload["extensions"]).replace("'", '"')}
                response = await client.get("/graphql", params=params)
            else:
                response = await client.post("/graphql", json=_apq(text))
            assert response.status_code in (400, 405), (what, response.text[:200])
            assert not await _in_database(engine, text), what
            if redis is not None:
                assert await redis.get(f"gw:apq:{_sha(text)}") is None, what
            # And a later request by hash alone does not find it either.
            by_hash = await client.post("/graphql", json={"extensions": _apq(text)["extensions"]})
            assert by_hash.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        good = _unique("{ banks { code } }")
        assert (await client.post("/graphql", json=_apq(good))).status_code == 200
        if redis is not None:
            ttl = await redis.ttl(f"gw:apq:{_sha(good)}")
            assert 0 < ttl <= settings.apq_ttl_seconds
            assert not await _in_database(engine, good)
            await redis.delete(f"gw:apq:{_sha(good)}")
        else:
            assert await _in_database(engine, good)


async def test_apq_texts_in_the_database_expire(engine: AsyncEngine, database_url: str) -> None:
    settings = test_settings(database_url)  # no Redis: APQ texts go to the database
    text = _unique("{ banks { name } }")
    by_hash = {"extensions": _apq(text)["extensions"]}
    async with http_client(engine, settings) as client:
        assert (await client.post("/graphql", json=_apq(text))).status_code == 200
    # A day and a second later, another worker (a new app, no cache) no longer finds it ...
    async with writer_bind(engine).begin() as connection:
        await connection.execute(
            update(m.PersistedDocument)
            .where(m.PersistedDocument.sha256 == _sha(text))
            .values(created_at=utcnow() - dt.timedelta(seconds=settings.apq_ttl_seconds + 1))
        )
    async with http_client(engine, settings) as client:
        gone = await client.post("/graphql", json=by_hash)
        assert gone.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        # ... until the client sends the text again, which starts its time to live over.
        assert (await client.post("/graphql", json=_apq(text))).status_code == 200
    async with http_client(engine, settings) as client:
        assert (await client.post("/graphql", json=by_hash)).status_code == 200


async def test_expired_apq_texts_are_purged_and_registered_ones_stay(engine: AsyncEngine) -> None:
    old, fresh, registered = (_unique("{ banks { name } }") for _ in range(3))
    async with session_factory(engine)() as session:
        for body, is_registered in ((old, False), (fresh, False), (registered, True)):
            await save_document(session, body=body, registered=is_registered)
        await session.commit()
    long_ago = utcnow() - dt.timedelta(days=30)
    async with writer_bind(engine).begin() as connection:
        await connection.execute(
            update(m.PersistedDocument)
            .where(m.PersistedDocument.sha256.in_([_sha(old), _sha(registered)]))
            .values(created_at=long_ago)
        )
    async with session_factory(engine)() as session:
        purged = await forget_documents(session, older_than=utcnow() - dt.timedelta(days=1))
        await session.commit()
    assert purged >= 1
    assert not await _in_database(engine, old)
    assert await _in_database(engine, fresh) and await _in_database(engine, registered)
    async with writer_bind(engine).begin() as connection:
        await connection.execute(
            m.PersistedDocument.__table__.delete().where(
                m.PersistedDocument.sha256.in_([_sha(fresh), _sha(registered)])
            )
        )
