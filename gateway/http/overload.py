"""Overload protection: a bound on requests in flight and a time limit per request (ADR 0083)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER_SECONDS = 1


def unavailable_body(message: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": "OVERLOADED"}}]})


class InFlightLimit:
    """ASGI middleware: past `maximum` requests at once in this process, answer 503 at once.

    A request refused here costs no database connection and no parsing, so a burst cannot
    queue up work the process will not finish in time.
    """

    def __init__(self, app: ASGIApp, maximum: int) -> None:
        self.app = app
        self.maximum = maximum
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.maximum <= 0:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.maximum:
            await send_unavailable(
                send, f"The gateway is at its limit of {self.maximum} requests in flight."
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def send_unavailable(send: Send, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> Any:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": unavailable_body(message)})
