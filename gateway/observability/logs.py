"""Structured logs with structlog (ADR 0174): JSON lines in production, readable lines in
development, the standard library's loggers (ours, uvicorn's, SQLAlchemy's) included.

Every line of a request carries its `request_id` (structlog's context variables, bound by
`gateway.observability.requests`). No line carries a secret or personal data: the gateway logs
no bodies, no query strings, no tokens and no SQL parameters (the engine hides them), and
`scrub` masks anything shaped like a bearer token, a JWT or an API key that slips into a
message anyway.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

import orjson
import structlog

from gateway.settings import Settings

_SECRET_SHAPES = re.compile(
    r"(?i:bearer\s+)\S+"  # an Authorization header's value
    r"|eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"  # a JWT (its header is base64 of '{"')
    r"|gk_[\w-]{8,}"  # an API key of ours
)


def _mask(text: str) -> str:
    return _SECRET_SHAPES.sub("[redacted]", text)


def _may_hold_secret(text: str) -> bool:
    """A quick look before the expression: most values hold none of its shapes' marks."""
    return "eyJ" in text or "gk_" in text or "earer" in text.lower()


def scrub(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Masks secret-shaped text in every string value of the line (defence in depth)."""
    event.pop("color_message", None)  # uvicorn's terminal twin of the message
    for key, value in event.items():
        if isinstance(value, str) and len(value) >= 20 and _may_hold_secret(value):
            event[key] = _mask(value)
    return event


def _json(value: Any, **_kwargs: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _add_pid(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """The serving process's id: which of `gateway serve --workers N` wrote the line."""
    event["pid"] = os.getpid()
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    _add_pid,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Sends every log line (structlog's and the standard library's) to stderr, rendered as
    the settings say. Safe to call again (the last call wins)."""
    json_lines = settings.json_logs
    renderer: Any
    if json_lines:
        renderer = structlog.processors.JSONRenderer(serializer=_json)
        # Never the frames' local variables: they hold tokens, passwords, personal data.
        exceptions: list[Any] = [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
    else:
        # A plain traceback: never the frames' local variables (see below), and quick.
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        exceptions = []
    pre_chain = [*_SHARED, structlog.stdlib.ExtraAdder()]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *exceptions,
            scrub,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_gateway", False):
            root.removeHandler(old)
    handler._gateway = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # No line renders its caller's file and line, and finding them walks the stack on every
    # record: half the cost of an access line (the logging HOWTO's "Optimization" section).
    logging._srcfile = None  # type: ignore[attr-defined]
    for noisy in ("alembic", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # The access line, one per request, straight to the same stream with the same fields and
    # renderer: through the standard library it cost two LogRecords and a formatter pass,
    # a quarter of a `{ __typename }` request's CPU.
    global _access
    _access = (
        handler,
        structlog.wrap_logger(
            _HandlerStream(handler),
            processors=[
                structlog.contextvars.merge_contextvars,
                _add_pid,
                structlog.processors.add_log_level,
                _named(ACCESS_LOGGER),
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                scrub,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(root.level),
            cache_logger_on_first_use=True,
        ),
    )


class _HandlerStream:
    """Where the access logger writes: the gateway handler's current stream, as the handler
    writes to it. A line that cannot be written is dropped, as the logging system drops it
    (a closed stream, a full disk): logging never fails a request."""

    def __init__(self, handler: logging.StreamHandler[Any]) -> None:
        self.handler = handler

    def info(self, line: str) -> None:
        try:
            stream = self.handler.stream
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass


ACCESS_LOGGER = "gateway.access"
_access: Any = None  # (the handler, the access logger), set by configure_logging


def _named(name: str) -> Any:
    def add_logger_name(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        event["logger"] = name
        return event

    return add_logger_name


def access_line(**fields: Any) -> None:
    """Logs a request's access line (gateway.observability.requests)."""
    if _access is not None and _access[0] in logging.getLogger().handlers:
        _access[1].info("request", **fields)
    else:  # logging as the process set it up, not configure_logging (a test's own)
        structlog.stdlib.get_logger(ACCESS_LOGGER).info("request", **fields)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
