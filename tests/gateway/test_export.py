"""`POST /export`: a report connection streamed as CSV or NDJSON, page after keyset page."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import models as m
from domain.actions.access import save_document
from domain.identity import Identity, Role
from gateway.http import export as export_module
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, http_client, test_settings

DOCUMENT = """query Export($filter: ReceivableFilter) {
  receivables(filter: $filter, orderBy: [{field: DUE_DATE}]) {
    ... on ReceivableConnection { nodes { databaseId amount dueDate status boletos { ourNumber } } }
  }
}"""


@pytest.fixture(scope="module")
async def registered(engine: AsyncEngine) -> str:
    async with AsyncSession(engine) as session:
        await save_document(session, body=DOCUMENT, registered=True)
        await session.commit()
    return DOCUMENT


@pytest.fixture(scope="module")
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


async def test_csv_export_streams_every_row_in_pages(
    client: httpx.AsyncClient, engine: AsyncEngine, registered: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export_module, "PAGE_SIZE", 50)  # many pages from the seed
    response = await client.post(
        "/export", json={"query": registered}, headers={"accept": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["databaseId", "amount", "dueDate", "status", "boletos"]
    async with engine.connect() as connection:
        expected = list(
            await connection.scalars(
                select(m.Receivable.id).order_by(m.Receivable.due_date, m.Receivable.id)
            )
        )
    assert [int(row[0]) for row in table[1:]] == expected
    assert len(expected) > 50 * 3


async def test_ndjson_export_is_scoped_to_the_caller(
    engine: AsyncEngine, database_url: str, registered: str
) -> None:
    async with engine.connect() as connection:
        customer_id = await connection.scalar(select(func.min(m.Receivable.customer_id)))
        own = await connection.scalar(
            select(func.count()).where(m.Receivable.customer_id == customer_id)
        )
    subscriber = Identity(subject="s", role=Role.SUBSCRIBER, customer_id=customer_id)
    async with http_client(engine, test_settings(database_url), subscriber) as client:
        response = await client.post(
            "/export", json={"query": registered}, headers={"accept": "application/x-ndjson"}
        )
    lines = [orjson.loads(line) for line in response.content.splitlines()]
    assert len(lines) == own and all("amount" in line for line in lines)


async def test_export_refusals(
    client: httpx.AsyncClient, engine: AsyncEngine, database_url: str, registered: str
) -> None:
    unregistered = "{ receivables { ... on ReceivableConnection { nodes { amount } } } }"
    refused = await client.post(
        "/export", json={"query": unregistered}, headers={"accept": "text/csv"}
    )
    assert refused.status_code == 400 and "registered" in refused.text
    wrong_media = await client.post(
        "/export", json={"query": registered}, headers={"accept": "application/json"}
    )
    assert wrong_media.status_code == 406
    async with http_client(engine, test_settings(database_url), None) as anonymous:
        denied = await anonymous.post(
            "/export", json={"query": registered}, headers={"accept": "text/csv"}
        )
    assert denied.status_code == 401


async def test_a_client_that_goes_away_stops_the_export(
    engine: AsyncEngine, database_url: str, registered: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export_module, "PAGE_SIZE", 5)
    pages = 0
    original = export_module.encode_page

    def counting(*args):  # type: ignore[no-untyped-def]
        nonlocal pages
        pages += 1
        return original(*args)

    monkeypatch.setattr(export_module, "encode_page", counting)
    app = create_app(test_settings(database_url), engine=engine)
    body = orjson.dumps({"query": registered})
    sent = asyncio.Event()
    chunks: list[bytes] = []
    delivered = False

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await sent.wait()
        return {"type": "http.disconnect"}

    async def send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if len(chunks) >= 3:
                sent.set()
            await asyncio.sleep(0)

    headers = [
        (b"content-type", b"application/json"),
        (b"accept", b"text/csv"),
        *((k.encode(), v.encode()) for k, v in bearer().items()),
    ]
    scope = {
        "type": "http", "method": "POST", "path": "/export", "headers": headers,
        "query_string": b"", "http_version": "1.1", "scheme": "http",
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "root_path": "",
    }  # fmt: skip
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), timeout=30)
        readers = app.state.graphql.readers
        assert readers._users == 0  # the stream's reader went back
    async with engine.connect() as connection:
        total = await connection.scalar(select(func.count()).select_from(m.Receivable))
    assert 2 <= pages < total // 5  # it stopped well before the end


@pytest.mark.parametrize("accept", ["text/csv", "application/x-ndjson"])
async def test_every_page_counts_against_the_rate_limit(
    engine: AsyncEngine, database_url: str, registered: str, accept: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export_module, "PAGE_SIZE", 100)
    async with engine.connect() as connection:
        rows = int(await connection.scalar(select(func.count()).select_from(m.Receivable)) or 0)
    pages = rows // 100 + 1  # the last page reads the rows left, or finds none
    settings = test_settings(database_url, rate_limit_per_identity=f"{pages + 50}/600")
    async with http_client(engine, settings) as client:
        hits: list[str] = []
        limiter = client.app.state.graphql.rate_limiter  # type: ignore[attr-defined]
        original = limiter.hit

        async def counted(bucket: str, rate):  # type: ignore[no-untyped-def]
            hits.append(bucket)
            return await original(bucket, rate)

        monkeypatch.setattr(limiter, "hit", counted)
        response = await client.post(
            "/export", json={"query": registered}, headers={"accept": accept}
        )
        assert response.status_code == 200
    # One hit per page on the identity's bucket (the per-IP one is not set here).
    assert hits.count(hits[-1]) == pages and hits[-1].startswith("id:")


def test_gateway_export_writes_the_whole_connection_to_a_file(
    database_url: str,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    document = tmp_path / "receivables.graphql"
    document.write_text(DOCUMENT)
    target = tmp_path / "receivables.csv"
    cli = Path(sys.executable).parent / "gateway"
    run = subprocess.run(
        [str(cli), "export", str(document), "--database-url", database_url, "--output", str(target),
         "--variables", '{"filter": {"status": ["OPEN"]}}'],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    table = list(csv.reader(io.StringIO(target.read_text())))
    assert table[0] == ["databaseId", "amount", "dueDate", "status", "boletos"]
    assert table[1:] and {row[3] for row in table[1:]} == {"OPEN"}
    assert f"exported {len(table) - 1} rows" in run.stdout
    assert "rows/s" in run.stderr  # the progress bar


def test_gateway_export_refuses_a_document_that_is_no_report(
    database_url: str,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    import subprocess
    import sys
    from pathlib import Path

    document = tmp_path / "banks.graphql"
    document.write_text("{ banks { name } }")
    cli = Path(sys.executable).parent / "gateway"
    run = subprocess.run(
        [str(cli), "export", str(document), "--database-url", database_url,
         "--output", str(tmp_path / "x.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and "export refused" in run.stderr
    assert not (tmp_path / "x.csv").exists()
