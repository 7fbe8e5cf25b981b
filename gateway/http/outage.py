"""A dependency outage is a 503 with Retry-After, on every route (ADR 0130).

Whatever a route was doing when the database went away (authenticating an API key, claiming
an idempotency key, reading, committing, making a PDF), the client gets
`503 {"errors": [{"message": ..., "extensions": {"code": "SERVICE_UNAVAILABLE"}}]}` and a
`Retry-After`, never a 500 or an "Internal error"; the pool reconnects by itself when the
database is back (SQLAlchemy drops the connections an outage broke).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.i18n import _
from domain.outages import DatabaseUnavailable, database_unavailable
from gateway.http.errors import error_body

log = logging.getLogger("gateway.outage")

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 1
DATABASE_MESSAGE = _("The database is unavailable; try again later.")


def outage_body(message: str = DATABASE_MESSAGE) -> bytes:
    return error_body(message, SERVICE_UNAVAILABLE)


def outage_headers(retry_after: int = RETRY_AFTER_SECONDS) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"retry-after", str(retry_after).encode()),
        (b"cache-control", b"no-store"),
    ]


class OutageGuard:
    """ASGI middleware: an exception that says the database is unavailable becomes a 503.

    Anything else passes through untouched (a defect stays a 500, with its stack in the log).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started or not database_unavailable(error):
                raise
            log.warning(
                "database unavailable on %s %s: %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(error).__name__,
                str(error).split("\n", 1)[0],
            )
            await send({"type": "http.response.start", "status": 503, "headers": outage_headers()})
            await send({"type": "http.response.body", "body": outage_body()})


__all__ = ["DatabaseUnavailable", "OutageGuard", "database_unavailable", "outage_body"]
