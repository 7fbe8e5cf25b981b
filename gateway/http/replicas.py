"""Reads from PostgreSQL streaming replicas, with read-your-writes per identity (ADR 0230).

Each process checks every replica each `GATEWAY_REPLICA_CHECK_SECONDS`: the primary's WAL
position (`pg_current_wal_lsn()`), then each replica's replayed position
(`pg_last_wal_replay_lsn()`, and that it is still a standby). A replica's lag is how long ago
the primary was first seen at a position the replica has not replayed yet (0 when it has
replayed the primary's last seen position): it does not grow on an idle primary, as the age of
the last replayed commit does. A replica that does not answer, is no longer a standby, or lags
more than `GATEWAY_REPLICA_MAX_LAG` is skipped until a check finds it well again.

Read-your-writes: after a mutation commits, the primary's WAL position (past the commit) is
kept in Redis under the caller (`Identity.caller_key`), for as long as a replica could still be
that far behind and be used. A read of that caller goes to a replica seen to have replayed that
position, else to the primary; without a mark, to any well replica (in turn). When the mark
cannot be read (Redis down) the read goes to the primary: never a stale answer to the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.db import create_engine, session_factory
from domain.outages import database_unavailable
from domain.reads.batched import Readers
from gateway.execution.redis_guard import RedisBreaker, RedisUnavailable
from gateway.observability import metrics
from gateway.settings import Settings, mask_url

log = logging.getLogger("gateway.http.replicas")

MARK_PREFIX = "gw:ryw:"
# A replica that answered no check for this many intervals is not used: its state is too old.
STALE_CHECKS = 3
CONNECT_TIMEOUT_SECONDS = 2.0
UNKNOWN_POSITION = 2**64  # past any replica: a mark of a commit whose position is unknown
LOCAL_MARKS = 10_000  # marks kept in process while Redis is down, before the expired go


# WAL positions as integers (bytes since 0/0), which compare and travel through Redis as such.
PRIMARY_POSITION = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
REPLICA_POSITION = (
    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
)


@dataclass
class Database:
    """Where a read runs: the primary or one replica, with its engine, sessions and readers."""

    name: str  # "primary", "replica1", ...
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: Readers
    replica: Replica | None = None

    def session_factory(self) -> Callable[[], AsyncSession]:
        """Sessions on this database (for the compiled path's resolver roots)."""
        return lambda: self.sessions(bind=self.engine)


@dataclass
class Replica:
    name: str
    url: str  # password masked: what /readyz and logs show
    database: Database | None = None
    status: str = "unknown"  # ok, lagging, down, not a standby, unknown
    reason: str | None = None
    lag_seconds: float | None = None
    replayed: int | None = None  # the replayed WAL position at the last check
    checked_at: float = 0.0  # time.monotonic() of the last answer

    def report(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "lag_seconds": self.lag_seconds}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass
class Choice:
    database: Database
    reason: str  # why this one: the x-gateway-database header's words


@dataclass
class ReplicaSet:
    settings: Settings
    primary: Database
    replicas: list[Replica]
    breaker: RedisBreaker | None
    # (primary's WAL position, when it was first seen there), oldest first.
    _positions: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=4096))
    _turn: int = 0
    _task: asyncio.Task[None] | None = None
    # Marks this process wrote but could not keep in Redis: caller -> (position, until).
    _local: dict[str, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: Settings,
        primary: Database,
        breaker: RedisBreaker | None,
        engine_options: dict[str, Any],
    ) -> ReplicaSet:
        replicas = []
        options = dict(engine_options)
        connect_args = dict(options.get("connect_args", {}))
        connect_args["timeout"] = min(CONNECT_TIMEOUT_SECONDS, settings.request_timeout_seconds)
        # A standby's own setting would cancel reads that conflict with replay; the request's
        # time limit is the bound that matters (ADR 0083).
        options["connect_args"] = connect_args
        for position, url in enumerate(settings.database_replica_urls, 1):
            engine = create_engine(url, **options)
            replica = Replica(name=f"replica{position}", url=mask_url(url))
            replica.database = Database(
                name=replica.name,
                engine=engine,
                sessions=session_factory(engine),
                readers=Readers(engine),
                replica=replica,
            )
            replicas.append(replica)
        return cls(settings=settings, primary=primary, replicas=replicas, breaker=breaker)

    # --- health checks ---------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._check_forever())

    async def _check_forever(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.check()
            await asyncio.sleep(self.settings.replica_check_seconds)

    async def check(self) -> None:
        """One round: the primary's position, then every replica's, at once."""
        timeout = min(self.settings.readiness_timeout_seconds, self.settings.replica_check_seconds)
        now = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                async with self.primary.engine.connect() as connection:
                    position = int((await connection.execute(text(PRIMARY_POSITION))).scalar_one())
            if not self._positions or position > self._positions[-1][0]:
                self._positions.append((position, now))
        except Exception as error:
            # Without the primary the lags cannot be known: they are judged by the positions
            # seen before, which is what the replicas can be compared with.
            log.debug("replica check: the primary's position is unknown: %s", error)
        await asyncio.gather(*(self._check(replica, seconds=timeout) for replica in self.replicas))

    async def _check(self, replica: Replica, *, seconds: float) -> None:
        assert replica.database is not None
        before = replica.status
        try:
            async with asyncio.timeout(seconds):
                async with replica.database.engine.connect() as connection:
                    row = (await connection.execute(text(REPLICA_POSITION))).one()
        except Exception as error:
            if database_unavailable(error) or isinstance(error, TimeoutError):
                # Broken pooled connections go with it: the next check connects afresh.
                with contextlib.suppress(Exception):
                    await replica.database.engine.dispose()
            self._down(replica, "no answer" if isinstance(error, TimeoutError) else type(error))
        else:
            in_recovery, replayed = row
            replica.checked_at = time.monotonic()
            if not in_recovery or replayed is None:
                replica.status, replica.reason = "not a standby", "pg_is_in_recovery() is false"
                replica.lag_seconds = None
            else:
                replica.replayed = int(replayed)
                replica.lag_seconds = round(self._lag(replica.replayed, replica.checked_at), 3)
                if replica.lag_seconds > self.settings.replica_max_lag_seconds:
                    replica.status = "lagging"
                    replica.reason = f"more than {self.settings.replica_max_lag_seconds:g} s behind"
                else:
                    replica.status, replica.reason = "ok", None
        self._publish(replica)
        if replica.status != before and (before, replica.status) != ("unknown", "ok"):
            log.warning(
                "replica %s (%s) is now %s%s",
                replica.name,
                replica.url,
                replica.status,
                f": {replica.reason}" if replica.reason else "",
            )

    def _lag(self, replayed: int, now: float) -> float:
        """Seconds since the primary was first seen past `replayed` (0: nothing missing)."""
        for position, seen in self._positions:
            if position > replayed:
                return max(0.0, now - seen)
        return 0.0

    def _down(self, replica: Replica, why: Any) -> None:
        replica.status = "down"
        replica.reason = why if isinstance(why, str) else f"unavailable ({why.__name__})"
        replica.lag_seconds = None

    def _publish(self, replica: Replica) -> None:
        well = 1 if replica.status == "ok" else 0
        metrics.REPLICA_HEALTHY.labels(replica.name).set(well)
        if replica.lag_seconds is not None:
            metrics.REPLICA_LAG.labels(replica.name).set(replica.lag_seconds)

    def failed(self, database: Database, error: BaseException) -> None:
        """A read met this replica's outage: skip it until a check finds it well."""
        if database.replica is not None:
            self._down(database.replica, type(error))
            self._publish(database.replica)
            log.warning("replica %s failed a read; reads go elsewhere", database.name)

    def report(self) -> dict[str, Any]:
        """/readyz's view: each replica's status and lag."""
        return {replica.name: replica.report() for replica in self.replicas}

    # --- choosing where a read runs --------------------------------------------------------

    def _usable(self, now: float) -> list[Replica]:
        horizon = STALE_CHECKS * self.settings.replica_check_seconds
        return [
            replica
            for replica in self.replicas
            if replica.status == "ok" and now - replica.checked_at <= horizon
        ]

    async def choose(self, caller: str) -> Choice:
        """Where `caller`'s read runs (ADR 0230)."""
        now = time.monotonic()
        usable = self._usable(now)
        if not usable:
            return self._primary("no replica is well")
        try:
            mark = await self._mark(caller, now)
        except RedisUnavailable:
            return self._primary("read-your-writes unknown (Redis unavailable)")
        if mark is not None:
            usable = [r for r in usable if r.replayed is not None and r.replayed >= mark]
            if not usable:
                return self._primary("read-your-writes")
        self._turn = (self._turn + 1) % len(usable)
        replica = usable[self._turn]
        assert replica.database is not None
        metrics.DB_READS.labels(replica.name, "replica").inc()
        return Choice(replica.database, "replica")

    def _primary(self, reason: str) -> Choice:
        metrics.DB_READS.labels("primary", reason).inc()
        return Choice(self.primary, reason)

    async def _mark(self, caller: str, now: float) -> int | None:
        local = self._local.get(caller)
        if local is not None and local[1] < now:
            del self._local[caller]
            local = None
        assert self.breaker is not None  # replicas need Redis (Settings)
        raw = await self.breaker.call(lambda redis: redis.get(_mark_key(caller)))
        marks = [int(raw)] if raw is not None else []
        if local is not None:
            marks.append(local[0])
        return max(marks) if marks else None

    @property
    def mark_seconds(self) -> int:
        """How long a replica could lag behind a commit and still be used, so how long the
        commit's mark must be kept: the lag allowed, plus two checks' worth of staleness."""
        settings = self.settings
        return math.ceil(settings.replica_max_lag_seconds + 2 * settings.replica_check_seconds) + 1

    async def wrote(self, caller: str, session: AsyncSession) -> None:
        """After `caller`'s mutation committed: its reads see it from now on (ADR 0230)."""
        try:
            position = int((await session.execute(text(PRIMARY_POSITION))).scalar_one())
        except Exception as error:
            if not database_unavailable(error):
                raise
            # Committed, but where is unknown: the caller reads from the primary meanwhile.
            position = UNKNOWN_POSITION
        seconds = self.mark_seconds
        assert self.breaker is not None
        try:
            await self.breaker.call(
                lambda redis: redis.set(_mark_key(caller), position, ex=seconds)
            )
        except RedisUnavailable:
            # Kept here, at least: this process's reads of the caller see the write; the other
            # processes cannot read Redis either, and send every read to the primary.
            now = time.monotonic()
            if len(self._local) >= LOCAL_MARKS:
                self._local = {k: v for k, v in self._local.items() if v[1] >= now}
            self._local[caller] = (position, now + seconds)
            log.warning("read-your-writes mark kept in this process only: Redis is unavailable")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        for replica in self.replicas:
            assert replica.database is not None
            await replica.database.readers.shutdown()
            await replica.database.engine.dispose()


def _mark_key(caller: str) -> str:
    return MARK_PREFIX + hashlib.sha256(caller.encode()).hexdigest()[:32]
