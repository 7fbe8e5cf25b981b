"""Rate limits per client IP and per identity, counted in Redis so every worker shares them.

Fixed windows: one counter per (bucket, window), INCR and EXPIRE in one round trip. Without
Redis the counters live in this process (one worker's view). If Redis fails (a short timeout,
then a circuit breaker: gateway.execution.redis_guard), requests pass uncounted, or are refused
with 503 when GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE=closed (ADRs 0083, 0131).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from gateway.execution.redis_guard import RedisBreaker, RedisUnavailable

log = logging.getLogger("gateway.http.ratelimit")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


class MemoryCounters:
    """Window counters of one process, for installs without Redis."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window = -1

    async def incr(self, key: str, window: int, _seconds: int) -> int:
        if window != self._window:
            # Windows only move forward: older counters can never be read again.
            self._counts = {k: v for k, v in self._counts.items() if k.endswith(f":{window}")}
            self._window = window
        value = self._counts.get(key, 0) + 1
        self._counts[key] = value
        return value


class RedisCounters:
    """Window counters in Redis, shared by every worker; asked through the breaker."""

    def __init__(self, breaker: RedisBreaker, prefix: str = "gw:rl:") -> None:
        self.breaker = breaker
        self.prefix = prefix

    async def incr(self, key: str, _window: int, seconds: int) -> int:
        async def count(redis: Any) -> int:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(self.prefix + key)
                pipe.expire(self.prefix + key, seconds + 1)
                counted, _ = await pipe.execute()
            return int(counted)

        return await self.breaker.call(count)


class RateLimitUnavailable(Exception):
    """Redis cannot count and the limits fail closed: refuse, and say when to retry."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limits cannot be counted")
        self.retry_after = retry_after


class RateLimiter:
    """Counts a hit in a bucket; says how long to wait when the bucket's window is full.

    When Redis cannot count, `fail_open` decides: let the hit through uncounted (and add one
    to `fail_open_decisions`, for metrics) or raise RateLimitUnavailable.
    """

    def __init__(self, counters: MemoryCounters | RedisCounters, *, fail_open: bool = True) -> None:
        self.counters = counters
        self.fail_open = fail_open
        self.fail_open_decisions = 0  # hits let through uncounted since start

    async def hit(self, bucket: str, rate: Rate | None) -> int | None:
        """Seconds to wait (for Retry-After) if this hit is over `rate`; None when allowed."""
        if rate is None:
            return None
        now = time.time()
        window = int(now // rate.seconds)
        try:
            count = await self.counters.incr(f"{bucket}:{window}", window, rate.seconds)
        except RedisUnavailable as error:
            # The breaker logs when Redis goes and comes back; one line per hit would flood.
            if not self.fail_open:
                assert isinstance(self.counters, RedisCounters)
                raise RateLimitUnavailable(self.counters.breaker.retry_after()) from error
            self.fail_open_decisions += 1
            log.debug("rate limit not counted: %s", error)
            return None
        if count <= rate.count:
            return None
        return max(1, math.ceil((window + 1) * rate.seconds - now))
