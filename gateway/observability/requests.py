"""The edge of every HTTP request (ADRs 0174-0176): its request id, its access line, its
metrics and, when tracing is on, its server span.

A request id comes from the caller's `X-Request-Id` when it is a short token of safe
characters, else it is made here; it goes back in the `X-Request-Id` response header, into
every log line of the request (structlog's context) and into every error's `extensions`
(the endpoints read it from `request_id(scope)`).

What the GraphQL endpoint learns (operation name and type, read path, identity kind, the
errors' codes) it leaves in the scope's `state` for this layer to log, count and trace.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import logs, metrics, tracing

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
STATE = "gateway"  # the scope state's entry this layer and the endpoints share


def request_id(scope: Scope) -> str | None:
    """The request id of the request `scope` belongs to (None outside this layer)."""
    found = scope.get("state", {}).get(STATE)
    return None if found is None else found.request_id


def note(scope: Scope) -> RequestNote | None:
    """What the endpoint may tell this layer about the request."""
    return scope.get("state", {}).get(STATE)  # type: ignore[no-any-return]


class RequestNote:
    """One request's facts, filled in by the endpoint that answers it."""

    __slots__ = ("error_codes", "executor", "identity", "operation", "operation_type", "request_id")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.operation: str | None = None
        self.operation_type: str | None = None
        self.executor: str | None = None
        self.identity: str | None = None  # the caller's kind (role), never who
        self.error_codes: list[str] = []


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(scope: Scope) -> str:
    """The path template of the route that answered (Starlette's router leaves it in the
    scope): a bounded label, never the path itself."""
    return getattr(scope.get("route"), "path", None) or "other"


class RequestEdge:
    """Outermost ASGI middleware of the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming is not None and _SAFE_ID.fullmatch(incoming) else None
        rid = rid or secrets.token_hex(16)  # 32 hex digits, as uuid4().hex, for less
        request_note = RequestNote(rid)
        scope.setdefault("state", {})[STATE] = request_note
        status = 500
        header = rid.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", header)]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=rid)
        try:
            if tracing.ENABLED:
                await self._traced(scope, receive, send_with_id, request_note, lambda: status)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self._record(scope, _route(scope), status, elapsed, request_note)
            structlog.contextvars.unbind_contextvars("request_id")

    async def _traced(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_note: RequestNote,
        status: Any,
    ) -> None:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers", ())
            if key in (b"traceparent", b"tracestate", b"baggage")
        }
        with tracing.tracer().start_as_current_span(
            scope["method"],
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": scope["method"],
                "gateway.request_id": request_note.request_id,
            },
        ) as span:
            await self.app(scope, receive, send)
            # The route is known once the router has matched it.
            route = _route(scope)
            span.update_name(f"{scope['method']} {route}")
            span.set_attribute("http.route", route)
            code = status()
            span.set_attribute("http.response.status_code", code)
            for name, value in (
                ("graphql.operation.name", request_note.operation),
                ("graphql.operation.type", request_note.operation_type),
                ("gateway.executor", request_note.executor),
                ("gateway.identity.kind", request_note.identity),
            ):
                if value is not None:
                    span.set_attribute(name, value)
            if code >= 500:
                span.set_status(Status(StatusCode.ERROR))

    @staticmethod
    def _record(
        scope: Scope, route: str, status: int, elapsed: float, request_note: RequestNote
    ) -> None:
        method = scope.get("method", "")
        method_label = method if method in _METHODS else "other"  # a client names the method
        metrics.labelled(metrics.HTTP_REQUESTS, route, method_label, str(status)).inc()
        metrics.labelled(metrics.HTTP_DURATION, route).observe(elapsed)
        operation_type = request_note.operation_type
        executor = request_note.executor
        if route == "/graphql":
            if status < 400:
                outcome = "errors" if request_note.error_codes else "ok"
            elif status == 503:
                outcome = "unavailable"
            elif status < 500:
                outcome = "refused"
            else:
                outcome = "failed"
            metrics.labelled(
                metrics.GRAPHQL_REQUESTS,
                metrics.operation_label(request_note.operation),
                operation_type or "",
                executor or "",
                outcome,
            ).inc()
            metrics.labelled(
                metrics.GRAPHQL_DURATION, operation_type or "", executor or ""
            ).observe(elapsed)
            for code in request_note.error_codes:
                metrics.labelled(metrics.ERRORS, code).inc()
        fields = {
            "method": method,
            "path": scope.get("path", ""),
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "operation": request_note.operation,
            "operation_type": operation_type,
            "executor": executor,
        }
        logs.access_line(**{k: v for k, v in fields.items() if v is not None})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None
