"""create_app(settings) -> the Starlette application."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.http import documents
from gateway.http.documents import boleto_document, contract_document, invoice_document
from gateway.http.export import ExportEndpoint
from gateway.http.graphql import GraphQLEndpoint
from gateway.http.outage import OutageGuard
from gateway.http.runtime import Runtime
from gateway.settings import Settings


def create_app(settings: Settings, *, engine: AsyncEngine | None = None) -> Starlette:
    """The gateway as an ASGI app. Pass `engine` to share one (tests); else one is created."""
    settings.check()
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
        from gateway.worker.outbox import start_embedded_worker

        worker = start_embedded_worker(runtime)
        # Everything loaded at start-up lives as long as the process: moving it out of the
        # collector's generations keeps full collections (and p99 latency) short.
        gc.collect()
        gc.freeze()
        yield
        if worker is not None:
            await worker.stop()
        await graphql.readers.shutdown()
        await runtime.close(engine=owns_engine)

    # Only /graphql is bounded (GraphQLEndpoint.in_flight): health checks must answer even
    # when the gateway is saturated.
    graphql = GraphQLEndpoint(runtime)
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept", "Idempotency-Key"],
                expose_headers=["Retry-After", "X-Request-Id", "Idempotent-Replayed"],
                max_age=600,
            )
        )
    # Inside CORS, so that a browser can read the 503 a database outage answers (ADR 0130).
    middleware.append(Middleware(OutageGuard))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=None),
            Route("/export", ExportEndpoint(graphql), methods=None),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/plans/{plan_id}/contract.pdf", contract_document, methods=["GET"]),
            Route("/receivables/{receivable_id}/boleto.pdf", boleto_document, methods=["GET"]),
            Route("/invoices/{invoice_id}.xml", invoice_document, methods=["GET"]),
            Route("/invoices/{invoice_id}.pdf", documents.invoice_pdf_document, methods=["GET"]),
            Route(
                "/plans/{plan_id}/bank-debit-authorization.pdf",
                documents.bank_debit_authorization_document,
                methods=["GET"],
            ),
            Route(
                "/plans/{plan_id}/connection-statement.pdf",
                documents.connection_statement_document,
                methods=["GET"],
            ),
            Route(
                "/plans/{plan_id}/call-statement.pdf",
                documents.call_statement_document,
                methods=["GET"],
            ),
            Route(
                "/customers/{customer_id}/financial-statement.pdf",
                documents.financial_statement_document,
                methods=["GET"],
            ),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.graphql = graphql
    app.state.in_flight = graphql.in_flight
    return app
