"""create_app(settings) -> the Starlette application; app_from_environment() for uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from domain.i18n import LANGUAGE, catalogs, normalize
from domain.models.base import utcnow
from domain.reads import outbox as outbox_reads
from gateway.http import documents
from gateway.http.documents import boleto_document, contract_document, invoice_document
from gateway.http.export import ExportEndpoint
from gateway.http.graphiql import STATIC_PREFIX
from gateway.http.graphql import GraphQLEndpoint
from gateway.http.language import LanguageEdge
from gateway.http.outage import OutageGuard
from gateway.http.runtime import Runtime
from gateway.http.subscriptions import Subscriptions, WebSocketEndpoint
from gateway.observability import metrics, tracing
from gateway.observability.requests import RequestEdge
from gateway.realtime.brokers import broker_for
from gateway.realtime.hub import Hub
from gateway.settings import Settings

# How often each process samples the outbox for its gauges when the metrics are served on an
# address of their own (a scrape of the app's own path samples at that moment).
OUTBOX_SAMPLE_SECONDS = 15.0


def app_from_environment() -> Starlette:
    """The app of one serving process, from the environment (`gateway serve`, each worker):
    logs, traces, then the app."""
    from gateway.observability.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(settings)
    tracing.configure()
    return create_app(settings, process=True)


def create_app(
    settings: Settings, *, engine: AsyncEngine | None = None, process: bool = False
) -> Starlette:
    """The gateway as an ASGI app. Pass `engine` to share one (tests); else one is created.

    `process`: this app is its process's only one (app_from_environment), so its shutdown
    also flushes the traces and retires the process's metrics.
    """
    settings.check()
    catalogs()  # read once, before the first request needs them
    runtime = Runtime.build(settings, engine)
    owns_engine = engine is None
    pool_size = 0
    if owns_engine:
        pool_size = getattr(runtime.engine.sync_engine.pool, "size", lambda: 0)()
        metrics.watch_pool(runtime.engine, pool_size)
        tracing.instrument_engine(runtime.engine)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def database() -> None:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def redis() -> None:
        # Through the breaker: while it is open Redis is not asked, and that is the answer.
        await runtime.redis_breaker.call(lambda client: client.ping())

    checks: dict[str, Callable[[], Awaitable[None]]] = {"database": database}
    if runtime.redis is not None:
        checks["redis"] = redis

    async def readyz(_request: Request) -> JSONResponse:
        """Every configured dependency, each within the readiness timeout: 200 when all
        answer, else 503 naming the ones that did not."""
        results = await asyncio.gather(
            *(_probe(check, settings.readiness_timeout_seconds) for check in checks.values())
        )
        report = dict(zip(checks, results, strict=True))
        failed = [name for name, result in report.items() if result != "ok"]
        body: dict[str, object] = {"status": "unavailable" if failed else "ok", **report}
        if runtime.redis_breaker is not None:
            body["redis_breaker"] = runtime.redis_breaker.state
        if runtime.replicas is not None:
            # A replica down or lagging is not a reason to stop serving: its reads go to the
            # primary (ADR 0230). Its state and lag are here for the operator.
            body["replicas"] = runtime.replicas.report()
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)

    async def backlog() -> tuple[int, float | None]:
        async with runtime.sessions() as session:
            count, oldest = await outbox_reads.backlog(session)
        age = None if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
        return count, age

    async def metrics_endpoint(_request: Request) -> Response:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(settings.readiness_timeout_seconds):
                await metrics.sample_outbox(backlog)
        body, media_type = metrics.exposition()
        return Response(body, media_type=media_type)

    async def sample_outbox_forever() -> None:
        while True:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(settings.readiness_timeout_seconds):
                    await metrics.sample_outbox(backlog)
            await asyncio.sleep(OUTBOX_SAMPLE_SECONDS)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        from gateway.worker.outbox import start_embedded_worker

        # Listening for committed changes before anything of ours can commit one.
        await broker.start()
        if process:
            live.on_signals()
        # The worker's texts (a TV delivery's error) are in GATEWAY_LANGUAGE: its task copies
        # the language now; whoever runs the lifespan keeps its own.
        language = LANGUAGE.set(normalize(settings.language) or settings.language)
        try:
            worker = start_embedded_worker(runtime)
        finally:
            LANGUAGE.reset(language)
        if runtime.replicas is not None:
            # Knows each replica's state before the first read is sent to one.
            with contextlib.suppress(Exception):
                await runtime.replicas.check()
            runtime.replicas.start()
        sampler = None
        if settings.metrics_listen and process:
            sampler = asyncio.get_running_loop().create_task(sample_outbox_forever())
        # Everything loaded at start-up lives as long as the process: moving it out of the
        # collector's generations keeps full collections (and p99 latency) short.
        gc.collect()
        gc.freeze()
        yield
        if sampler is not None:
            sampler.cancel()
        await live.close_all()
        # The places given back are removed from Redis now rather than at their lease's end.
        await live.slots.stop()
        if worker is not None:
            await worker.stop()
        await broker.stop()
        await graphql.auth.aclose()
        await runtime.close(engine=owns_engine)
        if owns_engine:
            metrics.unwatch_pool(pool_size)
        if process:
            tracing.shutdown()
            metrics.process_stopped()

    # Only /graphql is bounded (GraphQLEndpoint.in_flight): health checks must answer even
    # when the gateway is saturated.
    graphql = GraphQLEndpoint(runtime)
    hub = Hub()
    broker = broker_for(settings, hub)
    live = graphql.subscriptions = Subscriptions(runtime, graphql, hub)
    if broker.name != "memory":
        # Subscribers on this process get nothing while it does not listen (ADR 0220).
        checks["changes"] = broker.ready
    remote_keys = graphql.auth.remote_keys
    if remote_keys is not None:
        # Tokens cannot be checked without the provider's keys: held, or fetchable now.
        checks["identity_provider"] = remote_keys.ensure
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
    routes = [
        Route("/graphql", graphql, methods=None),
        WebSocketRoute("/graphql", WebSocketEndpoint(live)),
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
    ]
    # GraphiQL's own files (ADR 0190), in development only: the page loads nothing from any
    # other host.
    if settings.development:
        routes.append(
            Route(f"{STATIC_PREFIX}/{{path:path}}", graphql.graphiql.asset, methods=["GET"])
        )
    if settings.metrics_path:
        # Outside the GraphQL authentication: bind it to a private address
        # (GATEWAY_METRICS_LISTEN) where the app's port is public (docs/operations.md).
        routes.append(Route(settings.metrics_path, metrics_endpoint, methods=["GET"]))
    app = Starlette(
        routes=routes,
        # The request edge is outermost: every answer, a CORS or overload refusal included,
        # carries the request id and is logged, counted and traced.
        # The language next, so that every refusal below it is in the reader's language.
        middleware=[
            Middleware(RequestEdge),
            Middleware(LanguageEdge, default=settings.language),
            *middleware,
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.graphql = graphql
    app.state.in_flight = graphql.in_flight
    app.state.subscriptions = live
    return app


async def _probe(check: Callable[[], Awaitable[None]], seconds: float) -> str:
    """ "ok", or why the dependency is not ready."""
    try:
        async with asyncio.timeout(seconds):
            await check()
    except TimeoutError:
        return f"no answer within {seconds:g} s"
    except Exception as error:
        return f"unavailable ({type(error).__name__})"
    return "ok"
