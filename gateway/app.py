"""create_app(settings) -> the Starlette application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.http import GraphQLEndpoint
from gateway.runtime import Runtime
from gateway.settings import Settings


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Starlette:
    """The gateway as an ASGI app. Pass `engine` to share one (tests); else one is created."""
    runtime = Runtime.build(settings, engine)
    owns_engine = engine is None

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return JSONResponse(
                {"status": "unavailable", "database": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        from gateway.worker import start_embedded_worker

        worker = start_embedded_worker(runtime)
        yield
        if worker is not None:
            await worker.stop()
        if owns_engine:
            await runtime.engine.dispose()

    graphql = GraphQLEndpoint(runtime)
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=None),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.graphql = graphql
    return app
