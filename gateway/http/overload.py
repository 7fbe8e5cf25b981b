"""Overload protection: a bound on requests in flight, request bodies read under a deadline with
a bound on slow readers per client, and a time limit per request (ADRs 0083, 0132).

A request takes its in-flight slot only once its whole body has arrived: a client that sends
headers and then stalls holds a socket, never a slot, so it cannot lock others out. While a
body is slow (not all there within `grace_seconds`), it counts against its client IP and its
caller, each allowed `per_client` slow bodies at once, and against `total` for the process;
past any of them the request is refused at once, and past `timeout_seconds` the body is given
up on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from domain.i18n import _
from gateway.observability import metrics

RETRY_AFTER_SECONDS = 1


class Refused(Exception):
    """A request the bounds refuse; the endpoint answers `status` with this message."""

    def __init__(self, status: int, message: str, code: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.retry_after = retry_after


class InFlightLimit:
    """Past `maximum` requests at once in this process, the next one is refused at once.

    A request refused here costs no database connection and no parsing, so a burst cannot
    queue up work the process will not finish in time. `in_flight` is how many run now.
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.in_flight = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        if self.maximum <= 0:
            yield
            return
        if self.in_flight >= self.maximum:
            metrics.OVERLOADED.labels("in_flight").inc()
            raise Refused(
                503,
                _(
                    "The gateway is at its limit of {maximum} requests in flight.",
                    maximum=self.maximum,
                ),
                "OVERLOADED",
                RETRY_AFTER_SECONDS,
            )
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


class BodyReader:
    """Reads a request body whole, under a deadline, bounding slow bodies per client.

    `slow` counts the bodies being waited for now, per key (`ip:...`, `caller:...`);
    `slow_total`, `refused` and `timed_out` are there for metrics.
    """

    def __init__(
        self,
        *,
        max_bytes: int,
        timeout_seconds: float,
        per_client: int,
        total: int,
        grace_seconds: float = 0.1,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.per_client = per_client
        self.total = total
        self.grace_seconds = min(grace_seconds, timeout_seconds)
        self.slow: Counter[str] = Counter()
        self.slow_total = 0
        self.refused = 0  # slow bodies refused because their client had too many
        self.timed_out = 0  # bodies given up on at the deadline

    async def read(self, receive: Receive, keys: Sequence[str]) -> bytes:
        """The whole body; Refused (413, 408, 429) or ClientDisconnect otherwise."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.timeout_seconds
        body = bytearray()
        held: Sequence[str] = ()
        try:
            while True:
                # Until the grace is over a body is not slow and counts against nobody.
                wait_until = deadline if held else started + self.grace_seconds
                try:
                    async with asyncio.timeout_at(wait_until):
                        message = await receive()
                except TimeoutError:
                    if held or loop.time() >= deadline:
                        self.timed_out += 1
                        metrics.OVERLOADED.labels("body_timeout").inc()
                        raise Refused(
                            408,
                            _(
                                "The request body did not arrive within {timeout_seconds:g} s.",
                                timeout_seconds=self.timeout_seconds,
                            ),
                            "REQUEST_TIMEOUT",
                        ) from None
                    held = self._take(keys)
                    continue
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect()
                body.extend(message.get("body", b""))
                if len(body) > self.max_bytes:
                    raise Refused(
                        413,
                        _(
                            "The request body is larger than {max_bytes} bytes.",
                            max_bytes=self.max_bytes,
                        ),
                        "PAYLOAD_TOO_LARGE",
                    )
                if not message.get("more_body", False):
                    return bytes(body)
        finally:
            self._give_back(held)

    def _take(self, keys: Sequence[str]) -> Sequence[str]:
        if self.slow_total >= self.total:
            self.refused += 1
            metrics.OVERLOADED.labels("slow_bodies").inc()
            raise Refused(
                503,
                _(
                    "The gateway is waiting for {total} slow request bodies already.",
                    total=self.total,
                ),
                "OVERLOADED",
                RETRY_AFTER_SECONDS,
            )
        for key in keys:
            if self.slow[key] >= self.per_client:
                self.refused += 1
                metrics.OVERLOADED.labels("slow_bodies").inc()
                raise Refused(
                    429,
                    _(
                        "Too many requests whose bodies are still arriving: the limit is "
                        "{per_client} at once per client.",
                        per_client=self.per_client,
                    ),
                    "RATE_LIMITED",
                    RETRY_AFTER_SECONDS,
                )
        for key in keys:
            self.slow[key] += 1
        self.slow_total += 1
        return keys

    def _give_back(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        for key in keys:
            self.slow[key] -= 1
            if self.slow[key] <= 0:
                del self.slow[key]
        self.slow_total -= 1
