"""Places of open subscriptions per identity, counted where every process sees them (ADR 0260).

With Redis (`GATEWAY_REDIS_URL`), each identity has a sorted set `gw:subs:<caller key>`: one
member per open subscription, on whichever process, scored by the moment its lease ends. A
place is claimed by one Lua script (stale members dropped, the rest counted, the new one added,
atomically, on Redis's own clock); a keeper task per process renews the leases of the places
it holds every keep-alive period and removes the ones given back, in one pipeline. A process
that dies (SIGKILL, a lost host) stops renewing: its places end with their lease, three
keep-alive periods after its last renewal.

Without Redis the count is this process's (one process: the embedded SQLite setup). This
process's own count is kept with Redis too: while Redis is out and the limits fail open
(GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE=open, ADR 0131) the limit holds per process, the way it
held before; failing closed, new subscriptions are refused with Retry-After. Once Redis
answers again, the keeper's next renewal writes every place held here, those claimed meanwhile
too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from gateway.execution.redis_guard import RedisBreaker, RedisUnavailable

log = logging.getLogger("gateway.http.slots")

PREFIX = "gw:subs:"
# A lease outlives this many renewal periods: one renewal may be late or fail.
LEASE_PERIODS = 3

# KEYS[1] the identity's set; ARGV: limit, lease (ms), member. 1: claimed, 0: at the limit.
_CLAIM = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# KEYS[1] the identity's set; ARGV: lease (ms), then the members held here. Adds them if an
# outage let their lease end: the set counts every subscription that is open.
_RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
return #ARGV - 1
"""


class LimitReached(Exception):
    """The identity holds its limit of subscriptions already."""


class SlotsUnavailable(Exception):
    """Redis cannot count and the limits fail closed: refuse, and say when to retry."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("subscription places cannot be counted")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Slot:
    """One subscription's place under its identity's limit."""

    caller: str  # Identity.caller_key
    member: str  # unique across processes


class SubscriptionSlots:
    """Claims and gives back places under `limit` per identity, in Redis when `breaker` is
    given (shared by every process), else in this process."""

    def __init__(
        self,
        limit: int,
        *,
        breaker: RedisBreaker | None = None,
        renew_seconds: float = 15.0,
        fail_open: bool = True,
    ) -> None:
        self.limit = limit
        self.breaker = breaker
        self.renew_seconds = renew_seconds
        self.lease_ms = max(1, int(renew_seconds * LEASE_PERIODS * 1000))
        self.fail_open = fail_open
        self.counts: Counter[str] = Counter()  # this process's open places, per caller
        self.held: set[Slot] = set()  # claimed in Redis or while it was out: renewed
        self._released: list[Slot] = []
        self._wake: asyncio.Event | None = None  # made on the keeper's loop
        self._keeper: asyncio.Task[None] | None = None
        self._process = uuid.uuid4().hex[:16]
        self._serial = itertools.count(1)
        if breaker is not None:
            self._claim = breaker.redis.register_script(_CLAIM)
            self._renew = breaker.redis.register_script(_RENEW)

    async def take(self, caller: str) -> Slot:
        """A place for one more subscription of `caller`; LimitReached at the limit,
        SlotsUnavailable when it cannot be counted and the limits fail closed."""
        slot = Slot(caller, f"{self._process}:{next(self._serial)}")
        if self.breaker is None:
            self._count_here(slot)
            return slot
        self._start()
        try:
            claimed = await self.breaker.call(
                lambda redis: self._claim(
                    [PREFIX + caller], [self.limit, self.lease_ms, slot.member], client=redis
                )
            )
        except RedisUnavailable as error:
            if not self.fail_open:
                raise SlotsUnavailable(self.breaker.retry_after()) from error
            # The breaker logs when Redis goes and comes back; counted here meanwhile.
            log.debug("subscription place counted in this process only: %s", error)
            self._count_here(slot)
        else:
            if not claimed:
                raise LimitReached
            self.counts[caller] += 1
        self.held.add(slot)
        return slot

    def _count_here(self, slot: Slot) -> None:
        if self.counts[slot.caller] >= self.limit:
            raise LimitReached
        self.counts[slot.caller] += 1

    def release(self, slot: Slot) -> None:
        """Gives the place back (the keeper removes it from Redis soon after)."""
        self.counts[slot.caller] -= 1
        if self.counts[slot.caller] <= 0:
            del self.counts[slot.caller]
        if slot in self.held:
            self.held.discard(slot)
            self._released.append(slot)
            if self._wake is not None:
                self._wake.set()

    # ---------------------------------------------------------------------- the keeper

    def _start(self) -> None:
        if self._keeper is None or self._keeper.done():
            self._wake = asyncio.Event()
            self._keeper = asyncio.get_running_loop().create_task(self._keep(self._wake))

    async def _keep(self, wake: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + self.renew_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, renew_at - loop.time())):
                    await wake.wait()
            wake.clear()
            renew = loop.time() >= renew_at
            if renew:
                renew_at = loop.time() + self.renew_seconds
            await self._write(renew)

    async def _write(self, renew: bool) -> None:
        """One pipeline: the places given back removed, those held renewed (when due)."""
        assert self.breaker is not None
        released, self._released = self._released, []
        held: dict[str, list[str]] = {}
        if renew:
            for slot in self.held:
                held.setdefault(slot.caller, []).append(slot.member)
        if not released and not held:
            return

        async def write(redis: Any) -> None:
            async with redis.pipeline(transaction=False) as pipe:
                for slot in released:
                    pipe.zrem(PREFIX + slot.caller, slot.member)
                for caller, members in held.items():
                    await self._renew([PREFIX + caller], [self.lease_ms, *members], client=pipe)
                await pipe.execute()

        try:
            await self.breaker.call(write)
        except RedisUnavailable as error:
            # Removed once Redis answers (and meanwhile they end with their lease); those held
            # are written again at the next renewal.
            self._released[:0] = released
            log.debug("subscription places not written: %s", error)

    async def stop(self) -> None:
        """Writes the places given back so far, then stops the keeper (at shutdown)."""
        if self._keeper is None:
            return
        self._keeper.cancel()
        with contextlib.suppress(BaseException):
            await self._keeper
        self._keeper = None
        with contextlib.suppress(Exception):
            await self._write(renew=False)
