"""The subscription benchmark (issue 19): N WebSocket subscribers on one gateway process,
changes at a steady rate through another, both on one PostgreSQL (LISTEN/NOTIFY) or Redis.

Each subscriber is a customer's app following its own plan (`planChanged(planId)`), on a
connection of its own; the changes suspend and restore those plans in turn
(`changePlanStatus`), paced to the rate, `--concurrency` (4) at once through the other
process.
Measured:

- delivery latency, from the commit to the event on the subscriber's socket: the commit is
  taken as the moment this process's own LISTEN connection hears the transaction's
  notification (PostgreSQL sends it at commit); also from the mutation's request (an upper
  bound that includes the mutation itself);
- memory per open subscription: the subscriber process's RSS with them open, less before;
- CPU per delivered event: the subscriber process's CPU time while the changes run, less its
  idle rate with the subscriptions open, over the events delivered; beside it each process's
  share of a core (the writer's, the subscriber process's, this client's), which says which of
  them was short of CPU.

Numbers from one run on a shared 2-core machine (this client, both gateways and PostgreSQL
share the cores): compare within a run, never across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = str(ROOT / ".venv" / "bin" / "gateway")
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_REALTIME_DATABASE", "gw_bench_realtime_2000_42")
CUSTOMERS = 2000
JWT_SECRET = "benchmark-secret-for-the-gateway-0123456789abcdef"
SUBSCRIPTION = """subscription ($plan: ID!) { planChanged(planId: $plan) {
  id databaseId status inactiveReason speedState dueDay customer { id name } } }"""
CHANNEL = "gateway_changes"


def database_url() -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def token(customer_id: int | None = None) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": "isp-gateway", "aud": "isp-gateway", "iat": now,
                              "exp": now + 7200}  # fmt: skip
    if customer_id is None:
        from domain.identity import Permission

        claims.update(sub="bench-staff", role="staff", permissions=[p.name for p in Permission])
    else:
        claims.update(sub=f"bench-app-{customer_id}", role="subscriber", customer_id=customer_id)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


async def ensure_database() -> list[tuple[int, int, str]]:
    """(customer, plan, status) of one plan without TV per customer, active or suspended (the
    same plans whatever an earlier run left them as), seeding the database once."""
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    subprocess.run([GATEWAY, "migrate", "--database-url", database_url()],  # noqa: ASYNC221
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    conn = await asyncpg.connect(database_url())
    try:
        count = await conn.fetchval("SELECT count(*) FROM customer")
        if count == 0:
            subprocess.run(  # noqa: ASYNC221 - runs alone, before any server
                [GATEWAY, "seed", "--customers", str(CUSTOMERS), "--seed", "42",
                 "--today", "2026-01-01", "--database-url", database_url()],
                check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        rows = await conn.fetch(
            """SELECT DISTINCT ON (p.customer_id) p.customer_id, p.id, p.status FROM plan p
               JOIN plan_offer o ON o.id = p.offer_id
               WHERE (p.status = 'ACTIVE' OR p.inactive_reason = 'SUSPENDED')
                 AND NOT o.is_tv_offer
               ORDER BY p.customer_id, p.id"""
        )
    finally:
        await conn.close()
    return [(row[0], row[1], row[2]) for row in rows]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gateway:
    """`gateway serve` in production mode, one worker, on a free loopback port."""

    def __init__(
        self, name: str, broker: str, log_dir: Path, redis_url: str | None, workers: int = 1
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env.update(
            GATEWAY_DATABASE_URL=database_url(), GATEWAY_ENV="production",
            GATEWAY_PORT=str(self.port), GATEWAY_JWT_SECRET=JWT_SECRET,
            GATEWAY_RATE_LIMIT_PER_IP="0", GATEWAY_RATE_LIMIT_PER_IDENTITY="0",
            GATEWAY_OUTBOX_WORKER="off", GATEWAY_REALTIME_BROKER=broker,
            GATEWAY_LOG_LEVEL="warning", GATEWAY_DB_POOL_SIZE="10",
            GATEWAY_WORKERS=str(workers),
        )  # fmt: skip
        if redis_url:
            env["GATEWAY_REDIS_URL"] = redis_url
        log = (log_dir / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [GATEWAY, "serve"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"{self.url} did not become ready")

    def cpu_seconds(self) -> float:
        """CPU time of the process and its live workers (with GATEWAY_WORKERS above 1)."""
        return sum(_cpu_seconds(pid) for pid in self.pids())

    def pids(self) -> list[int]:
        pids = [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def rss_mb(self) -> float:
        total = 0.0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        return total

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def subscriber(
    url: str, customer: int, plan: int, opened: asyncio.Semaphore, arrivals: dict[int, list[float]],
    ready: list[int],
) -> None:  # fmt: skip
    async with opened:
        ws = await connect(
            url.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=60, compression=None,
        )  # fmt: skip
        auth = {"Authorization": f"Bearer {token(customer)}"}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": auth}).decode())
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        variables = {"plan": str(plan)}
        payload = {"query": SUBSCRIPTION, "variables": variables}
        message = {"id": "1", "type": "subscribe", "payload": payload}
        await ws.send(orjson.dumps(message).decode())
    ready.append(plan)
    try:
        # Until cancelled: a timeout per receive would cost this process, which shares the
        # cores with the gateways, a timer per subscriber per second.
        async for raw in ws:
            now = time.perf_counter()
            data = orjson.loads(raw)
            if data.get("type") == "ping":
                await ws.send('{"type":"pong"}')
            elif data.get("type") == "next":
                arrivals.setdefault(plan, []).append(now)
    finally:
        await ws.close()


async def open_subscriptions(url: str) -> float:
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("gateway_subscriptions_open{")
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    followed = (await ensure_database())[: args.subscribers]
    pairs = [(customer, plan) for customer, plan, _status in followed]
    if len(pairs) < args.subscribers:
        raise SystemExit(f"only {len(pairs)} plans to follow")
    log_dir = ROOT / "var" / "bench" / "realtime"
    log_dir.mkdir(parents=True, exist_ok=True)
    subscribers_gw = Gateway("subscribers", args.broker, log_dir, args.redis_url)
    writer = Gateway("writer", args.broker, log_dir, args.redis_url, args.writer_workers)
    results: dict[str, Any] = {
        "broker": args.broker,
        "subscribers": len(pairs),
        "concurrency": args.concurrency,
        "writer_workers": args.writer_workers,
    }
    try:
        await asyncio.to_thread(subscribers_gw.wait_ready)
        await asyncio.to_thread(writer.wait_ready)
        await asyncio.sleep(1.0)
        rss_before = subscribers_gw.rss_mb()
        arrivals: dict[int, list[float]] = {}
        ready: list[int] = []
        opened = asyncio.Semaphore(50)  # handshakes at once
        tasks = [
            asyncio.create_task(subscriber(subscribers_gw.url, c, p, opened, arrivals, ready))
            for c, p in pairs
        ]
        deadline = time.monotonic() + 300
        while await open_subscriptions(subscribers_gw.url) < len(pairs):
            if time.monotonic() > deadline:
                raise SystemExit("the subscriptions did not all open")
            for task in tasks:
                if task.done() and task.exception():
                    raise task.exception()  # type: ignore[misc]
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)
        results["rss_mb_before"] = rss_before
        results["rss_mb_open"] = subscribers_gw.rss_mb()

        idle_cpu = subscribers_gw.cpu_seconds()
        idle_client = time.process_time()
        idle_started = time.perf_counter()
        await asyncio.sleep(args.idle_seconds)
        idle_window = time.perf_counter() - idle_started
        idle_rate = (subscribers_gw.cpu_seconds() - idle_cpu) / idle_window
        results["client_idle_cpu_percent"] = (time.process_time() - idle_client) * 100 / idle_window

        # Commit times: this process hears each transaction's notification at its commit.
        commits: dict[int, list[float]] = {}
        listener = await asyncpg.connect(database_url())

        def heard(_c: Any, _pid: int, _channel: str, payload: str) -> None:
            now = time.perf_counter()
            for kind, _id, _customer, plan in orjson.loads(payload):
                if kind == "plan":
                    commits.setdefault(plan, []).append(now)

        await listener.add_listener(CHANNEL, heard)
        # With Redis, also when each change is published on the channel (after the commit, by
        # the writer): the latency's two halves.
        published: dict[int, list[float]] = {}
        channel = None
        if args.broker == "redis":
            channel = asyncio.create_task(_published(args.redis_url, published))
        sent: dict[int, list[float]] = {}
        mutation_ms: list[float] = []
        state = {plan: status for _customer, plan, status in followed}
        order = [p for _c, p in pairs]
        random.Random(42).shuffle(order)
        total = int(args.rate * args.seconds) // args.per_request * args.per_request
        staff = {"authorization": f"Bearer {token()}", "content-type": "application/json"}
        queue: asyncio.Queue[int] = asyncio.Queue()

        per = args.per_request
        document = mutation_document(per)

        async def mutate(client: httpx.AsyncClient) -> None:
            while True:
                plans = await queue.get()
                variables = {}
                for index, plan in enumerate(plans):
                    going = "INACTIVE" if state[plan] == "ACTIVE" else "ACTIVE"
                    values: dict[str, Any] = {"planId": str(plan), "status": going}
                    if going == "INACTIVE":
                        values["inactiveReason"] = "SUSPENDED"
                    variables[f"i{index}"] = values
                started = time.perf_counter()
                for plan in plans:
                    sent.setdefault(plan, []).append(started)
                response = await client.post(
                    f"{writer.url}/graphql",
                    content=orjson.dumps({"query": document, "variables": variables}),
                    headers=staff,
                )
                mutation_ms.append((time.perf_counter() - started) * 1000)
                body = response.json()
                for index, plan in enumerate(plans):
                    result = body["data"][f"c{index}"]["__typename"]
                    assert result == "PlanChangeSuccess", body
                    state[plan] = variables[f"i{index}"]["status"]
                queue.task_done()

        cpu_started = subscribers_gw.cpu_seconds()
        writer_cpu = writer.cpu_seconds()
        client_cpu = time.process_time()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(timeout=60, limits=limits) as c:
            workers = [asyncio.create_task(mutate(c)) for _ in range(args.concurrency)]
            for index in range(0, total, per):
                # Paced: change i is due at i / rate seconds (`per` changes to a request, one
                # transaction); a plan is changed again only after a round of the others.
                due = started + index / args.rate
                pause = due - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
                await queue.put([order[(index + k) % len(order)] for k in range(per)])
            await queue.join()
            for worker in workers:
                worker.cancel()
        elapsed = time.perf_counter() - started
        # The last events on their way.
        expected = total
        deadline = time.monotonic() + 30
        while sum(len(v) for v in arrivals.values()) < expected:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        cpu = subscribers_gw.cpu_seconds() - cpu_started
        writer_cpu = writer.cpu_seconds() - writer_cpu
        client_cpu = time.process_time() - client_cpu
        window = time.perf_counter() - started
        await listener.close()
        if channel is not None:
            channel.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        delivered = sum(len(v) for v in arrivals.values())
        from_commit, from_request = [], []
        for plan, times in arrivals.items():
            for arrived, committed, requested in zip(
                times, commits.get(plan, []), sent.get(plan, []), strict=False
            ):
                from_commit.append((arrived - committed) * 1000)
                from_request.append((arrived - requested) * 1000)
        to_publish, from_publish = [], []
        for plan, times in published.items():
            for at, committed, arrived in zip(
                times, commits.get(plan, []), arrivals.get(plan, []), strict=False
            ):
                to_publish.append((at - committed) * 1000)
                from_publish.append((arrived - at) * 1000)
        if published:
            results["latency_commit_to_publish_ms"] = _percentiles(to_publish)
            results["latency_publish_to_client_ms"] = _percentiles(from_publish)
        results.update(
            changes=total,
            changes_per_request=args.per_request,
            achieved_rate=total / elapsed,
            delivered=delivered,
            latency_commit_ms=_percentiles(from_commit),
            latency_request_ms=_percentiles(from_request),
            mutation_ms=_percentiles(mutation_ms),
            rss_per_subscription_kb=(results["rss_mb_open"] - rss_before) * 1024 / len(pairs),
            idle_cpu_percent=idle_rate * 100,
            cpu_ms_per_event=cpu * 1000 / max(delivered, 1),
            net_cpu_ms_per_event=(cpu - idle_rate * window) * 1000 / max(delivered, 1),
            writer_cpu_ms_per_change=writer_cpu * 1000 / total,
            # Shares of one core over the run: which process was short of CPU.
            writer_cpu_percent=writer_cpu * 100 / window,
            subscriber_cpu_percent=cpu * 100 / window,
            client_cpu_percent=client_cpu * 100 / window,
            load_average=[load, os.getloadavg()[0]],
        )
    finally:
        subscribers_gw.stop()
        writer.stop()
    return results


async def _published(redis_url: str, published: dict[int, list[float]]) -> None:
    """Notes when each plan's change reaches the Redis broker's channel."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe("gateway:changes")
        async for message in pubsub.listen():
            now = time.perf_counter()
            for kind, _id, _customer, plan in orjson.loads(message["data"]):
                if kind == "plan":
                    published.setdefault(plan, []).append(now)
    finally:
        await pubsub.aclose()
        await client.aclose()


def mutation_document(per: int) -> str:
    """`per` plan changes in one request (one transaction): aliased changePlanStatus fields."""
    declarations = ", ".join(f"$i{n}: ChangePlanStatusInput!" for n in range(per))
    fields = " ".join(f"c{n}: changePlanStatus(input: $i{n}) {{ __typename }}" for n in range(per))
    return f"mutation ({declarations}) {{ {fields} }}"


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    quantiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": quantiles[49], "p99": quantiles[98], "max": ordered[-1], "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="changes per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    # Four: at 100 changes/s a mutation's 10-35 ms needs 1 to 4 in flight; more only queue
    # inside the writer, whose one event loop is what bounds the rate (bench/README.md).
    parser.add_argument("--concurrency", type=int, default=4, help="mutations at once")
    parser.add_argument("--per-request", type=int, default=1, help="changes per mutation")
    parser.add_argument(
        "--writer-workers", type=int, default=1, help="processes of the writer (GATEWAY_WORKERS)"
    )
    parser.add_argument("--broker", choices=["postgres", "redis"], default="postgres")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    if args.broker == "redis" and not args.redis_url:
        args.redis_url = "redis://127.0.0.1:6379/15"
    results = asyncio.run(run(args))
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
