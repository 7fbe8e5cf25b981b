"""The hand-written floors: each workload's answer from a few batched statements, rows assembled
into dicts, orjson. No GraphQL, no authentication (the caller's key comes in the URL). On
PostgreSQL the statements run on asyncpg (`= ANY($1)`); on SQLite on aiosqlite, the gateway's
own driver (`IN (SELECT value FROM json_each(?))`: one SQL text whatever the number of keys).
Each workload is a path: /staff-page, /staff-small?customer=N, /subscriber-home?customer=N,
/reseller-panel?reseller=N&start=..&end=.., /mutation (the plan id in the body's variables),
/fixed-cost. Run: python bench/floor.py URL PORT (postgresql:// or a sqlite:///path).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import aiosqlite
import asyncpg
import orjson
import uvicorn

from domain.models.enums import CallTermination, FranchiseCategory
from domain.rules import franchise as rules


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def money(value: Any) -> str:
    """NUMERIC(10,2): a Decimal from asyncpg, a float from SQLite's REAL storage."""
    return f"{value:.2f}"


def day(value: Any) -> str:
    """A DATE: a date from asyncpg, ISO text from SQLite."""
    return value if isinstance(value, str) else value.isoformat()


def instant(value: Any) -> str:
    """A timestamp stored in UTC: aware from asyncpg, naive text from SQLite."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def grouped(rows: list[Any], position: int = 0) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[position]].append(row)
    return groups


TYPENAMES = {"RADIUS_LOGIN": "RadiusLogin", "EMAIL": "EmailAccount", "EMAIL_ALIAS": "EmailAlias",
             "IP": "IpAddress", "VOICE_TERMINAL": "VoiceTerminal", "ONU": "Onu",
             "DOMAIN": "HostedDomain", "CIRCUIT": "Circuit", "EXTRA_SERVICE": "ExtraService",
             "ANTIVIRUS": "AntivirusLicense"}  # fmt: skip

# ---------------------------------------------------------------------------------- databases
# SQL is written for asyncpg: `$n` parameters, `KEYS($n)` for a list of keys.

Fetch = Callable[..., Awaitable[list[Any]]]


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url
        self.statements = 0  # run so far (the benchmark counts them)

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.url, min_size=2, max_size=10)

    async def close(self) -> None:
        await self.pool.close()

    async def run(self, work: Callable[[Fetch], Awaitable[Any]], *, write: bool = False) -> Any:
        async with self.pool.acquire() as conn:

            async def fetch(sql: str, *arguments: Any) -> list[Any]:
                self.statements += 1
                sql = re.sub(r"KEYS\((\$\d+)\)", r"= ANY(\1::int[])", sql)
                return await conn.fetch(sql, *arguments)  # type: ignore[no-any-return]

            if not write:
                return await work(fetch)
            async with conn.transaction():
                self.statements += 2  # BEGIN, COMMIT
                return await work(fetch)


class Sqlite:
    """One aiosqlite connection: SQLite serves one process, and reads do not wait on it."""

    def __init__(self, url: str) -> None:
        self.path = url.split("///", 1)[1]
        self.statements = 0

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)
        # One connection: its write transactions take turns (SQLite's one writer anyway).
        self.writing = asyncio.Lock()

    async def close(self) -> None:
        await self.conn.close()

    async def run(self, work: Callable[[Fetch], Awaitable[Any]], *, write: bool = False) -> Any:
        async def fetch(sql: str, *arguments: Any) -> list[Any]:
            self.statements += 1
            sql = re.sub(r"KEYS\(\$\d+\)", "IN (SELECT value FROM json_each(?))", sql)
            sql = re.sub(r"\$\d+(::\w+)?", "?", sql)
            values = [json.dumps(a) if isinstance(a, list) else a for a in arguments]
            return list(await self.conn.execute_fetchall(sql, values))

        if not write:
            return await work(fetch)
        async with self.writing:
            await self.conn.execute("BEGIN IMMEDIATE")
            self.statements += 2
            try:
                result = await work(fetch)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")
            return result


# ---------------------------------------------------------------------------------- the reads

PLANS = """SELECT p.customer_id, p.id, p.status, p.due_day, o.name, o.price
  FROM plan p JOIN plan_offer o ON o.id = p.offer_id
 WHERE p.customer_id KEYS($1) ORDER BY p.customer_id, p.id"""
SERVICES = """SELECT s.plan_id, s.id, s.kind, s.status, r.login, e.login, e.domain
  FROM service s LEFT JOIN service_radius_login r ON r.id = s.id
  LEFT JOIN service_email e ON e.id = s.id
 WHERE s.plan_id KEYS($1) ORDER BY s.plan_id, s.id"""
PACKAGES = """SELECT t.plan_id, t.value, k.id, k.name
  FROM tv_package_subscription t JOIN tv_package k ON k.id = t.package_id
 WHERE t.plan_id KEYS($1) ORDER BY t.plan_id, t.id"""
CHANNELS = """SELECT l.package_id, c.name, c.number, c.family
  FROM channel c JOIN tv_package_channel l ON l.channel_id = c.id
 WHERE l.package_id KEYS($1) ORDER BY l.package_id, c.number, c.id"""
POINTS = """SELECT t.plan_id, t.status, l.name, e.casn
  FROM tv_point t JOIN tv_point_location l ON l.id = t.location_id
  JOIN equipment e ON e.id = t.equipment_id
 WHERE t.plan_id KEYS($1) ORDER BY t.plan_id, t.id"""
# Every receivable of the customers, the open ones kept here: with `status = 'OPEN'` in the
# WHERE, SQLite's planner walks the status index over every customer's open receivables.
RECEIVABLES = """SELECT customer_id, id, description, amount, due_date, status FROM receivable
 WHERE customer_id KEYS($1) ORDER BY customer_id, due_date, id"""


def open_only(rows: list[Any]) -> list[Any]:
    return [row for row in rows if row[5] == "OPEN"]


BOLETOS = """SELECT receivable_id, digitable_line, due_date, amount FROM boleto
 WHERE receivable_id KEYS($1) ORDER BY receivable_id, id"""
TICKETS = """SELECT customer_id, protocol, type, status, opened_at FROM ticket
 WHERE customer_id KEYS($1) ORDER BY customer_id, id"""


def service(row: Any) -> dict[str, Any]:
    out = {"__typename": TYPENAMES[row[2]], "kind": row[2], "status": row[3]}
    if row[2] == "RADIUS_LOGIN":
        out["login"] = row[4]
    elif row[2] == "EMAIL":
        out["address"] = f"{row[5]}@{row[6]}"
    return out


async def staff_page(db: Postgres | Sqlite, _query: dict[str, Any], _body: bytes) -> bytes:
    async def work(fetch: Fetch) -> tuple[list[Any], ...]:
        customers = await fetch("SELECT id, name, document FROM customer ORDER BY id LIMIT 50")
        plans = await fetch(PLANS, [c[0] for c in customers])
        plan_ids = [p[1] for p in plans]
        services = await fetch(SERVICES, plan_ids)
        subscriptions = await fetch(PACKAGES, plan_ids)
        channels = await fetch(CHANNELS, list({s[2] for s in subscriptions}))
        points = await fetch(POINTS, plan_ids)
        return customers, plans, services, subscriptions, channels, points

    customers, plans, service_rows, subscriptions, channel_rows, point_rows = await db.run(work)
    services, channels, points = grouped(service_rows), grouped(channel_rows), grouped(point_rows)
    subscriptions_by_plan = grouped(subscriptions)
    plans_by_customer = grouped(plans)
    edges = [
        {"node": {
            "id": gid("Customer", c[0]), "name": c[1], "document": c[2],
            "plans": [
                {"id": gid("Plan", p[1]), "status": p[2], "dueDay": p[3],
                 "offer": {"name": p[4], "price": money(p[5])},
                 "services": [service(s) for s in services.get(p[1], ())],
                 "tvPackages": [
                     {"value": money(t[1]), "package": {"name": t[3], "channels": [
                         {"name": ch[1], "number": ch[2], "family": ch[3]}
                         for ch in channels.get(t[2], ())]}}
                     for t in subscriptions_by_plan.get(p[1], ())],
                 "tvPoints": [{"status": t[1], "location": {"name": t[2]},
                               "equipment": {"casn": t[3]}} for t in points.get(p[1], ())]}
                for p in plans_by_customer.get(c[0], ())],
        }}
        for c in customers
    ]  # fmt: skip
    return orjson.dumps({"data": {"customers": {"edges": edges}}})


async def staff_small(db: Postgres | Sqlite, query: dict[str, Any], _body: bytes) -> bytes:
    customer_id = int(query["customer"])

    async def work(fetch: Fetch) -> tuple[list[Any], ...]:
        customers = await fetch(
            "SELECT id, name, document FROM customer WHERE id = $1", customer_id
        )
        plans = await fetch(PLANS, [c[0] for c in customers])
        services = await fetch(SERVICES, [p[1] for p in plans])
        receivables = open_only(await fetch(RECEIVABLES, [c[0] for c in customers]))
        return customers, plans, services, receivables

    customers, plans, service_rows, receivables = await db.run(work)
    services = grouped(service_rows)
    customer = None
    for c in customers:
        customer = {
            "id": gid("Customer", c[0]), "name": c[1], "document": c[2],
            "plans": [
                {"id": gid("Plan", p[1]), "status": p[2], "dueDay": p[3],
                 "offer": {"name": p[4], "price": money(p[5])},
                 "services": [service(s) for s in services.get(p[1], ())]}
                for p in plans],
            "receivables": [
                {"id": gid("Receivable", r[1]), "description": r[2], "amount": money(r[3]),
                 "dueDate": day(r[4])} for r in receivables],
        }  # fmt: skip
    return orjson.dumps({"data": {"customer": customer}})


async def subscriber_home(db: Postgres | Sqlite, query: dict[str, Any], _body: bytes) -> bytes:
    customer_id = int(query["customer"])

    async def work(fetch: Fetch) -> tuple[list[Any], ...]:
        customers = await fetch("SELECT id, name FROM customer WHERE id = $1", customer_id)
        keys = [c[0] for c in customers]
        plans = await fetch(PLANS, keys)
        plan_ids = [p[1] for p in plans]
        services = await fetch(SERVICES, plan_ids)
        packages = await fetch(PACKAGES, plan_ids)
        receivables = open_only(await fetch(RECEIVABLES, keys))
        boletos = await fetch(BOLETOS, [r[1] for r in receivables])
        tickets = await fetch(TICKETS, keys)
        return customers, plans, services, packages, receivables, boletos, tickets

    customers, plans, service_rows, package_rows, receivables, boleto_rows, tickets = await db.run(
        work
    )
    services, packages, boletos = grouped(service_rows), grouped(package_rows), grouped(boleto_rows)
    me = None
    for c in customers:
        me = {
            "id": gid("Customer", c[0]), "name": c[1],
            "plans": [
                {"id": gid("Plan", p[1]), "status": p[2], "dueDay": p[3],
                 "offer": {"name": p[4]},
                 "services": [service(s) for s in services.get(p[1], ())],
                 "tvPackages": [{"value": money(t[1]), "package": {"name": t[3]}}
                                for t in packages.get(p[1], ())]}
                for p in plans],
            "receivables": [
                {"id": gid("Receivable", r[1]), "amount": money(r[3]), "dueDate": day(r[4]),
                 "boletos": [{"digitableLine": b[1], "dueDate": day(b[2]), "amount": money(b[3])}
                             for b in boletos.get(r[1], ())]}
                for r in receivables],
            "tickets": [{"protocol": t[1], "type": t[2], "status": t[3], "openedAt": instant(t[4])}
                        for t in tickets[-5:]],
        }  # fmt: skip
    return orjson.dumps({"data": {"me": me}})


async def reseller_panel(db: Postgres | Sqlite, query: dict[str, Any], _body: bytes) -> bytes:
    reseller_id = int(query["reseller"])
    start = dt.datetime.fromisoformat(query["start"])
    end = dt.datetime.fromisoformat(query["end"])
    sqlite = isinstance(db, Sqlite)

    async def work(fetch: Fetch) -> tuple[list[Any], ...]:
        resellers = await fetch("SELECT id, name FROM voice_reseller WHERE id = $1", reseller_id)
        subscribers = await fetch(
            "SELECT reseller_id, id, name FROM voice_subscriber WHERE reseller_id KEYS($1)"
            " ORDER BY reseller_id, id",
            [r[0] for r in resellers],
        )
        keys = [s[1] for s in subscribers]
        lines = await fetch(
            "SELECT subscriber_id, number, extension, status FROM voice_line"
            " WHERE subscriber_id KEYS($1) ORDER BY subscriber_id, id",
            keys,
        )
        franchises = await fetch(
            "SELECT subscriber_id, category, minutes, consumes_local FROM voice_franchise"
            " WHERE subscriber_id KEYS($1) ORDER BY subscriber_id, id",
            keys,
        )
        # SQLite keeps UTC instants as text: compare them as the gateway stores them.
        bounds = (
            [s.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for s in (start, end)]
            if sqlite
            else [start, end]
        )
        calls = await fetch(
            "SELECT l.subscriber_id, c.termination, c.duration_seconds FROM call_record c"
            " JOIN voice_line l ON l.id = c.voice_line_id WHERE l.subscriber_id KEYS($1)"
            " AND c.started_at >= $2 AND c.started_at < $3",
            keys,
            *bounds,
        )
        return resellers, subscribers, lines, franchises, calls

    resellers, subscribers, line_rows, franchise_rows, call_rows = await db.run(work)
    lines, franchises, calls = grouped(line_rows), grouped(franchise_rows), grouped(call_rows)

    def balances(key: int) -> dict[str, Any]:
        grants = {
            FranchiseCategory[f[1]]: rules.Grant(f[2], bool(f[3])) for f in franchises.get(key, ())
        }
        used = rules.used_minutes((CallTermination[c[1]], c[2]) for c in calls.get(key, ()))
        return {
            "__typename": "FranchiseBalances",
            "balances": [
                {"category": b.category.name, "grantedMinutes": b.granted,
                 "usedMinutes": b.used, "remainingMinutes": b.remaining,
                 "exceedingMinutes": b.exceeding}
                for b in rules.balances(grants, used)
            ],
        }  # fmt: skip

    me = None
    for r in resellers:
        me = {
            "id": gid("VoiceReseller", r[0]), "name": r[1],
            "subscribers": [
                {"id": gid("VoiceSubscriber", s[1]), "name": s[2],
                 "lines": [{"number": line[1], "extension": line[2], "status": line[3]}
                           for line in lines.get(s[1], ())],
                 "franchises": [{"category": f[1], "minutes": f[2], "consumesLocal": bool(f[3])}
                                for f in franchises.get(s[1], ())],
                 "franchiseBalance": balances(s[1])}
                for s in subscribers],
        }  # fmt: skip
    return orjson.dumps({"data": {"me": me}})


PLAN_STATE = "SELECT status, inactive_reason, speed_state, version FROM plan WHERE id = $1"
PLAN_OUT = "SELECT id, status, speed_state FROM plan WHERE id = $1"
PLAN_SERVICES = (
    "SELECT plan_id, kind, status FROM service WHERE plan_id KEYS($1) ORDER BY plan_id, id"
)
AUDIT = """INSERT INTO audit_log (actor, action, target_type, target_id, before, after, at)
VALUES ($1, 'changePlanStatus', 'Plan', $2, $3, $4, $5)"""


async def mutation(db: Postgres | Sqlite, _query: dict[str, Any], body: bytes) -> bytes:
    """changePlanStatus to SUSPENDED and back, in one transaction: for each, the plan's state
    (checked), its update, an audit row and the plan with its services read back."""
    plan_id = int(orjson.loads(body)["variables"]["id"])
    sqlite = isinstance(db, Sqlite)
    steps = (
        ("suspend", "INACTIVE", "SUSPENDED", "REDUCED", ("ACTIVE",)),
        ("restore", "ACTIVE", None, "NORMAL", ("INACTIVE",)),
    )

    async def work(fetch: Fetch) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, status, reason, speed, allowed in steps:
            state = (await fetch(PLAN_STATE, plan_id))[0]
            if state[0] not in allowed:
                raise RuntimeError(f"plan {plan_id} is {state[0]}")
            if status == "ACTIVE":
                update = (
                    "UPDATE plan SET status = $1, inactive_reason = $2, speed_state = $3,"
                    " speed_restored_until = NULL, enabled_until = NULL, version = $4"
                    " WHERE id = $5 AND version = $6"
                )
            else:
                update = (
                    "UPDATE plan SET status = $1, inactive_reason = $2, speed_state = $3,"
                    " version = $4 WHERE id = $5 AND version = $6"
                )
            await fetch(update, status, reason, speed, state[3] + 1, plan_id, state[3])
            before = {"status": state[0], "inactive_reason": state[1], "speed_state": state[2]}
            after = {"status": status, "inactive_reason": reason, "speed_state": speed}
            now = dt.datetime.now(dt.UTC)
            at = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
            await fetch(AUDIT, "benchmark", plan_id, json.dumps(before), json.dumps(after), at)
            plan = (await fetch(PLAN_OUT, plan_id))[0]
            services = await fetch(PLAN_SERVICES, [plan_id])
            out[key] = {
                "__typename": "PlanChangeSuccess",
                "plan": {
                    "id": gid("Plan", plan[0]), "status": plan[1], "speedState": plan[2],
                    "services": [{"__typename": TYPENAMES[s[1]], "kind": s[1], "status": s[2]}
                                 for s in services],
                },
            }  # fmt: skip
        return out

    return orjson.dumps({"data": await db.run(work, write=True)})


async def fixed_cost(_db: Postgres | Sqlite, _query: dict[str, Any], _body: bytes) -> bytes:
    return orjson.dumps({"data": {"__typename": "Query"}})


WORKLOADS = {
    "/staff-page": staff_page,
    "/staff-small": staff_small,
    "/subscriber-home": subscriber_home,
    "/reseller-panel": reseller_panel,
    "/mutation": mutation,
    "/fixed-cost": fixed_cost,
}


async def answer(database: Postgres | Sqlite, path: str = "/staff-page", query: str = "",
                 body: bytes = b"") -> bytes:  # fmt: skip
    arguments = {key: values[0] for key, values in parse_qs(query).items()}
    return await WORKLOADS[path](database, arguments, body)


def create_app(url: str) -> Any:
    database = Postgres(url) if url.startswith("postgresql") else Sqlite(url)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await database.open()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await database.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        out = await answer(database, scope["path"], scope["query_string"].decode(), body)
        headers = [(b"content-type", b"application/graphql-response+json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    return app


if __name__ == "__main__":
    uvicorn.run(
        create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
