"""Structured logs (ADR 0174): JSON lines in production, one access line per request with its
request id, the id echoed to the client, and no secret or personal data in any line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from gateway.observability.logs import configure_logging
from gateway.settings import Settings
from tests.gateway.helpers import bearer, http_client, test_settings
from tests.gateway.serving import gateway_serve

SEARCH = "query Find($s: String!) { customers(filter: {search: $s}) { nodes { name } } }"
STRENGTH = "query Strength($p: String!) { passwordStrength(password: $p) { __typename } }"
CHANGE = """mutation Change($p: String!) {
  changeServicePassword(input: {serviceId: "U2VydmljZTo5OTk5OTk5", password: $p}) { __typename }
}"""
PASSWORDS = ("S3cret-Passw0rd!Long-1", "An0ther-Secret!Pass-2")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The gateway's log set-up writing to a buffer; the test process's own set-up after."""
    stream = io.StringIO()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


async def test_a_production_run_logs_json_access_lines_and_nothing_secret(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    async with engine.connect() as connection:
        name, document = (
            await connection.execute(select(m.Customer.name, m.Customer.document).limit(1))
        ).one()
    staff = bearer()
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWZvcmdlZC0xMjM0"
    with gateway_serve(database_url, tmp_path) as served:
        async with httpx.AsyncClient(base_url=served.url) as client:
            found = await client.post(
                "/graphql",
                json={"query": SEARCH, "variables": {"s": document}, "operationName": "Find"},
                headers={**staff, "x-request-id": "probe-123"},
            )
            assert found.status_code == 200 and found.json()["data"]["customers"]["nodes"]
            assert found.headers["x-request-id"] == "probe-123"
            in_url = await client.get(
                "/graphql",
                params={
                    "query": f'{{ customers(filter: {{search: "{document}"}}) {{ totalCount }} }}'
                },
                headers=staff,
            )
            assert in_url.status_code == 200
            for query, password in ((STRENGTH, PASSWORDS[0]), (CHANGE, PASSWORDS[1])):
                answer = await client.post(
                    "/graphql", json={"query": query, "variables": {"p": password}}, headers=staff
                )
                assert answer.status_code == 200, answer.text
            refused = await client.post(
                "/graphql",
                json={"query": "{ banks { code } }"},
                headers={"authorization": f"Bearer {forged}"},
            )
            assert refused.status_code == 401
            made = refused.headers["x-request-id"]
            assert refused.json()["errors"][0]["extensions"]["requestId"] == made
        served.stop()
        text = served.logs()

    secrets = (staff["authorization"].split()[1], forged, document, name, *PASSWORDS)
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the log"
    lines = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gateway.access"]
    graphql = [line for line in access if line["path"] == "/graphql"]
    assert len(graphql) == 5  # one line per request
    probe = next(line for line in graphql if line["request_id"] == "probe-123")
    assert probe["method"] == "POST" and probe["status"] == 200
    assert probe["operation"] == "Find" and probe["operation_type"] == "query"
    assert probe["executor"] in ("compiled", "standard") and probe["duration_ms"] > 0
    assert {line["status"] for line in graphql} == {200, 401}
    assert any(line["request_id"] == made and line["status"] == 401 for line in graphql)
    assert all("timestamp" in line and "level" in line for line in lines)


def test_exceptions_are_logged_without_the_frames_variables(captured: io.StringIO) -> None:
    configure_logging(Settings(environment="production"), stream=captured)
    log = logging.getLogger("gateway.test")

    def fails(password: str) -> None:
        token = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijkl"  # noqa: F841
        raise ValueError("the change failed")

    try:
        fails("hunter2-hunter2")
    except ValueError:
        log.exception("something failed")
    log.warning("sent %s", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijkl")
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    assert lines[0]["event"] == "something failed"
    assert "the change failed" in orjson.dumps(lines[0]["exception"]).decode()
    assert lines[1]["event"] == "sent [redacted]"
    assert "hunter2" not in captured.getvalue() and "eyJ" not in captured.getvalue()


def test_development_lines_are_readable(captured: io.StringIO) -> None:
    configure_logging(Settings(), stream=captured)
    structlog.stdlib.get_logger("gateway.access").info("request", method="GET", status=200)
    line = captured.getvalue().strip()
    assert not line.startswith("{")
    assert "request" in line and "method=GET" in line and "status=200" in line


async def test_a_log_stream_that_cannot_be_written_never_fails_a_request(
    engine: AsyncEngine, database_url: str, captured: io.StringIO
) -> None:
    async with http_client(engine, test_settings(database_url)) as client:
        configure_logging(Settings(environment="production"), stream=captured)
        answered = await client.post("/graphql", json={"query": "{ __typename }"})
        assert answered.status_code == 200
        assert orjson.loads(captured.getvalue().splitlines()[-1])["logger"] == "gateway.access"
        captured.close()  # as a test runner's captured stderr is, or a log file on a full disk
        answered = await client.post("/graphql", json={"query": "{ __typename }"})
        assert answered.status_code == 200
