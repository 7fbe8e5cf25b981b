"""The benchmark: five workloads, each against its own hand-written floor, in one run.

Seeds PostgreSQL and a SQLite file (`gateway seed --customers 10000 --seed 42`, once each),
starts the floor (bench/floor.py), the gateway on its compiled path and the gateway on its
standard path (and, on PostgreSQL, the compiled gateway with two workers for the staff page)
with uvicorn on loopback, checks that every target answers each workload with the same bytes,
then drives each (workload, target) with wrk in interleaved rounds and prints one line each:
req/s, p50, p99, server CPU ms per request, statements per request, peak RSS and the ratios
to the same database's floor for that workload.

Workloads: the staff's customers page (bench/query.graphql), the staff's small customer read
(staff_small.graphql), the subscriber's home screen (subscriber_home.graphql, `me` as that
customer), the reseller's panel (reseller_panel.graphql, `me` as that reseller), a mutation
and its payload (mutation.graphql: changePlanStatus to SUSPENDED and back, over 64 plans in
turn) and the fixed per-request cost (`{ __typename }`).

    bench/run   (or: .venv/bin/python bench/run.py [--rounds 3] [--seconds 5]
                     [--databases postgresql,sqlite] [--workloads staff-page,...]
                     [--targets floor,compiled,standard])
"""

import argparse
import asyncio
import datetime as dt
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
from urllib.parse import urlencode

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GATEWAY = str(Path(PYTHON).parent / "gateway")  # the CLI of the same environment
BENCH = ROOT / "bench"
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Another name keeps a branch's benchmark off a database another branch has migrated.
DATABASE = os.environ.get("BENCH_DATABASE", "gw_bench_10000_42")
SQLITE_FILE = ROOT / "var" / "bench" / f"{DATABASE}.sqlite3"
JWT_SECRET = "benchmark-only-secret-0123456789abcdef"


def token(role: str = "staff", **keys: int) -> str:
    """A token for the workload's caller: staff holding every permission, or a subscriber
    (customer_id) or a reseller (reseller_id)."""
    import jwt

    from domain.identity import Permission

    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "isp-gateway", "aud": "isp-gateway", "iat": now, "exp": now + 7200,
        "sub": f"benchmark-{role}", "role": role, **keys,
    }  # fmt: skip
    if role == "staff":
        claims["permissions"] = sorted(p.name for p in Permission)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


@dataclass
class Workload:
    """One request shape, as the gateway and as its floor are asked for it."""

    name: str
    document: str
    variables: dict[str, Any]
    floor_path: str  # the floor's URL path and query string
    token: str
    plans: list[int] = field(default_factory=list)  # a mutation's plans, one per request in turn

    def body(self, plan: int | None = None) -> bytes:
        variables = dict(self.variables)
        if plan is not None:
            variables["id"] = str(plan)
        return json.dumps({"query": self.document, "variables": variables}).encode()


def _first(rows: list[Any], what: str) -> Any:
    if not rows:
        raise SystemExit(f"the benchmark database has no {what}")
    return rows[0][0]


SUBJECTS = {
    # Two plans and open receivables: a typical customer at the front desk.
    "staff small": """SELECT customer_id FROM plan GROUP BY customer_id HAVING count(*) = 2
        AND customer_id IN (SELECT customer_id FROM receivable WHERE status = 'OPEN')
        ORDER BY customer_id LIMIT 1""",
    # TV, open receivables with boletos and tickets: every part of the home screen.
    "subscriber home": """SELECT p.customer_id FROM plan p
        JOIN tv_package_subscription t ON t.plan_id = p.id
        WHERE p.customer_id IN (SELECT r.customer_id FROM receivable r
                                JOIN boleto b ON b.receivable_id = r.id WHERE r.status = 'OPEN')
          AND p.customer_id IN (SELECT customer_id FROM ticket)
        ORDER BY p.customer_id LIMIT 1""",
    "reseller panel": """SELECT reseller_id FROM voice_subscriber GROUP BY reseller_id
        ORDER BY count(*) DESC, reseller_id LIMIT 1""",
    "mutation + payload": """SELECT id FROM plan WHERE status = 'ACTIVE'
        AND speed_state = 'NORMAL' AND speed_restored_until IS NULL AND enabled_until IS NULL
        ORDER BY id LIMIT 64""",
}
DOCUMENTS = {
    name: (BENCH / f"{name}.graphql").read_text()
    for name in ("query", "staff_small", "subscriber_home", "reseller_panel", "mutation")
}
FIRST_CALL = """SELECT min(c.started_at) FROM call_record c
    JOIN voice_line l ON l.id = c.voice_line_id
    JOIN voice_subscriber s ON s.id = l.subscriber_id WHERE s.reseller_id = {reseller}"""


async def workloads(url: str) -> list[Workload]:
    """The workloads on one database, their subjects chosen from its rows."""
    if url.startswith("postgresql"):
        conn = await asyncpg.connect(url)
        try:
            rows = {name: list(await conn.fetch(sql)) for name, sql in SUBJECTS.items()}
            reseller = _first(rows["reseller panel"], "voice reseller")
            first_call = await conn.fetchval(FIRST_CALL.format(reseller=reseller))
        finally:
            await conn.close()
    else:
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            rows = {name: conn.execute(sql).fetchall() for name, sql in SUBJECTS.items()}
            reseller = _first(rows["reseller panel"], "voice reseller")
            first_call = conn.execute(FIRST_CALL.format(reseller=reseller)).fetchone()[0]
            first_call = dt.datetime.fromisoformat(first_call).replace(tzinfo=dt.UTC)
    staff = token()
    customer = _first(rows["staff small"], "customer with two plans")
    subscriber = _first(rows["subscriber home"], "customer with TV, boletos and tickets")
    start = first_call.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    period = {"start": start.isoformat(), "end": (start + dt.timedelta(days=300)).isoformat()}
    plans = [row[0] for row in rows["mutation + payload"]]
    if len(plans) < 64:
        raise SystemExit("the benchmark database has fewer than 64 active plans")
    return [
        Workload("staff page", DOCUMENTS["query"], {}, "/staff-page", staff),
        Workload(
            "staff small",
            DOCUMENTS["staff_small"],
            {"id": str(customer)},
            f"/staff-small?customer={customer}",
            staff,
        ),
        Workload(
            "subscriber home",
            DOCUMENTS["subscriber_home"],
            {},
            f"/subscriber-home?customer={subscriber}",
            token("subscriber", customer_id=subscriber),
        ),
        Workload(
            "reseller panel",
            DOCUMENTS["reseller_panel"],
            {"period": period},
            "/reseller-panel?"
            + urlencode({"reseller": reseller, "start": period["start"], "end": period["end"]}),
            token("reseller", reseller_id=reseller),
        ),
        Workload(
            "mutation + payload",
            DOCUMENTS["mutation"],
            {},
            "/mutation",
            staff,
            plans,
        ),
        Workload("fixed cost", "{ __typename }", {}, "/fixed-cost", staff),
    ]


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
        [GATEWAY, "migrate", "--database-url", database_url()],
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
            [GATEWAY, "seed", "--customers", "10000", "--seed", "42",
             "--today", "2026-01-01",
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
        [GATEWAY, "migrate", "--database-url", sqlite_url()],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with sqlite3.connect(SQLITE_FILE) as conn:
        count = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    if count != 10000:
        if count:
            raise SystemExit(f"{SQLITE_FILE} holds {count} customers; delete it and run again")
        started = time.perf_counter()
        subprocess.run(
            [GATEWAY, "seed", "--customers", "10000", "--seed", "42",
             "--today", "2026-01-01",
             "--database-url", sqlite_url()],
            check=True, cwd=ROOT,
        )  # fmt: skip
        print(f"seeded SQLite in {time.perf_counter() - started:.1f} s", flush=True)


@dataclass
class Server:
    """A process under test: the floor, or the gateway on one of its paths."""

    name: str  # floor | compiled | standard | compiled x2 workers
    database: str  # postgresql | sqlite
    command: list[str]
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    rss: float = 0.0
    log: Path = Path("/dev/null")

    @property
    def floor(self) -> bool:
        return self.name == "floor"

    def url(self, workload: Workload) -> str:
        path = workload.floor_path if self.floor else "/graphql"
        return f"http://127.0.0.1:{self.port}{path}"

    def headers(self, workload: Workload) -> dict[str, str]:
        if self.floor:
            return {"Content-Type": "application/json"}
        return {"Content-Type": "application/json", "Authorization": f"Bearer {workload.token}"}

    def start(self, log_folder: Path) -> None:
        # Its log lines (an access line per request) go to a file: a pipe nobody reads would
        # fill up and stop the server.
        self.log = log_folder / f"{re.sub(r'[^a-z0-9]+', '-', self.name.lower())}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [part.replace("{port}", str(self.port)) for part in self.command],
                cwd=ROOT, env={**os.environ, **self.env}, start_new_session=True,
                stdout=subprocess.DEVNULL, stderr=sink,
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


@dataclass
class Measure:
    """One workload on one server: its rounds, statements per request and answer."""

    workload: Workload
    server: Server
    script: Path
    results: list[dict[str, float]] = field(default_factory=list)
    statements: int | None = None


def wait_ready(server: Server, workload: Workload) -> None:
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            response = httpx.post(
                server.url(workload), content=workload.body(), headers=server.headers(workload),
                timeout=5,
            )  # fmt: skip
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.process is not None
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited: {server.log.read_text()[-2000:]}")
        time.sleep(0.3)
    raise SystemExit(f"{server.name} did not start")


def lua_script(folder: Path, workload: Workload, name: str) -> Path:
    """wrk's request script: the workload's body, or a mutation's body for each plan in turn."""
    script = folder / f"{name}.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    if workload.plans:
        bodies = ", ".join(json.dumps(workload.body(plan).decode()) for plan in workload.plans)
        lines += [
            f"local bodies = {{{bodies}}}",
            "local turn = 0",
            "request = function()",
            "  turn = turn % #bodies + 1",
            "  return wrk.format(nil, nil, nil, bodies[turn])",
            "end",
        ]
    else:
        lines.append(f"wrk.body = {json.dumps(workload.body().decode())}")
    script.write_text("\n".join(lines) + "\n")
    return script


def wrk(measure: Measure, seconds: int, connections: int) -> dict[str, float]:
    server, workload = measure.server, measure.workload
    headers = {k: v for k, v in server.headers(workload).items() if k != "Content-Type"}
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    before = server.cpu_seconds()
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
         str(measure.script), *header_args, server.url(workload)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    cpu = server.cpu_seconds() - before
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{server.name}, {workload.name}: {non_2xx.group(1)} failed responses")

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


def count_statements(url: str, chosen: list[Workload]) -> dict[tuple[str, str], int]:
    """Statements one request of each workload runs on each path, counted in-process."""
    from sqlalchemy import event

    from domain.reads.batched import Reader
    from gateway.http.app import create_app
    from gateway.settings import Settings

    sys.path.insert(0, str(BENCH))
    import floor

    counts: dict[tuple[str, str], int] = {}

    async def gateway_counts() -> None:
        for name, compiled in (("compiled", True), ("standard", False)):
            settings = Settings(
                database_url=url, compiled_reads=compiled, jwt_secret=JWT_SECRET,
                outbox_worker="off",
            )  # fmt: skip
            app = create_app(settings)
            engine = app.state.runtime.engine
            seen: list[str] = []

            def record(*args: Any, seen: list[str] = seen) -> None:
                seen.append(args[2])

            event.listen(engine.sync_engine, "before_cursor_execute", record)
            Reader.observers.append(seen.append)
            try:
                async with app.router.lifespan_context(app):
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(
                        transport=transport, base_url="http://x"
                    ) as client:
                        for workload in chosen:
                            headers = {
                                "Authorization": f"Bearer {workload.token}",
                                "Content-Type": "application/json",
                            }
                            plan = workload.plans[0] if workload.plans else None
                            await client.post(
                                "/graphql", content=workload.body(plan), headers=headers
                            )
                            seen.clear()
                            await client.post(
                                "/graphql", content=workload.body(plan), headers=headers
                            )
                            counts[(workload.name, name)] = len(seen)
            finally:
                Reader.observers.remove(seen.append)
                await engine.dispose()

    async def floor_counts() -> None:
        database = floor.Postgres(url) if url.startswith("postgresql") else floor.Sqlite(url)
        await database.open()
        try:
            for workload in chosen:
                path, _, query = workload.floor_path.partition("?")
                plan = workload.plans[0] if workload.plans else None
                before = database.statements
                await floor.answer(database, path, query, workload.body(plan))
                counts[(workload.name, "floor")] = database.statements - before
        finally:
            await database.close()

    asyncio.run(gateway_counts())
    asyncio.run(floor_counts())
    for workload in chosen:
        counts[(workload.name, "compiled x2 workers")] = counts[(workload.name, "compiled")]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--workloads", default="", help="names to run, comma-separated (all)")
    parser.add_argument("--targets", default="floor,compiled,standard,compiled x2 workers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    databases = args.databases.split(",")
    wanted_targets = args.targets.split(",")
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
    servers: list[Server] = []
    chosen: dict[str, list[Workload]] = {}
    for database, url in urls.items():
        every = asyncio.run(workloads(url))
        names = set(args.workloads.split(",")) if args.workloads else {w.name for w in every}
        chosen[database] = [
            w for w in every if w.name.replace(" ", "-") in {n.replace(" ", "-") for n in names}
        ]
        env = {**base_env, "GATEWAY_DATABASE_URL": url}
        servers += [
            Server("floor", database, [PYTHON, "bench/floor.py", url, "{port}"], {}),
            Server("compiled", database, gateway, env),
            Server("standard", database, gateway, {**env, "GATEWAY_COMPILED_READS": "0"}),
        ]
        if database == "postgresql":
            # One SQLite file serves one process; more workers are a PostgreSQL deployment.
            servers.append(
                Server("compiled x2 workers", database, [*gateway, "--workers", "2"], env)
            )
    servers = [s for s in servers if s.name in wanted_targets or s.floor]
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            for server in servers:
                server.port = free_port()
                server.start(Path(folder))
            for server in servers:
                wait_ready(server, chosen[server.database][-1])
            for database in urls:
                for index, workload in enumerate(chosen[database]):
                    script = lua_script(Path(folder), workload, f"{database}-{index}")
                    for server in servers:
                        if server.database != database:
                            continue
                        if server.name == "compiled x2 workers" and workload.name != "staff page":
                            continue
                        measures.append(Measure(workload, server, script))
            check_answers(measures)
            statements = {db: count_statements(url, chosen[db]) for db, url in urls.items()}
            for measure in measures:
                key = (measure.workload.name, measure.server.name)
                measure.statements = statements[measure.server.database][key]
                wrk(measure, 1, args.connections)  # warm-up
            for round_number in range(args.rounds):
                for measure in measures:
                    measure.results.append(wrk(measure, args.seconds, args.connections))
                print(f"round {round_number + 1}/{args.rounds} done", flush=True)
            for server in servers:
                server.rss = server.peak_rss_mb()
        finally:
            for server in servers:
                server.stop()
    report(measures, args)


def check_answers(measures: list[Measure]) -> None:
    """Every target answers each workload with the standard path's bytes (a mutation: its
    first plan, suspended and restored, so the state is as it was)."""
    answers: dict[tuple[str, str], dict[str, bytes]] = {}
    for measure in measures:
        server, workload = measure.server, measure.workload
        plan = workload.plans[0] if workload.plans else None
        response = httpx.post(
            server.url(workload), content=workload.body(plan), headers=server.headers(workload),
            timeout=30,
        )  # fmt: skip
        executor = response.headers.get("x-gateway-executor", "")
        if server.name.startswith("compiled") and executor != "compiled":
            raise SystemExit(f"{workload.name} on {server.name}: {executor}")
        if b'"errors"' in response.content:
            raise SystemExit(f"{workload.name} on {server.name}: {response.text[:500]}")
        answers.setdefault((server.database, workload.name), {})[server.name] = response.content
    for (database, name), by_server in answers.items():
        reference = by_server.get("standard", by_server.get("compiled"))
        for server_name, answer in by_server.items():
            if answer != reference:
                raise SystemExit(
                    f"{name} ({database}): {server_name} answers differently:\n"
                    f"{answer[:600]!r}\n{reference[:600]!r}"
                )
        print(f"{name} ({database}): every target answers the same {len(reference)} bytes")


def report(measures: list[Measure], args: Any) -> None:
    print()
    print(
        "| workload | target | req/s | p50 ms | p99 ms | CPU ms/req | statements/req "
        "| peak RSS MB | req/s vs floor | p50 vs floor | p99 vs floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    floors = {(m.server.database, m.workload.name): m for m in measures if m.server.floor}
    for measure in measures:
        floor_results = floors[(measure.server.database, measure.workload.name)].results
        floor_median = {k: statistics.median(r[k] for r in floor_results) for k in floor_results[0]}
        median = {k: statistics.median(r[k] for r in measure.results) for k in measure.results[0]}
        suffix = "" if measure.server.database == "postgresql" else " (SQLite)"
        print(
            f"| {measure.workload.name}{suffix} | {measure.server.name} | {median['rps']:.0f} "
            f"| {median['p50']:.2f} | {median['p99']:.2f} | {median['cpu_ms']:.2f} "
            f"| {measure.statements} | {measure.server.rss:.0f} "
            f"| {median['rps'] / floor_median['rps']:.2f} "
            f"| {median['p50'] / floor_median['p50']:.2f} "
            f"| {median['p99'] / floor_median['p99']:.2f} |"
        )
    print(
        f"\n{args.rounds} interleaved rounds of {args.seconds} s, wrk -t1 -c{args.connections}, "
        "medians; one uvicorn worker unless noted; ratios against the same database's floor "
        "for the same workload."
    )


if __name__ == "__main__":
    main()
