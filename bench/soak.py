"""The soak: a mixed read/write load while PostgreSQL restarts and Redis hangs.

Builds everything it breaks: a PostgreSQL cluster of its own (initdb in a temporary folder, its
own port), a redis-server of its own, and the gateway (uvicorn, production settings) on both.
For `--seconds` (60) it drives `--connections` (8) clients, each on one keep-alive connection:
reads (a customers page with plans) and writes (`openTicket` with a unique description and an
Idempotency-Key, retried with the same key until the gateway acknowledges it). Meanwhile:

    t = 10 s   PostgreSQL stops (fast shutdown), starts again 3 s later
    t = 25 s   Redis hangs (SIGSTOP) for 12 s
    t = 30 s   PostgreSQL is killed (immediate shutdown, as a crash), starts again 3 s later
    t = 48 s   PostgreSQL stops (fast) and starts again 2 s later

Then it counts, in the database, each write's tickets: an acknowledged write with no ticket is
lost, a write with two tickets is duplicated (both expected 0). It prints requests, answers by
status and code, p50/p99 latency of every attempt, lost and duplicated writes and the gateway's
RSS growth (from the end of a 5 s warm-up to the end).

    bench/soak   (or: .venv/bin/python bench/soak.py [--seconds 60] [--connections 8])
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import (  # noqa: E402 - the project's root first
    ThrowawayPostgres,
    ThrowawayRedis,
    free_port,
    throwaway_postgres,
    throwaway_redis,
)

PYTHON = sys.executable
JWT_SECRET = "soak-only-secret-0123456789abcdef-0123"
CUSTOMERS = 40
READ = """{ customers(first: 10) { edges { node { name plans { status offer { name } } } } } }"""
WRITE = """mutation ($input: OpenTicketInput!) { openTicket(input: $input) {
  __typename ... on OpenTicketSuccess { ticket { databaseId } } } }"""
WRITE_SHARE = 0.3
RETRY_CAP_SECONDS = 2.0


def staff_token() -> str:
    import jwt

    from domain.identity import Permission

    now = int(time.time())
    claims = {
        "iss": "isp-gateway", "aud": "isp-gateway", "iat": now, "exp": now + 7200,
        "sub": "soak", "role": "staff", "permissions": sorted(p.name for p in Permission),
    }  # fmt: skip
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.answers: collections.Counter[str] = collections.Counter()
        self.acknowledged: set[str] = set()
        self.attempted: set[str] = set()
        self.unacknowledged: set[str] = set()

    def record(self, started: float, outcome: str) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.answers[outcome] += 1


def _outcome(response: httpx.Response) -> str:
    code = None
    try:
        errors = response.json().get("errors") or []
        if errors:
            extensions = errors[0].get("extensions") or {}
            code = extensions.get("code") or str(errors[0].get("message"))[:50]
    except ValueError:
        code = "not JSON"
    return f"{response.status_code} {code}" if code else str(response.status_code)


async def _retry_pause(response: httpx.Response | None) -> None:
    wait = 0.2
    if response is not None and "retry-after" in response.headers:
        wait = min(float(response.headers["retry-after"]), RETRY_CAP_SECONDS)
    await asyncio.sleep(wait * random.uniform(0.5, 1.0))


async def client_loop(
    number: int, url: str, token: str, stop_at: float, give_up_at: float, stats: Stats
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=20
    ) as client:
        sequence = 0
        while time.monotonic() < stop_at:
            if random.random() >= WRITE_SHARE:
                started = time.perf_counter()
                try:
                    response = await client.post("/graphql", json={"query": READ})
                    stats.record(started, _outcome(response))
                except httpx.HTTPError as error:
                    stats.record(started, type(error).__name__)
                    await _retry_pause(None)
                continue
            sequence += 1
            marker = f"soak-{number}-{sequence}-{random.getrandbits(32):08x}"
            stats.attempted.add(marker)
            variables = {
                "input": {
                    "customerId": str(random.randint(1, CUSTOMERS)),
                    "type": "soak",
                    "description": marker,
                }
            }
            # The same request with the same key until it is acknowledged: a retry after a lost
            # answer must get the first answer back, never a second ticket.
            while True:
                started = time.perf_counter()
                response = None
                try:
                    response = await client.post(
                        "/graphql",
                        json={"query": WRITE, "variables": variables},
                        headers={"idempotency-key": marker},
                    )
                    stats.record(started, _outcome(response))
                    body = response.json() if response.status_code == 200 else {}
                    result = (body.get("data") or {}).get("openTicket") or {}
                    if result.get("__typename") == "OpenTicketSuccess":
                        stats.acknowledged.add(marker)
                        break
                except (httpx.HTTPError, ValueError) as error:
                    stats.record(started, type(error).__name__)
                if time.monotonic() > give_up_at:
                    stats.unacknowledged.add(marker)
                    break
                await _retry_pause(response)


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


async def chaos(postgres: ThrowawayPostgres, redis: ThrowawayRedis, began: float) -> list[str]:
    log: list[str] = []

    async def at(second: float) -> None:
        await asyncio.sleep(max(0.0, began + second - time.monotonic()))

    def note(what: str) -> None:
        log.append(f"{time.monotonic() - began:5.1f} s  {what}")

    await at(10)
    note("PostgreSQL stops (fast)")
    await asyncio.to_thread(postgres.stop, "fast")
    await at(13)
    await asyncio.to_thread(postgres.start)
    note("PostgreSQL is back")
    await at(25)
    redis.hang()
    note("Redis hangs (SIGSTOP)")
    await at(30)
    note("PostgreSQL is killed (immediate)")
    await asyncio.to_thread(postgres.stop, "immediate")
    await at(33)
    await asyncio.to_thread(postgres.start)
    note("PostgreSQL is back (after crash recovery)")
    await at(37)
    redis.resume()
    note("Redis answers again (SIGCONT)")
    await at(48)
    note("PostgreSQL stops (fast)")
    await asyncio.to_thread(postgres.stop, "fast")
    await at(50)
    await asyncio.to_thread(postgres.start)
    note("PostgreSQL is back")
    return log


async def count_tickets(url: str, markers: set[str]) -> collections.Counter[str]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT description, count(*) AS n FROM ticket WHERE type = 'soak' GROUP BY 1"
        )
    finally:
        await connection.close()
    return collections.Counter({row["description"]: row["n"] for row in rows})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def soak(args: argparse.Namespace) -> None:
    with throwaway_postgres() as postgres, throwaway_redis() as redis:
        print(f"PostgreSQL on :{postgres.port}, Redis on :{redis.port}", flush=True)
        subprocess.run(  # noqa: ASYNC221 - runs alone, before any load
            [str(Path(PYTHON).parent / "gateway"), "seed", "--customers", str(CUSTOMERS),
             "--seed", "3", "--database-url", postgres.url],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port = free_port()
        env = {
            **os.environ,
            "GATEWAY_DATABASE_URL": postgres.url,
            "GATEWAY_REDIS_URL": redis.url,
            "GATEWAY_ENV": "production",
            "GATEWAY_JWT_SECRET": JWT_SECRET,
            "GATEWAY_OUTBOX_WORKER": "off",
            # Counted in Redis on every request, never reached: the soak measures the outage.
            "GATEWAY_RATE_LIMIT_PER_IP": "1000000/60",
            "GATEWAY_RATE_LIMIT_PER_IDENTITY": "1000000/60",
        }
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
            [PYTHON, "-m", "uvicorn", "gateway.http.asgi:app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "critical", "--no-access-log"],
            cwd=ROOT, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        token = staff_token()
        try:
            await wait_ready(url, token, server)
            warm = Stats()
            warm_until = time.monotonic() + 5
            await asyncio.gather(
                *(
                    client_loop(n, url, token, warm_until, warm_until + 10, warm)
                    for n in range(args.connections)
                )
            )
            rss_start = rss_kb(server.pid)
            stats = Stats()
            began = time.monotonic()
            stop_at = began + args.seconds
            give_up_at = stop_at + 45  # a write caught by the last outage gets time to land
            chaos_task = asyncio.create_task(chaos(postgres, redis, began))
            await asyncio.gather(
                *(
                    client_loop(n, url, token, stop_at, give_up_at, stats)
                    for n in range(args.connections)
                )
            )
            elapsed = time.monotonic() - began
            events = await chaos_task
            rss_end = rss_kb(server.pid)
            tickets = await count_tickets(postgres.url, stats.attempted)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
    lost = sorted(m for m in stats.acknowledged if tickets.get(m, 0) == 0)
    duplicated = sorted(m for m in stats.attempted if tickets.get(m, 0) > 1)
    print("\nevents:")
    for line in events:
        print("  " + line)
    total = sum(stats.answers.values())
    print(f"\nrequests: {total} ({total / args.seconds:.0f}/s) from {args.connections} "
          f"connections over {args.seconds} s; the last write retry was answered at "
          f"{elapsed:.1f} s")  # fmt: skip
    print("answers:")
    for outcome, count in stats.answers.most_common():
        print(f"  {outcome:<40} {count}")
    print(f"latency of every attempt: p50 {percentile(stats.latencies, 0.5):.1f} ms, "
          f"p99 {percentile(stats.latencies, 0.99):.1f} ms, "
          f"max {max(stats.latencies) * 1000:.0f} ms, "
          f"mean {statistics.fmean(stats.latencies) * 1000:.1f} ms")  # fmt: skip
    print(f"writes: {len(stats.attempted)} attempted, {len(stats.acknowledged)} acknowledged, "
          f"{len(stats.unacknowledged)} never acknowledged")  # fmt: skip
    print(f"lost writes: {len(lost)}  duplicated writes: {len(duplicated)}")
    for marker in (lost + duplicated)[:10]:
        print(f"  {marker}: {tickets.get(marker, 0)} tickets")
    print(f"gateway RSS: {rss_start / 1024:.1f} MB after warm-up, {rss_end / 1024:.1f} MB at "
          f"the end ({(rss_end - rss_start) / 1024:+.1f} MB)")  # fmt: skip
    if lost or duplicated:
        raise SystemExit(1)


async def wait_ready(url: str, token: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=url) as client:
        while time.monotonic() < deadline:
            try:
                response = await client.post(
                    "/graphql",
                    json={"query": READ},
                    headers={"authorization": f"Bearer {token}"},
                )
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                assert server.stderr is not None
                raise SystemExit(f"the gateway exited: {server.stderr.read().decode()[-2000:]}")
            await asyncio.sleep(0.3)
    raise SystemExit("the gateway did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=8)
    asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    main()
