"""The reporting benchmark (issue 18): grouped sums, deep keyset pages and the streamed export,
each against a hand-written floor measured in the same run.

- grouped sums: `receivablesAggregate(groupBy: [STATUS, DUE_MONTH])` over every receivable,
  through a gateway on loopback, against the same GROUP BY run on the driver (asyncpg, or
  sqlite3) and encoded with orjson;
- deep pages: `receivables(first: 100, after: <cursor of row N>)` for the deepest page the
  data holds, against page 1 through the same gateway (offsets grew linearly with N);
- export: `POST /export` of every receivable as CSV, rows/s against PostgreSQL's own
  `COPY (SELECT ...) TO STDOUT (FORMAT csv)`, and the gateway process's peak RSS, on the
  10,000-customer database and, with `--large DATABASE`, on a larger one (e.g. 100,000).

    .venv/bin/python bench/reports.py [--repeat 30] [--databases postgresql,sqlite]
                                      [--large seed100k]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    ADMIN_URL,
    JWT_SECRET,
    PYTHON,
    ROOT,
    Server,
    database_url,
    ensure_database,
    ensure_sqlite,
    free_port,
    sqlite_url,
    token,
)

AGGREGATE = """{ receivablesAggregate(groupBy: [STATUS, DUE_MONTH]) {
  ... on ReceivableAggregate {
    groups { key { status dueMonth } count sum { amount paidAmount } avg { amount } }
  } } }"""
PAGE = """query ($after: String) {
  receivables(first: 100, after: $after, orderBy: [{field: DUE_DATE}]) {
    ... on ReceivableConnection { pageInfo { endCursor } nodes { databaseId amount dueDate } }
  } }"""
EXPORT = """query Everything {
  receivables(orderBy: [{field: DUE_DATE}]) {
    ... on ReceivableConnection { nodes { databaseId amount dueDate status description } }
  } }"""
GROUP_BY_PG = """SELECT status, date_trunc('month', due_date)::date AS month, count(*),
  sum(amount), sum(paid_amount), avg(amount)
  FROM receivable GROUP BY 1, 2 ORDER BY 1, 2"""
GROUP_BY_SQLITE = """SELECT status, strftime('%Y-%m-01', due_date) AS month, count(*),
  sum(amount), sum(paid_amount), avg(amount)
  FROM receivable GROUP BY 1, 2 ORDER BY 1, 2"""
COPY = """COPY (SELECT id, amount, due_date, status, description FROM receivable
  ORDER BY due_date, id) TO STDOUT (FORMAT csv, HEADER)"""


def _money(value: Any) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


async def floor_group_by_pg(url: str, repeat: int) -> list[float]:
    """The hand-written GROUP BY on asyncpg, its rows encoded as the answer's JSON."""
    conn = await asyncpg.connect(url)
    times = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            rows = await conn.fetch(GROUP_BY_PG)
            orjson.dumps([
                {"key": {"status": r[0], "dueMonth": r[1]}, "count": r[2],
                 "sum": {"amount": _money(r[3]), "paidAmount": _money(r[4])},
                 "avg": {"amount": _money(r[5])}}
                for r in rows
            ])  # fmt: skip
            times.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return times


def floor_group_by_sqlite(path: str, repeat: int) -> list[float]:
    conn = sqlite3.connect(path)
    times = []
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            rows = conn.execute(GROUP_BY_SQLITE).fetchall()
            orjson.dumps([
                {"key": {"status": r[0], "dueMonth": r[1]}, "count": r[2],
                 "sum": {"amount": _money(r[3]), "paidAmount": _money(r[4])},
                 "avg": {"amount": _money(r[5])}}
                for r in rows
            ])  # fmt: skip
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
    return times


def timed_posts(client: httpx.Client, url: str, body: dict[str, Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.post(url, json=body)
        response.raise_for_status()
        assert "errors" not in response.json(), response.text[:500]
        times.append(time.perf_counter() - started)
    return times


def ordering_of_pages(client: httpx.Client, url: str) -> str:
    """The ordering a cursor of the receivables page carries (the gateway's own, read back
    from page 1's end cursor), to make the cursor of a deep row as a client paging there would
    hold it."""
    from gateway.schema import keyset

    answer = client.post(url, json={"query": PAGE}).json()
    ordering, _values = keyset._opened(answer["data"]["receivables"]["pageInfo"]["endCursor"])
    return ordering


async def _row_key_pg(url: str, offset: int) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT due_date, id FROM receivable ORDER BY due_date, id OFFSET $1 LIMIT 1", offset
        )
    finally:
        await conn.close()
    return [row[0], row[1]]


def _row_key_sqlite(path: str, offset: int) -> list[Any]:
    with sqlite3.connect(path) as conn:
        due, key = conn.execute(
            "SELECT due_date, id FROM receivable ORDER BY due_date, id LIMIT 1 OFFSET ?",
            (offset,),
        ).fetchone()
    return [dt.date.fromisoformat(due), key]


def register_export(url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "export.graphql"
        document.write_text(EXPORT)
        import subprocess

        subprocess.run(
            [PYTHON, "-m", "gateway.cli", "documents", "register", str(document),
             "--database-url", url],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip


def timed_export(client: httpx.Client, base: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = 0
    with client.stream(
        "POST", f"{base}/export", json={"query": EXPORT}, headers={"accept": "text/csv"}
    ) as response:
        response.raise_for_status()
        # Line ends counted in the raw bytes, as COPY's are (no line split in Python).
        rows = sum(chunk.count(b"\n") for chunk in response.iter_raw())
    return time.perf_counter() - started, rows - 1  # less the header


async def timed_copy(url: str) -> tuple[float, int]:
    conn = await asyncpg.connect(url)
    try:
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            await conn.copy_from_query(COPY.removeprefix("COPY (").split(") TO STDOUT")[0],
                                       output=out, format="csv", header=True)  # fmt: skip
            elapsed = time.perf_counter() - started
            out.seek(0)
            rows = sum(1 for _ in out) - 1
    finally:
        await conn.close()
    return elapsed, rows


def start_gateway(url: str) -> Server:
    env = {
        "GATEWAY_ENV": "production",
        "GATEWAY_JWT_SECRET": JWT_SECRET,
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_RATE_LIMIT_PER_IP": "0",
        "GATEWAY_RATE_LIMIT_PER_IDENTITY": "0",
        "GATEWAY_OUTBOX_WORKER": "off",
    }
    command = [PYTHON, "-m", "uvicorn", "gateway.http.asgi:app", "--host", "127.0.0.1",
               "--log-level", "warning", "--no-access-log", "--port", "{port}"]  # fmt: skip
    target = Server("gateway", "", command, env, port=free_port())
    log_folder = ROOT / "var" / "bench" / "logs"
    log_folder.mkdir(parents=True, exist_ok=True)
    target.start(log_folder)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{target.port}/healthz", timeout=2).raise_for_status()
            return target
        except httpx.HTTPError:
            time.sleep(0.2)
    target.stop()
    raise SystemExit("the gateway did not start")


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def measure(database: str, url: str, repeat: int) -> dict[str, Any]:
    register_export(url)
    target = start_gateway(url)
    base = f"http://127.0.0.1:{target.port}"
    headers = {"Authorization": f"Bearer {token()}"}
    result: dict[str, Any] = {"database": database}
    try:
        with httpx.Client(headers=headers, timeout=600) as client:
            graphql = f"{base}/graphql"
            # Warm both sides once, then interleave the rounds.
            timed_posts(client, graphql, {"query": AGGREGATE}, 2)
            gateway_times: list[float] = []
            floor_times: list[float] = []
            for _ in range(3):
                gateway_times += timed_posts(client, graphql, {"query": AGGREGATE}, repeat)
                if database == "postgresql":
                    floor_times += asyncio.run(floor_group_by_pg(url, repeat))
                else:
                    floor_times += floor_group_by_sqlite(url.removeprefix("sqlite:///"), repeat)
            result["grouped_ms"] = median_ms(gateway_times)
            result["group_by_floor_ms"] = median_ms(floor_times)

            rows = (
                asyncio.run(_count_pg(url))
                if database == "postgresql"
                else _count_sqlite(url.removeprefix("sqlite:///"))
            )
            ordering = ordering_of_pages(client, graphql)
            pages = rows // 100 - 1  # the deepest full page after this many pages
            offset = pages * 100 - 1
            key = (
                asyncio.run(_row_key_pg(url, offset))
                if database == "postgresql"
                else _row_key_sqlite(url.removeprefix("sqlite:///"), offset)
            )
            from gateway.schema import keyset

            cursor = keyset.encode(ordering, key)
            first_times: list[float] = []
            deep_times: list[float] = []
            for _ in range(3):
                first_times += timed_posts(client, graphql, {"query": PAGE}, repeat)
                deep_times += timed_posts(
                    client, graphql, {"query": PAGE, "variables": {"after": cursor}}, repeat
                )
            result["page1_ms"] = median_ms(first_times)
            result["deep_page"] = pages + 1
            result["deep_ms"] = median_ms(deep_times)

            elapsed, exported = timed_export(client, base)
            result["export_rows"] = exported
            result["export_rows_s"] = exported / elapsed
            if database == "postgresql":
                copy_elapsed, copied = asyncio.run(timed_copy(url))
                assert copied == exported, (copied, exported)
                result["copy_rows_s"] = copied / copy_elapsed
        result["peak_rss_mb"] = target.peak_rss_mb()
    finally:
        target.stop()
    return result


def measure_export_only(url: str) -> dict[str, Any]:
    """The export of a larger database: rows/s against COPY, and the gateway's peak RSS."""
    register_export(url)
    target = start_gateway(url)
    headers = {"Authorization": f"Bearer {token()}"}
    try:
        with httpx.Client(headers=headers, timeout=1800) as client:
            elapsed, exported = timed_export(client, f"http://127.0.0.1:{target.port}")
        copy_elapsed, copied = asyncio.run(timed_copy(url))
        assert copied == exported, (copied, exported)
        return {
            "export_rows": exported,
            "export_rows_s": exported / elapsed,
            "copy_rows_s": copied / copy_elapsed,
            "peak_rss_mb": target.peak_rss_mb(),
        }
    finally:
        target.stop()


async def _count_pg(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM receivable"))
    finally:
        await conn.close()


def _count_sqlite(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM receivable").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per round")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--large", help="a larger seeded PostgreSQL database for the export")
    args = parser.parse_args()
    os.chdir(ROOT)
    results = []
    for database in args.databases.split(","):
        if database == "postgresql":
            asyncio.run(ensure_database())
            results.append(measure(database, database_url(), args.repeat))
        else:
            ensure_sqlite()
            results.append(measure(database, sqlite_url(), args.repeat))
    print("| database | grouped sums ms | GROUP BY floor ms | ratio | page 1 ms | deep page | "
          "deep ms | ratio | export rows/s | COPY rows/s | ratio | peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        copy = r.get("copy_rows_s")
        copy_text = "" if copy is None else f"{copy:,.0f}"
        copy_ratio = "" if copy is None else f"{r['export_rows_s'] / copy:.2f}"
        print(
            f"| {r['database']} | {r['grouped_ms']:.2f} | {r['group_by_floor_ms']:.2f} | "
            f"{r['grouped_ms'] / r['group_by_floor_ms']:.2f} | {r['page1_ms']:.2f} | "
            f"{r['deep_page']} | {r['deep_ms']:.2f} | {r['deep_ms'] / r['page1_ms']:.2f} | "
            f"{r['export_rows_s']:,.0f} | {copy_text} | {copy_ratio} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    if args.large:
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{args.large}"
        import subprocess

        subprocess.run(
            [PYTHON, "-m", "gateway.cli", "migrate", "--database-url", url],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        large = measure_export_only(url)
        print(
            f"\nexport of {args.large}: {large['export_rows']:,} rows, "
            f"{large['export_rows_s']:,.0f} rows/s vs COPY {large['copy_rows_s']:,.0f} rows/s "
            f"({large['export_rows_s'] / large['copy_rows_s']:.2f}), "
            f"peak RSS {large['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
