"""The read benchmark: compiled path, standard path and the hand-written floor, in one run.

Seeds PostgreSQL and a SQLite file (`gateway seed --customers 10000 --seed 42`, once each),
starts each target with uvicorn on loopback, checks that every target answers the same bytes,
then drives each with wrk for several interleaved rounds and prints one line per target:
req/s, p50, p99, server CPU ms per request, statements per request, peak RSS and the ratios to
the same database's floor.

    bench/run   (or: .venv/bin/python bench/run.py [--rounds 3] [--seconds 5]
                                                   [--databases postgresql,sqlite])
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUERY = (ROOT / "bench" / "query.graphql").read_text()
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "gw_bench_10000_42"
SQLITE_FILE = ROOT / "var" / "bench" / f"{DATABASE}.sqlite3"
JWT_SECRET = "benchmark-only-secret-0123456789abcdef"


def staff_token() -> str:
    """A staff token holding every permission: the caller the compiled path serves."""
    import jwt

    from domain.identity import Permission

    now = int(time.time())
    claims = {
        "iss": "isp-gateway", "aud": "isp-gateway", "iat": now, "exp": now + 3600,
        "sub": "benchmark", "role": "staff", "permissions": sorted(p.name for p in Permission),
    }  # fmt: skip
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


async def ensure_database() -> None:
    """Creates and seeds the benchmark database once; later runs reuse it."""
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    # An existing database from an earlier run is brought to the current schema first.
    subprocess.run(  # noqa: ASYNC221 - runs alone, before any server
        [PYTHON, "-m", "gateway.cli", "migrate", "--database-url", database_url()],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    conn = await asyncpg.connect(database_url())
    try:
        seeded = await conn.fetchval("SELECT to_regclass('customer') IS NOT NULL")
        count = await conn.fetchval("SELECT count(*) FROM customer") if seeded else 0
    finally:
        await conn.close()
    if count != 10000:
        if count:
            raise SystemExit(f"{DATABASE} holds {count} customers; drop it and run again")
        started = time.perf_counter()
        subprocess.run(  # noqa: ASYNC221 - the seed runs alone, before any server
            [PYTHON, "-m", "gateway.cli", "seed", "--customers", "10000", "--seed", "42",
             "--database-url", database_url()],
            check=True, cwd=ROOT,
        )  # fmt: skip
        print(f"seeded 10000 customers in {time.perf_counter() - started:.1f} s", flush=True)


def sqlite_url() -> str:
    return f"sqlite:///{SQLITE_FILE}"


def ensure_sqlite() -> None:
    """The same 10,000 customers in an embedded SQLite file, seeded once."""
    SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [PYTHON, "-m", "gateway.cli", "migrate", "--database-url", sqlite_url()],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with sqlite3.connect(SQLITE_FILE) as conn:
        count = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    if count != 10000:
        if count:
            raise SystemExit(f"{SQLITE_FILE} holds {count} customers; delete it and run again")
        started = time.perf_counter()
        subprocess.run(
            [PYTHON, "-m", "gateway.cli", "seed", "--customers", "10000", "--seed", "42",
             "--database-url", sqlite_url()],
            check=True, cwd=ROOT,
        )  # fmt: skip
        print(f"seeded SQLite in {time.perf_counter() - started:.1f} s", flush=True)


@dataclass
class Target:
    name: str
    database: str  # postgresql | sqlite
    command: list[str]
    env: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    results: list[dict[str, float]] = field(default_factory=list)
    statements: int | None = None
    rss: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [part.replace("{port}", str(self.port)) for part in self.command],
            cwd=ROOT, env={**os.environ, **self.env}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def pids(self) -> list[int]:
        assert self.process is not None
        found = [self.process.pid]
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text().split()
                except OSError:
                    continue
                if int(stat[3]) in found:
                    found.append(int(pid))
        return found

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(stat[11]) + int(stat[12])  # utime + stime
        return total / ticks

    def peak_rss_mb(self) -> float:
        peak = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                peak += int(match.group(1))
        return peak / 1024

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_ready(target: Target) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            response = httpx.post(
                target.url, json={"query": QUERY}, headers=target.headers, timeout=5
            )
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert target.process is not None
        if target.process.poll() is not None:
            raise SystemExit(
                f"{target.name} exited: {target.process.stderr.read().decode()[-2000:]}"
            )  # type: ignore[union-attr]
        time.sleep(0.3)
    raise SystemExit(f"{target.name} did not start")


def wrk(target: Target, seconds: int, connections: int, script: Path) -> dict[str, float]:
    header_args = [arg for k, v in target.headers.items() for arg in ("-H", f"{k}: {v}")]
    before = target.cpu_seconds()
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         *header_args, target.url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    cpu = target.cpu_seconds() - before
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{target.name}: {non_2xx.group(1)} failed responses")

    def millis(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", output)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {
        "rps": requests / seconds,
        "p50": millis("50"),
        "p99": millis("99"),
        "cpu_ms": 1000 * cpu / max(requests, 1),
    }


def count_statements(url: str) -> dict[str, int]:
    """Statements one benchmark request runs on each path, counted in-process."""
    from sqlalchemy import event

    from domain.reads.batched import Reader
    from gateway.http.app import create_app
    from gateway.settings import Settings

    sys.path.insert(0, str(ROOT / "bench"))
    import floor

    async def gateway_counts() -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, compiled in (("compiled", True), ("standard", False)):
            app = create_app(
                Settings(database_url=url, compiled_reads=compiled, jwt_secret=JWT_SECRET)
            )
            engine = app.state.runtime.engine
            seen: list[str] = []

            def record(*args: Any, seen: list[str] = seen) -> None:
                seen.append(args[2])

            event.listen(engine.sync_engine, "before_cursor_execute", record)
            Reader.observers.append(seen.append)
            try:
                transport = httpx.ASGITransport(app=app)
                headers = {"Authorization": f"Bearer {staff_token()}"}
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://x", headers=headers
                ) as client:
                    await client.post("/graphql", json={"query": QUERY})  # warm-up
                    seen.clear()
                    await client.post("/graphql", json={"query": QUERY})
            finally:
                Reader.observers.remove(seen.append)
                await engine.dispose()
            counts[name] = len(seen)
        return counts

    async def floor_count() -> int:
        database = floor.Postgres(url) if url.startswith("postgresql") else floor.Sqlite(url)
        await database.open()
        try:
            await floor.answer(database)
        finally:
            await database.close()
        return database.statements

    counts = asyncio.run(gateway_counts())
    counts["floor"] = asyncio.run(floor_count())
    counts["compiled x2 workers"] = counts["compiled"]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--databases", default="postgresql,sqlite")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    databases = args.databases.split(",")
    urls = {}
    if "postgresql" in databases:
        asyncio.run(ensure_database())
        urls["postgresql"] = database_url()
    if "sqlite" in databases:
        ensure_sqlite()
        urls["sqlite"] = sqlite_url()
    gateway = [PYTHON, "-m", "uvicorn", "gateway.http.asgi:app", "--host", "127.0.0.1",
               "--log-level", "warning", "--no-access-log", "--port", "{port}"]  # fmt: skip
    base_env = {
        "GATEWAY_ENV": "production",
        "GATEWAY_JWT_SECRET": JWT_SECRET,
        # The load comes from one address and one identity: no rate limit applies here.
        "GATEWAY_RATE_LIMIT_PER_IP": "0",
        "GATEWAY_RATE_LIMIT_PER_IDENTITY": "0",
        "GATEWAY_OUTBOX_WORKER": "off",
    }
    auth = {"Authorization": f"Bearer {staff_token()}"}
    targets: list[Target] = []
    for database, url in urls.items():
        suffix = "" if database == "postgresql" else " (SQLite)"
        env = {**base_env, "GATEWAY_DATABASE_URL": url}
        standard_env = {**env, "GATEWAY_COMPILED_READS": "0"}
        targets += [
            Target("floor" + suffix, database, [PYTHON, "bench/floor.py", url, "{port}"], {}),
            Target("compiled" + suffix, database, gateway, env, auth),
            Target("standard" + suffix, database, gateway, standard_env, auth),
        ]
        if database == "postgresql":
            # One SQLite file serves one process; more workers are a PostgreSQL deployment.
            targets.append(
                Target("compiled x2 workers", database, [*gateway, "--workers", "2"], env, auth)
            )
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        body = json.dumps({"query": QUERY})
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        try:
            for target in targets:
                target.port = free_port()
                target.start()
            for target in targets:
                wait_ready(target)
            answers = {
                t.name: httpx.post(t.url, json={"query": QUERY}, headers=t.headers).content
                for t in targets
            }
            reference = answers[targets[2].name]  # the first database's standard path
            for name, answer in answers.items():
                if answer != reference:
                    raise SystemExit(f"{name} answers differently from {targets[2].name}")
            print(f"all targets answer the same {len(reference)} bytes", flush=True)
            statements = {database: count_statements(url) for database, url in urls.items()}
            for target in targets:
                target.statements = statements[target.database][target.name.split(" (")[0]]
                wrk(target, 2, args.connections, script)  # warm-up
            for round_number in range(args.rounds):
                for target in targets:
                    target.results.append(wrk(target, args.seconds, args.connections, script))
                print(f"round {round_number + 1}/{args.rounds} done", flush=True)
            for target in targets:
                target.rss = target.peak_rss_mb()
        finally:
            for target in targets:
                target.stop()
    print()
    print(
        "| target | req/s | p50 ms | p99 ms | CPU ms/req | statements/req | peak RSS MB "
        "| req/s vs floor | p99 vs floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    floors = {t.database: t for t in targets if t.name.startswith("floor")}
    for target in targets:
        floor_results = floors[target.database].results
        floor_rps = statistics.median(r["rps"] for r in floor_results)
        floor_p99 = statistics.median(r["p99"] for r in floor_results)
        median = {k: statistics.median(r[k] for r in target.results) for k in target.results[0]}
        print(
            f"| {target.name} | {median['rps']:.0f} | {median['p50']:.2f} | {median['p99']:.2f} | "
            f"{median['cpu_ms']:.2f} | {target.statements} | {target.rss:.0f} | "
            f"{median['rps'] / floor_rps:.2f} | {median['p99'] / floor_p99:.2f} |"
        )
    print(
        f"\n{args.rounds} interleaved rounds of {args.seconds} s, wrk -t1 -c{args.connections}, "
        "medians; one uvicorn worker unless noted; ratios against the same database's floor."
    )


if __name__ == "__main__":
    main()
