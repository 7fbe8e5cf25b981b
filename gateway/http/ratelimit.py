"""Rate limits per client IP and per identity, counted in Redis so every worker shares them.

Fixed windows: one counter per (bucket, window), INCR and EXPIRE in one round trip. Without
Redis the counters live in this process (one worker's view); if Redis fails, requests pass
and the failure is logged: the limit protects capacity, it is not an access control (ADR 0083).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

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
    def __init__(self, redis: Any, prefix: str = "gw:rl:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def incr(self, key: str, _window: int, seconds: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.prefix + key)
            pipe.expire(self.prefix + key, seconds + 1)
            count, _ = await pipe.execute()
        return int(count)


class RateLimiter:
    """Counts a hit in a bucket; says how long to wait when the bucket's window is full."""

    def __init__(self, counters: MemoryCounters | RedisCounters) -> None:
        self.counters = counters

    async def hit(self, bucket: str, rate: Rate | None) -> int | None:
        """Seconds to wait (for Retry-After) if this hit is over `rate`; None when allowed."""
        if rate is None:
            return None
        now = time.time()
        window = int(now // rate.seconds)
        try:
            count = await self.counters.incr(f"{bucket}:{window}", window, rate.seconds)
        except Exception as error:  # Redis down: fail open, loudly
            log.warning("rate limit not counted (%s): %s", type(error).__name__, error)
            return None
        if count <= rate.count:
            return None
        return max(1, math.ceil((window + 1) * rate.seconds - now))
