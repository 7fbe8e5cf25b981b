"""Persisted documents (APQ, registered mode), idempotency keys, and what production hides."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from gateway.cli import main as cli
from tests.gateway.helpers import http_client, test_settings

QUERY = "query Banks { banks { code name } }"
SHA = hashlib.sha256(QUERY.encode()).hexdigest()
REDIS_URL = "redis://127.0.0.1:6379/0"


def _apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def _forget_documents(engine: AsyncEngine) -> None:
    async with writer_bind(engine).begin() as connection:
        await connection.execute(m.PersistedDocument.__table__.delete())


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_automatic_persisted_queries(
    engine: AsyncEngine, database_url: str, store: str
) -> None:
    query = f"{QUERY} # {uuid.uuid4().hex}"  # a text no earlier run has stored
    sha = hashlib.sha256(query.encode()).hexdigest()
    redis_url = REDIS_URL if store == "redis" else None
    settings = test_settings(database_url, redis_url=redis_url)
    try:
        async with http_client(engine, settings) as client:
            # 1. The hash alone: unknown, so the client is told to send the text.
            missing = await client.post("/graphql", json={"extensions": _apq(sha)})
            assert missing.status_code == 400
            assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            # 2. Hash and text: runs and is stored.
            first = await client.post("/graphql", json={"query": query, "extensions": _apq(sha)})
            assert first.status_code == 200 and first.json()["data"]["banks"]
        # 3. Another worker (a new app) finds it by hash alone, over GET too.
        async with http_client(engine, settings) as client:
            again = await client.get(
                "/graphql",
                params={
                    "extensions": f'{{"persistedQuery": {{"version": 1, "sha256Hash": "{sha}"}}}}'
                },
            )
            assert again.status_code == 200 and again.json() == first.json()
            if store == "redis":
                redis = client.app.state.runtime.redis  # type: ignore[attr-defined]
                assert await redis.ttl(f"gw:apq:{sha}") > 0
                await redis.delete(f"gw:apq:{sha}")
            else:
                async with engine.connect() as connection:
                    stored = await connection.scalar(
                        select(m.PersistedDocument.registered).where(
                            m.PersistedDocument.sha256 == sha
                        )
                    )
                assert stored is False
    finally:
        await _forget_documents(engine)


async def test_registered_documents_only(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    document = tmp_path / "banks.graphql"
    document.write_text(QUERY)
    broken = tmp_path / "broken.graphql"
    broken.write_text("{ nope }")
    url = ["--database-url", database_url]
    settings = test_settings(database_url, documents_mode="registered")
    try:
        assert await asyncio.to_thread(cli, ["documents", "register", str(broken), *url]) == 1
        async with http_client(engine, settings) as client:
            refused = await client.post("/graphql", json={"query": QUERY})
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_NOT_REGISTERED"
            # APQ cannot register a document in this mode.
            sent = await client.post("/graphql", json={"query": QUERY, "extensions": _apq(SHA)})
            assert sent.status_code == 400
            assert await asyncio.to_thread(cli, ["documents", "register", str(document), *url]) == 0
            by_text = await client.post("/graphql", json={"query": QUERY})
            by_hash = await client.post("/graphql", json={"extensions": _apq(SHA)})
            assert by_text.status_code == by_hash.status_code == 200
            assert by_hash.json()["data"]["banks"]
            other = await client.post("/graphql", json={"query": "{ banks { code } }"})
            assert other.status_code == 400
    finally:
        await _forget_documents(engine)


SET = """mutation Set($input: SetExtraFieldsInput!) {
  setExtraFields(input: $input) { __typename ... on SetExtraFieldsSuccess { fields { name } } }
}"""


def _set(value: str) -> dict[str, Any]:
    fields = [{"name": "idempotent", "type": "STRING", "value": value}]
    return {"query": SET, "variables": {"input": {"customerId": "3", "fields": fields}}}


async def _audits(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            await connection.scalar(
                select(func.count())
                .select_from(m.AuditLog)
                .where(m.AuditLog.action == "setExtraFields", m.AuditLog.target_id == 3)
            )
            or 0
        )


async def _cleanup(engine: AsyncEngine, audits_before: int) -> None:
    async with writer_bind(engine).begin() as connection:
        await connection.execute(
            m.ExtraField.__table__.delete().where(m.ExtraField.name == "idempotent")
        )
        await connection.execute(m.IdempotencyRecord.__table__.delete())
        ids = list(
            await connection.scalars(
                select(m.AuditLog.id)
                .where(m.AuditLog.action == "setExtraFields", m.AuditLog.target_id == 3)
                .order_by(m.AuditLog.id)
                .offset(audits_before)
            )
        )
        if ids:
            await connection.execute(m.AuditLog.__table__.delete().where(m.AuditLog.id.in_(ids)))


async def test_a_retried_mutation_returns_the_first_answer(
    engine: AsyncEngine, database_url: str
) -> None:
    before = await _audits(engine)
    key = {"idempotency-key": f"order-{uuid.uuid4()}"}
    try:
        async with http_client(engine, test_settings(database_url)) as worker_a:
            first = await worker_a.post("/graphql", json=_set("one"), headers=key)
            assert first.status_code == 200 and "idempotent-replayed" not in first.headers
            assert first.headers["x-gateway-executor"] == "compiled"  # its payload
        # The retry reaches another worker.
        async with http_client(engine, test_settings(database_url)) as worker_b:
            retry = await worker_b.post("/graphql", json=_set("one"), headers=key)
            assert retry.status_code == 200
            assert retry.headers["idempotent-replayed"] == "true"
            assert retry.headers["x-gateway-executor"] == "none; reason=idempotent replay"
            assert retry.content == first.content
            assert await _audits(engine) == before + 1
            # The same key with another request is a client bug: 422, nothing runs.
            reused = await worker_b.post("/graphql", json=_set("two"), headers=key)
            assert reused.status_code == 422
            assert reused.headers["x-gateway-executor"] == "none; reason=refused (422)"
            assert await _audits(engine) == before + 1
            # Without a key, a mutation runs each time.
            await worker_b.post("/graphql", json=_set("three"))
            assert await _audits(engine) == before + 2
    finally:
        await _cleanup(engine, before)


async def test_concurrent_twins_run_once(engine: AsyncEngine, database_url: str) -> None:
    before = await _audits(engine)
    key = {"idempotency-key": f"twin-{uuid.uuid4()}"}
    try:
        async with (
            http_client(engine, test_settings(database_url)) as a,
            http_client(engine, test_settings(database_url)) as b,
        ):
            responses = await asyncio.gather(
                a.post("/graphql", json=_set("twin"), headers=key),
                b.post("/graphql", json=_set("twin"), headers=key),
            )
        assert [r.status_code for r in responses] == [200, 200]
        assert responses[0].content == responses[1].content
        assert await _audits(engine) == before + 1
    finally:
        await _cleanup(engine, before)


async def test_production_hides_internals(
    engine: AsyncEngine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    production = test_settings(database_url, environment="production")
    async with http_client(engine, production) as client:
        introspection = await client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        assert introspection.status_code == 400
        assert "introspection" in introspection.json()["errors"][0]["message"].lower()
        typo = await client.post("/graphql", json={"query": "{ bank { name } }"})
        assert "Did you mean" not in typo.text
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 400
    async with http_client(engine, test_settings(database_url)) as client:
        typo = await client.post("/graphql", json={"query": "{ bank { name } }"})
        assert "Did you mean" in typo.text
        introspection = await client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        assert introspection.status_code == 200
    enabled = test_settings(database_url, environment="production", introspection=True)
    async with http_client(engine, enabled) as client:
        introspection = await client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        assert introspection.status_code == 200


async def test_an_unexpected_error_is_internal_with_ids_in_production(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database has no tables (a defect, not an outage): the client learns nothing of it
    but ids the log carries too."""
    unmigrated = f"sqlite:///{tmp_path}/gateway.sqlite3"
    production = test_settings(unmigrated, environment="production")
    async with http_client(None, production) as client:
        response = await client.post("/graphql", json={"query": "{ banks { name } }"})
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"] == "Internal error"
    assert "sqlite" not in response.text.lower() and "Operational" not in response.text
    request_id = error["extensions"]["requestId"]
    assert response.headers["x-request-id"] == request_id
    logged = [
        r
        for r in caplog.records
        if r.name == "gateway.http.graphql" and request_id in r.getMessage()
    ]
    assert logged and logged[0].exc_info is not None


async def test_a_database_that_cannot_be_opened_is_an_outage_not_an_internal_error(
    tmp_path: Path,
) -> None:
    missing = f"sqlite:///{tmp_path}/missing/dir/gateway.sqlite3"
    production = test_settings(missing, environment="production")
    async with http_client(None, production) as client:
        response = await client.post("/graphql", json={"query": "{ banks { name } }"})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "sqlite" not in response.text.lower() and "Operational" not in response.text


async def test_cors_only_for_configured_origins(engine: AsyncEngine, database_url: str) -> None:
    settings = test_settings(database_url, cors_origins=("https://portal.example.net",))
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
    }
    async with http_client(engine, settings) as client:
        allowed = await client.options(
            "/graphql", headers={"origin": "https://portal.example.net", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example.net"
        assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
        refused = await client.options(
            "/graphql", headers={"origin": "https://evil.example.com", **preflight}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
    async with http_client(engine, test_settings(database_url)) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ banks { name } }"},
            headers={"origin": "https://portal.example.net"},
        )
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
