"""The outbox worker: delivers committed TV changes to the platform, with retries and backoff.

It runs as `gateway worker` (one or more processes beside the app, PostgreSQL) or as a task
inside the app (`GATEWAY_OUTBOX_WORKER=in-process`, the default, and the embedded SQLite setup).
In-process, a commit that wrote an outbox message wakes it at once; otherwise it polls.
ADR 0060 explains the design.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from domain.actions import outbox as outbox_actions
from domain.actions import tv_sync
from domain.actions.tv import TOPIC_PREFIX
from domain.models.base import utcnow
from domain.models.enums import OutboxStatus
from domain.ports.tv_platform import HttpTvPlatform, TvPlatform, TvPlatformError
from domain.rules.outbox import RetryPolicy
from gateway.settings import Settings

log = logging.getLogger("gateway.worker.outbox")

SessionFactory = Callable[[], AsyncSession]


@dataclass
class DeliveryReport:
    """What one or more rounds did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.released += other.released
        self.errors.extend(other.errors)


class OutboxWorker:
    """Claims due TV messages, delivers each, records the outcome; one message at a time."""

    def __init__(
        self,
        sessions: SessionFactory,
        platform: TvPlatform,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 10,
        call_timeout: float = 5.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.platform = platform
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        # A claimed message stays ours this long: longer than a whole batch of slow deliveries
        # (each up to three platform calls), so no other worker takes it while we still try.
        self.lease = dt.timedelta(seconds=batch_size * call_timeout * 3 + 30)
        self.clock = clock
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run_once(self) -> DeliveryReport:
        """One round: claim a batch of due messages and deliver them in order."""
        report = DeliveryReport()
        now = self.clock()
        async with self.sessions() as session, session.begin():
            messages = await outbox_actions.claim_due(
                session,
                topic_prefix=TOPIC_PREFIX,
                now=now,
                lease=self.lease,
                limit=self.batch_size,
            )
        report.claimed = len(messages)
        for index, message in enumerate(messages):
            outcome = await self._deliver_one(message, report)
            if outcome == "unavailable":
                # The platform is down: do not spend the lease timing out on the rest; they go
                # back to the queue untried and count no attempt.
                rest = [m.id for m in messages[index + 1 :]]
                if rest:
                    await self._release(rest)
                    report.released = len(rest)
                break
        return report

    async def _deliver_one(self, message: Any, report: DeliveryReport) -> str:
        try:
            async with self.sessions() as session:
                delivery = await tv_sync.prepare(session, message)
        except TvPlatformError as error:
            await self._fail_unprepared(message, error.message, report)
            return "rejected"
        except Exception as error:
            # A message we cannot even read (a bug, a malformed payload) must not come back
            # every lease period forever: it fails, and the log keeps the stack.
            log.exception("TV message %s cannot be prepared", message.id)
            await self._fail_unprepared(message, f"{type(error).__name__}: {error}", report)
            return "rejected"
        try:
            delivered = await tv_sync.deliver(self.platform, delivery)
        except Exception as error:
            if isinstance(error, TvPlatformError):
                retryable, text = error.retryable, error.message
            else:
                # Unexpected (a client bug?): retried like an outage, so the attempt cap applies.
                log.exception("TV message %s delivery raised", delivery.message_id)
                retryable, text = True, f"{type(error).__name__}: {error}"
            async with self.sessions() as session, session.begin():
                status = await tv_sync.record_failure(
                    session,
                    delivery,
                    error=text,
                    retryable=retryable,
                    now=self.clock(),
                    policy=self.policy,
                )
            gave_up = status is OutboxStatus.FAILED
            if gave_up:
                report.failed += 1
            else:
                report.retrying += 1
            report.errors.append(text)
            log.warning(
                "TV message %s (%s) attempt %s failed%s: %s",
                delivery.message_id,
                delivery.topic,
                delivery.attempt,
                ", giving up" if gave_up else "",
                text,
            )
            return "unavailable" if retryable else "rejected"
        async with self.sessions() as session, session.begin():
            await tv_sync.record_success(session, delivery, delivered, now=self.clock())
        report.delivered += 1
        return "delivered"

    async def _fail_unprepared(self, message: Any, error: str, report: DeliveryReport) -> None:
        async with self.sessions() as session, session.begin():
            await outbox_actions.mark_failed_attempt(
                session,
                message.id,
                attempts=message.attempts,
                error=error,
                retryable=False,
                now=self.clock(),
                policy=self.policy,
            )
        report.failed += 1
        report.errors.append(error)

    async def _release(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await outbox_actions.release(session, ids, now=self.clock())

    async def drain(self, *, max_rounds: int = 100) -> DeliveryReport:
        """Rounds until nothing is due (or a round hits an unavailable platform)."""
        total = DeliveryReport()
        for _ in range(max_rounds):
            report = await self.run_once()
            total.add(report)
            if report.claimed == 0 or report.retrying or report.released:
                break
        return total

    def nudge(self) -> None:
        """Wakes the loop now (e.g. a commit wrote a message); safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._wake.set)

    async def run_forever(self, stop: asyncio.Event, *, poll_seconds: float = 1.0) -> None:
        """Delivers until `stop` is set: wakes on a nudge, or every `poll_seconds`."""
        self._loop = asyncio.get_running_loop()
        _ACTIVE.add(self)
        try:
            while not stop.is_set():
                try:
                    report = await self.drain()
                    if report.claimed:
                        log.info(
                            "TV outbox: %s delivered, %s retrying, %s failed",
                            report.delivered,
                            report.retrying,
                            report.failed,
                        )
                except Exception:
                    # A database hiccup must not end the worker; the next round tries again.
                    log.exception("TV outbox round failed")
                self._wake.clear()
                waiters = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wake.wait()),
                ]
                _done, pending = await asyncio.wait(
                    waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for task in pending:
                    task.cancel()
        finally:
            _ACTIVE.discard(self)


# In-process workers to wake when a session that wrote an outbox message commits.
_ACTIVE: weakref.WeakSet[OutboxWorker] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    # SQLAlchemy signals a released savepoint too; only the outer commit makes a message real.
    if session.in_nested_transaction():
        return
    if session.info.pop(outbox_actions.ENQUEUED_FLAG, False):
        for worker in list(_ACTIVE):
            worker.nudge()


def platform_from_settings(settings: Settings) -> HttpTvPlatform:
    return HttpTvPlatform(
        settings.tv_platform_url,
        api_key=settings.tv_platform_api_key,
        timeout=settings.tv_platform_timeout,
    )


class EmbeddedWorker:
    """The worker as a task of the app's event loop (started and stopped by its lifespan)."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self.settings = settings
        self.platform = platform_from_settings(settings)
        self.worker = OutboxWorker(
            sessions, self.platform, call_timeout=settings.tv_platform_timeout
        )
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self.worker.run_forever(self._stop, poll_seconds=self.settings.outbox_poll_seconds),
            name="tv-outbox-worker",
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=self.settings.tv_platform_timeout + 5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await self.platform.aclose()


def start_embedded_worker(runtime: Any) -> EmbeddedWorker | None:
    """Starts the in-process worker when the settings ask for it (the app's lifespan calls this)."""
    mode = runtime.settings.outbox_worker
    if mode == "off":
        return None
    if mode != "in-process":
        raise ValueError(f"GATEWAY_OUTBOX_WORKER must be 'in-process' or 'off', not {mode!r}")
    # Reads runtime.sessions at each use, so a test may swap the factory after start.
    embedded = EmbeddedWorker(lambda: runtime.sessions(), runtime.settings)
    embedded.start()
    return embedded
