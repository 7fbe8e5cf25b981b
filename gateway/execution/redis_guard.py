"""Redis behind short timeouts and a circuit breaker (ADR 0131).

Redis holds what the gateway can do without for a while (rate-limit counters, APQ texts), so a
Redis that stops answering must not make every request wait for it. Each call has a short
timeout and no retries; after `failures_to_open` failures in a row the breaker opens and calls
fail at once, without asking Redis, for `open_seconds`; then one call at a time is let through
to try (half-open): its success closes the breaker, its failure opens it again.

Its state is plain attributes, for a metrics endpoint or a readiness check to read:
`state` ("closed", "open", "half-open"), `opened` (times it opened), `short_circuited` (calls
refused without asking Redis) and `failures` (calls that reached Redis and failed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger("gateway.redis")

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class RedisUnavailable(Exception):
    """Redis did not answer, or the breaker is open; the caller falls back or refuses."""


def connect(url: str, timeout_seconds: float) -> Any:
    """A redis.asyncio client that gives up after `timeout_seconds` and never retries: the
    breaker decides when to ask again (redis-py's default retries three times, with backoff)."""
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
    )


class RedisBreaker:
    """Runs operations on a Redis client unless Redis is known to be down."""

    def __init__(
        self,
        redis: Any,
        *,
        open_seconds: float = 5.0,
        failures_to_open: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.open_seconds = open_seconds
        self.failures_to_open = max(1, failures_to_open)
        self.clock = clock
        self.state = CLOSED
        self.opened = 0
        self.short_circuited = 0
        self.failures = 0
        self._failures_in_a_row = 0
        self._opened_at = 0.0
        self._trying = False

    def retry_after(self) -> int:
        """Whole seconds until the breaker lets a call try Redis again (at least 1)."""
        if self.state != OPEN:
            return 1
        remaining = self._opened_at + self.open_seconds - self.clock()
        return max(1, int(remaining + 0.999))

    async def call(self, operation: Callable[[Any], Awaitable[T]]) -> T:
        """`operation(redis)`'s result; RedisUnavailable if Redis fails or is known down."""
        if not self._may_try():
            self.short_circuited += 1
            raise RedisUnavailable("Redis is unavailable (circuit open)")
        trial = self.state == HALF_OPEN
        try:
            result = await operation(self.redis)
        except Exception as error:
            self._failed(error, trial)
            raise RedisUnavailable(f"Redis failed: {type(error).__name__}: {error}") from error
        finally:
            if trial:
                self._trying = False
        self._succeeded()
        return result

    def _may_try(self) -> bool:
        if self.state == CLOSED:
            return True
        if self.state == OPEN and self.clock() - self._opened_at >= self.open_seconds:
            self.state = HALF_OPEN
        if self.state == HALF_OPEN and not self._trying:
            self._trying = True  # one trial at a time; the others fail fast meanwhile
            return True
        return False

    def _failed(self, error: Exception, trial: bool) -> None:
        self.failures += 1
        self._failures_in_a_row += 1
        if not trial and self._failures_in_a_row < self.failures_to_open:
            return
        if self.state == CLOSED:
            self.opened += 1
            log.warning(
                "Redis unavailable (%s: %s): not asked again for %g s",
                type(error).__name__,
                error,
                self.open_seconds,
            )
        if self.state != OPEN:  # calls that began before it opened do not extend it
            self._opened_at = self.clock()
        self.state = OPEN

    def _succeeded(self) -> None:
        if self.state != CLOSED:
            log.warning("Redis answers again")
        self.state = CLOSED
        self._failures_in_a_row = 0
