"""Brokers: how each committed change reaches every serving process's hub (ADR 0220).

- postgres: the committing transaction announces its changes with `pg_notify`
  (domain.changes); each process LISTENs on one connection of its own. PostgreSQL delivers a
  notification only if its transaction commits, to every listener, in commit order, whichever
  process (a worker, `gateway worker`, a CLI command) committed.
- redis: each process publishes the changes it committed, in its commit order, on a Redis
  channel, and subscribes to it.
- memory: one process (the embedded SQLite setup): its commits go straight to its hub.

A process that loses its broker's connection reconnects; what was announced meanwhile is lost
to its subscribers (counted in gateway_realtime_changes_lost), and `ready` fails until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import make_url

from domain import changes
from domain.changes import Change
from gateway.observability import metrics
from gateway.realtime.hub import Hub
from gateway.settings import Settings

log = logging.getLogger("gateway.realtime")

RECONNECT_SECONDS = 1.0
REDIS_CHANNEL = "gateway:changes"


class NotListening(Exception):
    """The broker cannot deliver changes right now (a readiness check fails)."""


class _Sink:
    """The changes this process commits, handed to `deliver` on the broker's loop, in order
    (a commit may run on another thread's loop, e.g. a test's)."""

    def __init__(self, deliver: Any) -> None:
        self.deliver = deliver
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, batch: list[Change]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.deliver(batch)
        else:
            loop.call_soon_threadsafe(self.deliver, batch)

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        changes.add_sink(self)

    def stop(self) -> None:
        changes.remove_sink(self)


class MemoryBroker:
    """This process's commits, to this process's hub."""

    name = "memory"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sink = _Sink(self._deliver)

    def _deliver(self, batch: list[Change]) -> None:
        metrics.CHANGES_RECEIVED.labels(self.name).inc(len(batch))
        self.hub.dispatch(batch)

    async def start(self) -> None:
        self.sink.start()

    async def stop(self) -> None:
        self.sink.stop()

    async def ready(self) -> None:
        return None


class PostgresBroker:
    """LISTEN on the database's channel, on a connection of its own, reconnecting when lost."""

    name = "postgres"

    def __init__(self, hub: Hub, database_url: str) -> None:
        self.hub = hub
        self.dsn = (
            make_url(database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        self._connection: Any = None
        self._listening = asyncio.Event()
        self._tried = asyncio.Event()  # the first attempt to listen is over, either way
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            batch = changes.decode(payload)
        except ValueError:
            log.warning("an announcement that is not JSON was ignored")
            return
        metrics.CHANGES_RECEIVED.labels(self.name).inc(len(batch))
        self.hub.dispatch(batch)

    def _terminated(self, _connection: Any) -> None:
        self._listening.clear()
        self._lost.set()

    async def _listen_once(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn, timeout=5)
        self._connection = connection
        self._lost.clear()
        connection.add_termination_listener(self._terminated)
        await connection.add_listener(changes.CHANNEL, self._notified)
        self._listening.set()
        self._tried.set()
        try:
            while not self._lost.is_set():
                # A connection the server dropped without telling is found by this query.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._lost.wait(), timeout=15)
                if not self._lost.is_set():
                    await asyncio.wait_for(connection.execute("SELECT 1"), timeout=5)
        finally:
            self._listening.clear()
            self._connection = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("LISTEN %s: %s; retrying", changes.CHANNEL, type(error).__name__)
            finally:
                self._tried.set()
            metrics.CHANGES_LOST.labels(self.name).inc()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="realtime-listen")
        # Listening before the app takes requests, when the database lets us; when it does
        # not, the app starts anyway (its readiness says so) and the listener keeps trying.
        await self._tried.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def ready(self) -> None:
        if not self._listening.is_set():
            raise NotListening("not listening for committed changes")


class RedisBroker:
    """This process's commits published on a Redis channel, in commit order; the channel's
    messages (every process's commits) to this process's hub."""

    name = "redis"

    def __init__(self, hub: Hub | None, redis_url: str) -> None:
        import redis.asyncio as aioredis

        self.hub = hub  # None: publish only (a CLI command, `gateway worker`)
        # A client of its own: a subscription blocks on its socket, which the shared client's
        # short timeouts (ADR 0131) would keep breaking.
        self.client = aioredis.Redis.from_url(redis_url, socket_connect_timeout=5)
        self.sink = _Sink(self._publish)
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def _publish(self, batch: list[Change]) -> None:
        for payload in changes.encode(batch):
            self._outgoing.put_nowait(payload)

    async def _publisher(self) -> None:
        while True:
            payloads = [await self._outgoing.get()]
            # Everything committed meanwhile goes in the same round trip, in order: one publish
            # at a time waits a turn of a busy event loop per change, and fell behind the
            # commits at 100 a second (bench/realtime).
            while not self._outgoing.empty():
                payloads.append(self._outgoing.get_nowait())
            try:
                async with asyncio.timeout(5), self.client.pipeline(transaction=False) as pipe:
                    for payload in payloads:
                        pipe.publish(REDIS_CHANNEL, payload)
                    await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                metrics.CHANGES_LOST.labels(self.name).inc(len(payloads))
                log.warning("changes not published to Redis: %s", type(error).__name__)
            finally:
                for _payload in payloads:
                    self._outgoing.task_done()

    async def _listener(self) -> None:
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(REDIS_CHANNEL)
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        batch = changes.decode(message["data"])
                    except ValueError:
                        continue
                    metrics.CHANGES_RECEIVED.labels(self.name).inc(len(batch))
                    if self.hub is not None:
                        self.hub.dispatch(batch)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("Redis subscription lost: %s; retrying", type(error).__name__)
                metrics.CHANGES_LOST.labels(self.name).inc()
            finally:
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def start(self) -> None:
        self.sink.start()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._publisher(), name="realtime-publish")]
        if self.hub is None:
            return
        self._tasks.append(loop.create_task(self._listener(), name="realtime-subscribe"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    async def stop(self) -> None:
        self.sink.stop()
        # What this process committed last still goes out, briefly.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self._outgoing.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.client.aclose()

    async def ready(self) -> None:
        if not self._subscribed.is_set():
            raise NotListening("not subscribed to the changes channel")


Broker = MemoryBroker | PostgresBroker | RedisBroker


@contextlib.asynccontextmanager
async def publishing(settings: Settings) -> AsyncIterator[None]:
    """What a process that serves no subscriptions commits (`gateway worker`, the CLI's
    batch commands), published for the serving processes when the broker is Redis; on
    PostgreSQL the transactions announce themselves."""
    if settings.broker != "redis" or settings.redis_url is None:
        yield
        return
    publisher = RedisBroker(None, settings.redis_url)
    await publisher.start()
    try:
        yield
    finally:
        await publisher.stop()


def broker_for(settings: Settings, hub: Hub) -> Broker:
    kind = settings.broker
    if kind == "postgres":
        return PostgresBroker(hub, settings.database_url)
    if kind == "redis":
        assert settings.redis_url is not None
        return RedisBroker(hub, settings.redis_url)
    return MemoryBroker(hub)
