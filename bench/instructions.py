"""One benchmark workload in process (ASGI, no HTTP server), for counting instructions under
callgrind or for a profile: warms up, says "ready", runs N requests when told, says "done"
(bench/instructions switches the counting on and off around them).

    python bench/instructions.py N [WORKLOAD]   (the GATEWAY_* and OTEL_* variables configure
                                                 the app; WORKLOAD defaults to "staff page")
    python bench/instructions.py N WORKLOAD --cpu   (no waiting: this process's CPU time per
                                                     request, the in-process client's included)
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from run import JWT_SECRET, workloads


async def main(count: int, name: str, cpu: bool) -> None:
    os.environ.setdefault("GATEWAY_JWT_SECRET", JWT_SECRET)
    try:
        from gateway.http.app import app_from_environment
    except ImportError:  # a checkout from before app_from_environment (--baseline)
        from gateway.http.app import create_app
        from gateway.settings import Settings

        app = create_app(Settings.from_env())
    else:
        app = app_from_environment()
    [workload] = [w for w in await workloads(os.environ["GATEWAY_DATABASE_URL"]) if w.name == name]
    # A mutation's plans in turn, each toggled and restored by one request.
    bodies = itertools.cycle([workload.body(plan) for plan in workload.plans] or [workload.body()])
    headers = {"authorization": f"Bearer {workload.token}", "content-type": "application/json"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers=headers
        ) as client:
            for _ in range(30):
                response = await client.post("/graphql", content=next(bodies))
                assert response.status_code == 200, response.text
            assert response.headers["x-gateway-executor"] == "compiled", response.headers
            if cpu:
                started = time.process_time()
            else:
                print("ready", flush=True)
                sys.stdin.readline()
            for _ in range(count):
                await client.post("/graphql", content=next(bodies))
            if cpu:
                spent = (time.process_time() - started) * 1000 / count
                print(f"{name}: {spent:.3f} ms of CPU per request", flush=True)
            else:
                print("done", flush=True)
                sys.stdin.readline()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--cpu"]
    asyncio.run(main(int(args[0]), args[1] if len(args) > 1 else "staff page", "--cpu" in sys.argv))
