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
from domain.db import writer_bind
from domain.identity import Identity, Role
from domain.reads.batched import Reader
from gateway.http import export as export_module
from gateway.http.app import create_app
from tests.gateway.helpers import DEVELOPMENT_STAFF, bearer, http_client, test_settings

DOCUMENT = """query Export($filter: ReceivableFilter) {
  receivables(filter: $filter, orderBy: [{field: DUE_DATE}]) {
    ... on ReceivableConnection { nodes { databaseId amount dueDate status boletos { ourNumber } } }
  }
}"""


@pytest.fixture(scope="module")
async def registered(engine: AsyncEngine) -> str:
    async with AsyncSession(writer_bind(engine)) as session:
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


FLAT = """query Flat($filter: ReceivableFilter) {
  receivables(filter: $filter, orderBy: [{field: DUE_DATE}]) {
    ... on ReceivableConnection {
      nodes { __typename id databaseId amount paidAmount dueDate status description
              installmentNumber }
    }
  }
}"""


async def test_a_flat_csv_export_rendered_by_postgresql_has_the_generic_bytes(
    engine: AsyncEngine, database_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A flat selection of plain columns is written by PostgreSQL (its page statement selects
    each row's CSV line): the bytes must be those the generic path writes, quoting and nulls
    included, for staff and for a subscriber, whose export holds only its own rows."""
    monkeypatch.setattr(export_module, "PAGE_SIZE", 70)  # several pages
    async with AsyncSession(writer_bind(engine)) as session:
        await save_document(session, body=FLAT, registered=True)
        await session.commit()
    tricky = {0: 'a, "quoted"\r\nsecond line', 1: "", 2: "comma, only", 3: 'a "quote"'}
    async with writer_bind(engine).begin() as connection:
        first = list(
            (
                await connection.execute(
                    select(m.Receivable.id, m.Receivable.description, m.Receivable.customer_id)
                    .order_by(m.Receivable.customer_id, m.Receivable.id)
                    .limit(len(tricky))
                )
            ).all()
        )
        for index, (key, _, _) in enumerate(first):
            await connection.execute(
                m.Receivable.__table__.update()
                .where(m.Receivable.__table__.c.id == key)
                .values(description=tricky[index])
            )
    customer_id = first[0][2]
    statements: list[str] = []
    monkeypatch.setattr(Reader, "observers", [statements.append])
    counts: list[int] = []
    try:
        subscriber = Identity(subject="s", role=Role.SUBSCRIBER, customer_id=customer_id)
        for identity in (DEVELOPMENT_STAFF, subscriber):
            async with http_client(engine, test_settings(database_url), identity) as client:
                answers = []
                for generic in (False, True):
                    if generic:
                        monkeypatch.setattr(export_module, "sql_cells", lambda *_: None)
                    statements.clear()
                    response = await client.post(
                        "/export", json={"query": FLAT}, headers={"accept": "text/csv"}
                    )
                    assert response.status_code == 200, response.text
                    rendered = any(sql.startswith("COPY (") for sql in statements)
                    assert rendered == (not generic and "postgresql" in database_url)
                    answers.append(response.content)
                monkeypatch.undo()
                monkeypatch.setattr(export_module, "PAGE_SIZE", 70)
                monkeypatch.setattr(Reader, "observers", [statements.append])
            assert answers[0] == answers[1]
            table = list(csv.reader(io.StringIO(answers[0].decode(), newline="")))
            assert table[0][:3] == ["__typename", "id", "databaseId"]
            ids = [int(row[2]) for row in table[1:]]
            async with engine.connect() as connection:
                wanted = select(m.Receivable.id).order_by(m.Receivable.due_date, m.Receivable.id)
                if identity is subscriber:
                    wanted = wanted.where(m.Receivable.customer_id == customer_id)
                assert ids == list(await connection.scalars(wanted))
            descriptions = {int(row[2]): row[7] for row in table[1:]}
            assert [descriptions[key] for key, _, _ in first] == list(tricky.values())
            counts.append(len(ids))
        assert counts[1] < counts[0] and counts[0] > 70 * 3  # staff's export: several pages
    finally:
        async with writer_bind(engine).begin() as connection:
            for key, description, _ in first:
                await connection.execute(
                    m.Receivable.__table__.update()
                    .where(m.Receivable.__table__.c.id == key)
                    .values(description=description)
                )


async def test_gateway_export_of_a_flat_selection_writes_the_generic_bytes(
    engine: AsyncEngine, database_url: str, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import sys
    from pathlib import Path

    document = tmp_path / "flat.graphql"
    document.write_text(FLAT)
    target = tmp_path / "flat.csv"
    cli = Path(sys.executable).parent / "gateway"
    process = await asyncio.create_subprocess_exec(
        str(cli), "export", str(document), "--database-url", database_url,
        "--output", str(target), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr
    async with AsyncSession(writer_bind(engine)) as session:
        await save_document(session, body=FLAT, registered=True)
        await session.commit()
    monkeypatch.setattr(export_module, "sql_cells", lambda *_: None)  # the generic path
    async with http_client(engine, test_settings(database_url)) as client:
        generic = await client.post("/export", json={"query": FLAT}, headers={"accept": "text/csv"})
    assert target.read_bytes() == generic.content
    rows = len(list(csv.reader(io.StringIO(generic.text, newline="")))) - 1
    assert f"exported {rows} rows" in stdout.decode()


def test_postgresql_csv_batches_become_python_csv_rows() -> None:
    rows = [["1", "10.00", "2026-01-01", "OPEN", "plain"], ["2", "", "2026-01-02", "PAID", ""]]
    quoted = [["3", "1.00", "2026-01-03", "OPEN", 'a, "b"\r\nc'], ["4", "", "", "", "x\ny"]]
    for table, batch in (
        (rows, b"1,10.00,2026-01-01,OPEN,plain\n2,,2026-01-02,PAID,\n"),
        (quoted, b'3,1.00,2026-01-03,OPEN,"a, ""b""\r\nc"\n4,,,,"x\ny"\n'),
    ):
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(table)
        assert export_module.crlf_lines(batch) == (out.getvalue().encode(), 2)
