"""The benchmark's request in process (ASGI, no HTTP server), for counting instructions under
callgrind: warms up, says "ready", runs N requests when told, says "done" (bench/instructions
switches the counting on and off around them).

    python bench/instructions.py N     (the GATEWAY_* and OTEL_* variables configure the app)
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from run import DOCUMENTS, JWT_SECRET, token

QUERY = DOCUMENTS["query"]  # the staff's customers page


async def main(count: int) -> None:
    os.environ.setdefault("GATEWAY_JWT_SECRET", JWT_SECRET)
    try:
        from gateway.http.app import app_from_environment
    except ImportError:  # a checkout from before app_from_environment (--baseline)
        from gateway.http.app import create_app
        from gateway.settings import Settings

        app = create_app(Settings.from_env())
    else:
        app = app_from_environment()
    headers = {"authorization": f"Bearer {token()}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers=headers
        ) as client:
            for _ in range(30):
                response = await client.post("/graphql", json={"query": QUERY})
                assert response.status_code == 200, response.text
            assert response.headers["x-gateway-executor"] == "compiled"
            print("ready", flush=True)
            sys.stdin.readline()
            for _ in range(count):
                await client.post("/graphql", json={"query": QUERY})
            print("done", flush=True)
            sys.stdin.readline()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
