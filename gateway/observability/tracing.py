"""Traces with the OpenTelemetry SDK (ADR 0176), exported over OTLP/HTTP.

Off unless the standard variables ask for it: an OTLP endpoint
(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`) or `OTEL_TRACES_EXPORTER`
(`otlp`, `console`, or `none`); `OTEL_SDK_DISABLED=true` wins over both. The SDK itself reads
the rest (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER[_ARG]`,
`OTEL_EXPORTER_OTLP_*_HEADERS`, `OTEL_BSP_*`, `OTEL_PROPAGATORS`).

When off, nothing is instrumented: `ENABLED` is false, `span()` hands back one shared empty
context manager, no engine listener exists and the compiled path's driver calls run bare; the
cost is a module attribute read per step.

When on: a server span per request (gateway.observability.requests) continuing the caller's
`traceparent`, children for parse/validate, planning and execution, one per SQL statement
(SQLAlchemy's events on our engines, and the compiled path's driver calls through
`Reader.span`), one per port call (domain/ports/tracing.py, which sends `traceparent` on) and
one per outbox delivery. Spans never carry a token, a document number, a password or SQL
parameters: only SQL text with placeholders, names and ids.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

ENABLED = False
_provider: Any = None
_tracer: trace.Tracer = trace.get_tracer("isp-gateway")
_NOTHING = contextlib.nullcontext()
SERVICE_NAME = "isp-gateway"


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the OTEL_* variables ask for traces."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Sets up the SDK once per process when the environment asks for traces."""
    global ENABLED, _provider, _tracer
    if ENABLED:
        return True
    env = os.environ if environ is None else environ
    if not wanted(env):
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    from gateway.settings import ConfigurationError

    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
    provider = TracerProvider(resource=Resource.create(attributes))
    exporters = [
        name.strip()
        for name in (env.get("OTEL_TRACES_EXPORTER") or "otlp").lower().split(",")
        if name.strip()
    ]
    for name in exporters:
        if name == "otlp":
            protocol = (
                env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf"
            )
            if protocol != "http/protobuf":
                raise ConfigurationError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf; got {protocol!r}."
                )
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            raise ConfigurationError(
                f"OTEL_TRACES_EXPORTER must be otlp, console or none; got {name!r}."
            )
    trace.set_tracer_provider(provider)
    _provider = provider
    _tracer = provider.get_tracer("isp-gateway")
    from domain.reads.batched import Reader

    Reader.span = driver_span
    ENABLED = True
    return True


def shutdown() -> None:
    """Sends what is still buffered (the process is stopping)."""
    if _provider is not None:
        _provider.force_flush()
        _provider.shutdown()


def tracer() -> trace.Tracer:
    return _tracer


def span(name: str, **attributes: Any) -> Any:
    """A child span of the current one, or a shared no-op when tracing is off."""
    if not ENABLED:
        return _NOTHING
    return _tracer.start_as_current_span(name, attributes=attributes or None)


def _operation(sql: str) -> str:
    return sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "SQL"


class driver_span:
    """The span of one statement the compiled read path runs on the driver itself; a leaf,
    so it is never made the current span (that would cost a context switch each way)."""

    __slots__ = ("_span",)

    def __init__(self, system: str, sql: str) -> None:
        self._span = _tracer.start_span(
            _operation(sql),
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": system, "db.query.text": sql, "gateway.driver": "raw"},
        )

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, _traceback: Any) -> None:
        if error is not None:
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        self._span.end()


def instrument_engine(engine: Any) -> None:
    """One client span per statement the engine runs (SQLAlchemy's cursor events)."""
    if not ENABLED:
        return
    from sqlalchemy import event

    sync_engine = engine.sync_engine
    system = sync_engine.dialect.name

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any):  # type: ignore[no-untyped-def]
        span = _tracer.start_span(
            _operation(statement),
            kind=SpanKind.CLIENT,
            attributes={"db.system.name": system, "db.query.text": statement},
        )
        if context is not None:
            context._gateway_span = span

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: Any):  # type: ignore[no-untyped-def]
        span = getattr(context, "_gateway_span", None)
        if span is not None:
            span.end()
            context._gateway_span = None

    @event.listens_for(sync_engine, "handle_error")
    def _error(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, "_gateway_span", None)
        if span is not None:
            error = exception_context.original_exception
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
            context._gateway_span = None


def describe_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """Lines for `gateway config`: whether traces are on, and the OTEL_* variables set (values
    of headers masked: they carry credentials)."""
    env = os.environ if environ is None else environ
    lines = [f"# tracing: {'on' if wanted(env) else 'off'} (OTEL_* variables)"]
    for name in sorted(n for n in env if n.startswith("OTEL_")):
        value = "********" if "HEADERS" in name else env[name]
        lines.append(f"{name} = {value}")
    return lines
