"""The bad-request catalogue: each request a careless or hostile client might send, the status
and media type the GraphQL-over-HTTP draft asks for, and proof that nothing ran or was written.

Most requests carry a mutation that would write an extra field and an audit row if it ran.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from tests.gateway.helpers import bearer, http_client, test_settings, token

GQL = "application/graphql-response+json"
JSON = "application/json"
SET = """mutation Set($input: SetExtraFieldsInput!) {
  setExtraFields(input: $input) { __typename }
}"""
INPUT = {
    "input": {"customerId": "1", "fields": [{"name": "catalogue", "type": "STRING", "value": "x"}]}
}
GOOD = {"query": SET, "variables": INPUT}
DEEP_QUERY = (
    "{ customers(first: 1) { edges { node { plans { customer { plans { customer { plans "
    "{ customer { plans { customer { name } } } } } } } } } } } }"
)


@dataclass(frozen=True)
class Bad:
    method: str = "POST"
    body: bytes | None = None
    json: Any = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 400
    media: str = GQL
    allow: str | None = None


def _body(payload: Any) -> bytes:
    return orjson.dumps(payload)


CATALOGUE: dict[str, Bad] = {
    "malformed JSON": Bad(body=b'{"query": '),
    "invalid UTF-8": Bad(body=b'{"query": "\xff\xfe mutation"}'),
    "JSON array body": Bad(json=[GOOD]),
    "JSON string body": Bad(json="mutation { x }"),
    "misspelt query key": Bad(json={"qeury": SET, "variables": INPUT}),
    "query not a string": Bad(json={"query": 42}),
    "empty query": Bad(json={"query": "   "}),
    "variables not an object": Bad(json={"query": SET, "variables": [INPUT]}),
    "operationName not a string": Bad(json={**GOOD, "operationName": 7}),
    "extensions not an object": Bad(json={**GOOD, "extensions": "yes"}),
    "document does not parse": Bad(json={"query": "mutation { setExtraFields(", **INPUT}),
    "document does not validate": Bad(json={"query": "mutation { noSuchMutation }"}),
    "operation undeterminable": Bad(json={"query": SET + "\nquery Other { banks { name } }"}),
    "unknown operationName": Bad(json={**GOOD, "operationName": "Nope"}),
    "variables do not coerce": Bad(json={"query": SET, "variables": {"input": {"fields": 1}}}),
    "missing required variable": Bad(json={"query": SET}),
    "legacy: does not parse": Bad(
        json={"query": "mutation {"}, headers={"accept": JSON}, status=200, media=JSON
    ),
    "legacy: does not validate": Bad(
        json={"query": "mutation { nope }"}, headers={"accept": JSON}, status=200, media=JSON
    ),
    "legacy: variables do not coerce": Bad(
        json={"query": SET, "variables": {"input": 3}},
        headers={"accept": JSON},
        status=200,
        media=JSON,
    ),
    "legacy: malformed JSON": Bad(body=b"NONSENSE", headers={"accept": JSON}, media=JSON),
    "form post": Bad(
        body=b"query=mutation%7Bx%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
        status=415,
    ),
    "multipart post": Bad(
        body=b"--b\r\n\r\nmutation\r\n--b--",
        headers={"content-type": "multipart/form-data; boundary=b"},
        status=415,
    ),
    "text/plain post": Bad(body=_body(GOOD), headers={"content-type": "text/plain"}, status=415),
    "no content type": Bad(body=_body(GOOD), headers={"content-type": ""}, status=415),
    "latin-1 charset": Bad(
        body=_body(GOOD), headers={"content-type": "application/json; charset=latin1"}, status=415
    ),
    "mutation over GET": Bad(
        method="GET",
        params={"query": SET, "variables": orjson.dumps(INPUT).decode()},
        status=405,
        allow="POST",
    ),
    "PUT": Bad(method="PUT", json=GOOD, status=405, media=JSON, allow="GET, POST"),
    "DELETE": Bad(method="DELETE", status=405, media=JSON, allow="GET, POST"),
    "PATCH": Bad(method="PATCH", json=GOOD, status=405, media=JSON, allow="GET, POST"),
    "body over the limit": Bad(
        body=b'{"query": "' + b" " * 1_000_001 + b'"}', status=413, headers={}
    ),
    "unserviceable Accept": Bad(json=GOOD, headers={"accept": "text/csv"}, status=406, media=JSON),
    "subscription": Bad(json={"query": "subscription { x }"}),
    "no credentials": Bad(json=GOOD, headers={"authorization": ""}, status=401),
    "basic credentials": Bad(json=GOOD, headers={"authorization": "Basic YTpi"}, status=401),
    "token signed with another secret": Bad(
        json=GOOD,
        headers={"authorization": f"Bearer {token(secret='another-secret-of-32-bytes-or-more!')}"},
        status=401,
    ),
    "expired token": Bad(
        json=GOOD, headers={"authorization": f"Bearer {token(lifetime=-3600)}"}, status=401
    ),
    "revoked-looking API key": Bad(
        json=GOOD, headers={"authorization": "Bearer gk_00000000_nope"}, status=401
    ),
    "too deep": Bad(json={"query": DEEP_QUERY}),
    "page too large": Bad(json={"query": "{ customers(first: 101) { totalCount } }"}),
    "too many aliases": Bad(
        json={"query": "{ " + " ".join(f"a{i}: banks {{ name }}" for i in range(16)) + " }"}
    ),
    "document over the size limit": Bad(json={"query": SET + " " * 17_000, "variables": INPUT}),
    "too many tokens": Bad(json={"query": "{ " + "__typename " * 1001 + "}"}),
    "idempotency key too long": Bad(json=GOOD, headers={"idempotency-key": "k" * 256}),
    "APQ hash does not match": Bad(
        json={
            **GOOD,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
        }
    ),
    "APQ unknown hash": Bad(
        json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "1" * 64}}}
    ),
    "APQ bad version": Bad(
        json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "1" * 64}}}
    ),
    "GET without query": Bad(method="GET", params={"operationName": "x"}),
    "GET variables not JSON": Bad(
        method="GET", params={"query": "query ($n: Int) { banks { name } }", "variables": "{n"}
    ),
    "negative page": Bad(json={"query": "{ customers(first: -1) { totalCount } }"}),
    "negative page in a variable": Bad(
        json={
            "query": "query ($n: Int) { customers(last: $n) { totalCount } }",
            "variables": {"n": -5},
        }
    ),
    "forged cursor": Bad(
        json={"query": '{ customers(first: 5, after: "b2Zmc2V0Om5vcGU=") { totalCount } }'}
    ),
}

# The code each refusal carries in `errors[*].extensions.code`, stable whatever the message.
CODES = {
    "malformed JSON": "BAD_REQUEST",
    "invalid UTF-8": "BAD_REQUEST",
    "JSON array body": "BAD_REQUEST",
    "JSON string body": "BAD_REQUEST",
    "misspelt query key": "BAD_REQUEST",
    "query not a string": "BAD_REQUEST",
    "empty query": "BAD_REQUEST",
    "variables not an object": "BAD_REQUEST",
    "operationName not a string": "BAD_REQUEST",
    "extensions not an object": "BAD_REQUEST",
    "document does not parse": "GRAPHQL_PARSE_FAILED",
    "document does not validate": "GRAPHQL_VALIDATION_FAILED",
    "operation undeterminable": "OPERATION_RESOLUTION_FAILURE",
    "unknown operationName": "OPERATION_RESOLUTION_FAILURE",
    "variables do not coerce": "BAD_USER_INPUT",
    "missing required variable": "BAD_USER_INPUT",
    "legacy: does not parse": "GRAPHQL_PARSE_FAILED",
    "legacy: does not validate": "GRAPHQL_VALIDATION_FAILED",
    "legacy: variables do not coerce": "BAD_USER_INPUT",
    "legacy: malformed JSON": "BAD_REQUEST",
    "form post": "UNSUPPORTED_MEDIA_TYPE",
    "multipart post": "UNSUPPORTED_MEDIA_TYPE",
    "text/plain post": "UNSUPPORTED_MEDIA_TYPE",
    "no content type": "UNSUPPORTED_MEDIA_TYPE",
    "latin-1 charset": "UNSUPPORTED_MEDIA_TYPE",
    "mutation over GET": "METHOD_NOT_ALLOWED",
    "PUT": "METHOD_NOT_ALLOWED",
    "DELETE": "METHOD_NOT_ALLOWED",
    "PATCH": "METHOD_NOT_ALLOWED",
    "body over the limit": "PAYLOAD_TOO_LARGE",
    "unserviceable Accept": "NOT_ACCEPTABLE",
    "subscription": "GRAPHQL_VALIDATION_FAILED",
    "no credentials": "UNAUTHENTICATED",
    "basic credentials": "UNAUTHENTICATED",
    "token signed with another secret": "UNAUTHENTICATED",
    "expired token": "UNAUTHENTICATED",
    "revoked-looking API key": "UNAUTHENTICATED",
    "too deep": "LIMIT_EXCEEDED",
    "page too large": "BAD_USER_INPUT",
    "too many aliases": "LIMIT_EXCEEDED",
    "document over the size limit": "LIMIT_EXCEEDED",
    "too many tokens": "GRAPHQL_PARSE_FAILED",
    "idempotency key too long": "BAD_REQUEST",
    "APQ hash does not match": "INVALID_SHA256",
    "APQ unknown hash": "PERSISTED_QUERY_NOT_FOUND",
    "APQ bad version": "BAD_REQUEST",
    "GET without query": "BAD_REQUEST",
    "GET variables not JSON": "BAD_REQUEST",
    "negative page": "BAD_USER_INPUT",
    "negative page in a variable": "BAD_USER_INPUT",
    "forged cursor": "BAD_USER_INPUT",
}


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        yield client


async def _written(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            model.__tablename__: int(
                await connection.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (m.ExtraField, m.AuditLog, m.IdempotencyRecord, m.PersistedDocument)
        }


def test_the_catalogue_is_long_enough() -> None:
    assert len(CATALOGUE) >= 25
    assert set(CODES) == set(CATALOGUE)


@pytest.mark.parametrize("name", list(CATALOGUE))
async def test_bad_request(client: httpx.AsyncClient, engine: AsyncEngine, name: str) -> None:
    bad = CATALOGUE[name]
    headers = {**bearer(), "content-type": JSON, **bad.headers}
    headers = {k: v for k, v in headers.items() if v}
    before = await _written(engine)
    started = time.perf_counter()
    response = await client.request(
        bad.method,
        "/graphql",
        content=bad.body
        if bad.body is not None
        else (None if bad.json is None else _body(bad.json)),
        params=bad.params,
        headers=headers,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == bad.status, response.text
    assert response.headers["content-type"] == bad.media
    body = response.json()
    assert body["errors"] and all(error["message"] for error in body["errors"])
    assert {error["extensions"]["code"] for error in body["errors"]} == {CODES[name]}
    # Nothing ran, and the answer says so.
    assert response.headers["x-gateway-executor"].startswith("none; ")
    # A request error carries no data: nothing ran.
    assert "data" not in body
    if bad.allow is not None:
        assert response.headers["allow"] == bad.allow
    if bad.status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await _written(engine) == before
    assert elapsed < 1.0


async def test_the_good_request_does_write(client: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """The control: the same mutation, well formed, writes what the catalogue says it did not."""
    before = await _written(engine)
    async with engine.connect() as connection:
        last_audit = await connection.scalar(select(func.max(m.AuditLog.id))) or 0
    try:
        response = await client.post("/graphql", json=GOOD, headers=bearer())
        assert response.status_code == 200
        assert response.json()["data"]["setExtraFields"]["__typename"] == "SetExtraFieldsSuccess"
        after = await _written(engine)
        assert after["extra_field"] == before["extra_field"] + 1
        assert after["audit_log"] == before["audit_log"] + 1
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(
                m.ExtraField.__table__.delete().where(m.ExtraField.name == "catalogue")
            )
            await connection.execute(
                m.AuditLog.__table__.delete().where(m.AuditLog.id > last_audit)
            )
