"""The hand-written floor: the benchmark query's answer from 6 batched statements, rows assembled
into dicts, orjson. No GraphQL. On PostgreSQL the statements run on asyncpg (`= ANY($1)`); on
SQLite on aiosqlite, the gateway's own driver (`IN (SELECT value FROM json_each(?))`: one SQL
text whatever the number of keys). Run: python bench/floor.py URL PORT (postgresql:// or a
sqlite:///path)."""

from __future__ import annotations

import base64
import json
import sys
from collections import defaultdict
from typing import Any

import aiosqlite
import asyncpg
import orjson
import uvicorn


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


PAGE = "SELECT id, name, document FROM customer ORDER BY id LIMIT 50"
PLANS = """SELECT p.customer_id, p.id, p.status, p.due_day, o.name, o.price
  FROM plan p JOIN plan_offer o ON o.id = p.offer_id
 WHERE p.customer_id {keys} ORDER BY p.customer_id, p.id"""
SERVICES = """SELECT s.plan_id, s.id, s.kind, s.status, r.login, e.login, e.domain
  FROM service s LEFT JOIN service_radius_login r ON r.id = s.id
  LEFT JOIN service_email e ON e.id = s.id
 WHERE s.plan_id {keys} ORDER BY s.plan_id, s.id"""
PACKAGES = """SELECT t.plan_id, t.value, k.id, k.name
  FROM tv_package_subscription t JOIN tv_package k ON k.id = t.package_id
 WHERE t.plan_id {keys} ORDER BY t.plan_id, t.id"""
CHANNELS = """SELECT l.package_id, c.name, c.number, c.family
  FROM channel c JOIN tv_package_channel l ON l.channel_id = c.id
 WHERE l.package_id {keys} ORDER BY l.package_id, c.number, c.id"""
POINTS = """SELECT t.plan_id, t.status, l.name, e.casn
  FROM tv_point t JOIN tv_point_location l ON l.id = t.location_id
  JOIN equipment e ON e.id = t.equipment_id
 WHERE t.plan_id {keys} ORDER BY t.plan_id, t.id"""
TYPENAMES = {"RADIUS_LOGIN": "RadiusLogin", "EMAIL": "EmailAccount", "EMAIL_ALIAS": "EmailAlias",
             "IP": "IpAddress", "VOICE_TERMINAL": "VoiceTerminal", "ONU": "Onu",
             "DOMAIN": "HostedDomain", "CIRCUIT": "Circuit", "EXTRA_SERVICE": "ExtraService",
             "ANTIVIRUS": "AntivirusLicense"}  # fmt: skip


ANY = "= ANY($1::int[])"
JSON_EACH = "IN (SELECT value FROM json_each(?))"


def grouped(rows: list[Any]) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
    return groups


class Postgres:
    def __init__(self, url: str) -> None:
        self.url = url
        self.statements = 0  # run so far (the benchmark counts them)

    async def open(self) -> None:
        self.pool = await asyncpg.create_pool(self.url, min_size=2, max_size=10)

    async def close(self) -> None:
        await self.pool.close()

    async def rows(self) -> tuple[list[Any], ...]:
        async with self.pool.acquire() as conn:

            async def fetch(sql: str, *keys: list[int]) -> list[Any]:
                self.statements += 1
                return await conn.fetch(sql.format(keys=ANY), *keys)  # type: ignore[no-any-return]

            return await fetch_all(fetch)


class Sqlite:
    """One aiosqlite connection: SQLite serves one process, and reads do not wait on it."""

    def __init__(self, url: str) -> None:
        self.path = url.split("///", 1)[1]
        self.statements = 0

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path)

    async def close(self) -> None:
        await self.conn.close()

    async def rows(self) -> tuple[list[Any], ...]:
        async def fetch(sql: str, *keys: list[int]) -> list[Any]:
            self.statements += 1
            arguments = [json.dumps(k) for k in keys]
            return list(await self.conn.execute_fetchall(sql.format(keys=JSON_EACH), arguments))

        return await fetch_all(fetch)


async def fetch_all(fetch: Any) -> tuple[list[Any], ...]:
    customers = await fetch(PAGE)
    plans = await fetch(PLANS, [c[0] for c in customers])
    plan_ids = [p[1] for p in plans]
    services = await fetch(SERVICES, plan_ids)
    subscriptions = await fetch(PACKAGES, plan_ids)
    channels = await fetch(CHANNELS, list({s[2] for s in subscriptions}))
    points = await fetch(POINTS, plan_ids)
    return customers, plans, services, subscriptions, channels, points


def money(value: Any) -> str:
    """NUMERIC(10,2): a Decimal from asyncpg, a float from SQLite's REAL storage."""
    return f"{value:.2f}"


async def answer(database: Postgres | Sqlite) -> bytes:
    customers, plans, service_rows, subscriptions, channel_rows, point_rows = await database.rows()
    services, channels, points = grouped(service_rows), grouped(channel_rows), grouped(point_rows)
    subscriptions_by_plan = grouped(subscriptions)
    plans_by_customer = grouped(plans)

    def service(row: Any) -> dict[str, Any]:
        out = {"__typename": TYPENAMES[row[2]], "kind": row[2], "status": row[3]}
        if row[2] == "RADIUS_LOGIN":
            out["login"] = row[4]
        elif row[2] == "EMAIL":
            out["address"] = f"{row[5]}@{row[6]}"
        return out

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
        while (await receive()).get("more_body"):
            pass
        body = await answer(database)
        headers = [(b"content-type", b"application/graphql-response+json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    uvicorn.run(
        create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
