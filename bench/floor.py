"""The hand-written floor: the benchmark query's answer from 6 batched `= ANY($1)` statements on
asyncpg, rows assembled into dicts, orjson. No GraphQL. Run: python bench/floor.py URL PORT."""

from __future__ import annotations

import base64
import sys
from collections import defaultdict
from typing import Any

import asyncpg
import orjson
import uvicorn


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


PAGE = "SELECT id, name, document FROM customer ORDER BY id LIMIT 50"
PLANS = """SELECT p.customer_id, p.id, p.status, p.due_day, o.name, o.price
  FROM plan p JOIN plan_offer o ON o.id = p.offer_id
 WHERE p.customer_id = ANY($1::int[]) ORDER BY p.customer_id, p.id"""
SERVICES = """SELECT s.plan_id, s.id, s.kind, s.status, r.login, e.login, e.domain
  FROM service s LEFT JOIN service_radius_login r ON r.id = s.id
  LEFT JOIN service_email e ON e.id = s.id
 WHERE s.plan_id = ANY($1::int[]) ORDER BY s.plan_id, s.id"""
PACKAGES = """SELECT t.plan_id, t.value, k.id, k.name
  FROM tv_package_subscription t JOIN tv_package k ON k.id = t.package_id
 WHERE t.plan_id = ANY($1::int[]) ORDER BY t.plan_id, t.id"""
CHANNELS = """SELECT l.package_id, c.name, c.number, c.family
  FROM channel c JOIN tv_package_channel l ON l.channel_id = c.id
 WHERE l.package_id = ANY($1::int[]) ORDER BY l.package_id, c.number, c.id"""
POINTS = """SELECT t.plan_id, t.status, l.name, e.casn
  FROM tv_point t JOIN tv_point_location l ON l.id = t.location_id
  JOIN equipment e ON e.id = t.equipment_id
 WHERE t.plan_id = ANY($1::int[]) ORDER BY t.plan_id, t.id"""
TYPENAMES = {"RADIUS_LOGIN": "RadiusLogin", "EMAIL": "EmailAccount", "EMAIL_ALIAS": "EmailAlias",
             "IP": "IpAddress", "VOICE_TERMINAL": "VoiceTerminal", "ONU": "Onu",
             "DOMAIN": "HostedDomain", "CIRCUIT": "Circuit", "EXTRA_SERVICE": "ExtraService",
             "ANTIVIRUS": "AntivirusLicense"}  # fmt: skip


def grouped(rows: list[Any]) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
    return groups


async def answer(pool: asyncpg.Pool) -> bytes:
    async with pool.acquire() as conn:
        customers = await conn.fetch(PAGE)
        plans = await conn.fetch(PLANS, [c[0] for c in customers])
        plan_ids = [p[1] for p in plans]
        services = grouped(await conn.fetch(SERVICES, plan_ids))
        subscriptions = await conn.fetch(PACKAGES, plan_ids)
        channels = grouped(await conn.fetch(CHANNELS, list({s[2] for s in subscriptions})))
        points = grouped(await conn.fetch(POINTS, plan_ids))
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
                 "offer": {"name": p[4], "price": str(p[5])},
                 "services": [service(s) for s in services.get(p[1], ())],
                 "tvPackages": [
                     {"value": str(t[1]), "package": {"name": t[3], "channels": [
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
    state: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    state["pool"] = await asyncpg.create_pool(url, min_size=2, max_size=10)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await state["pool"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        while (await receive()).get("more_body"):
            pass
        body = await answer(state["pool"])
        headers = [(b"content-type", b"application/graphql-response+json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    uvicorn.run(
        create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
