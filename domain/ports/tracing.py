"""Spans and W3C trace context for the port clients (ADR 0176).

Each call to an external system is a client span named for the port and the operation, and
its `traceparent` goes on the request, so the other side continues the caller's trace. With
tracing off (no SDK set up) the OpenTelemetry API does nothing: no span, no header.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

_tracer = trace.get_tracer("isp-gateway.ports")


@contextlib.contextmanager
def port_call(port: str, operation: str, headers: dict[str, str]) -> Iterator[Any]:
    """A client span around one call; adds the trace context to `headers` (sent with it)."""
    with _tracer.start_as_current_span(
        f"{port} {operation}",
        kind=SpanKind.CLIENT,
        attributes={"gateway.port": port, "gateway.port.operation": operation},
        record_exception=False,  # an exception's text may carry what the call sent
    ) as span:
        propagate.inject(headers)
        try:
            yield span
        except Exception as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise
