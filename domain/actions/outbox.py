"""The outbox: writing messages in the caller's transaction, and the worker's bookkeeping.

A message is written with the change that caused it, so both commit or neither does. A worker
claims due messages (a lease: `next_attempt_at` moves past the delivery's longest duration),
delivers them outside any transaction, then records the outcome. Messages that share a
`partition_key` are delivered one at a time in id order; a message waiting for a retry holds
back the later ones of its partition.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain import changes
from domain.models import OutboxMessage
from domain.models.base import utcnow
from domain.models.enums import OutboxStatus
from domain.rules.outbox import RetryPolicy

# Set on a session that wrote a message; an in-process worker wakes up when that session commits.
ENQUEUED_FLAG = "outbox_enqueued"


def enqueue(
    session: AsyncSession, *, topic: str, partition_key: str, payload: dict[str, Any]
) -> OutboxMessage:
    """Adds a message to the session; it is delivered only if the caller's transaction commits."""
    message = OutboxMessage(
        topic=topic,
        partition_key=partition_key,
        payload=payload,
        # The key travels with every delivery attempt, so the receiver can drop repeats.
        idempotency_key=f"{topic}:{uuid.uuid4().hex}",
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    session.info[ENQUEUED_FLAG] = True
    return message


async def claim_due(
    session: AsyncSession,
    *,
    topic_prefix: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int = 20,
) -> list[OutboxMessage]:
    """Pending messages due by `now`, first of their partition; leased to the caller.

    One UPDATE ... RETURNING: on PostgreSQL its subquery takes the rows FOR UPDATE SKIP LOCKED,
    so several workers claim at once without taking the same message; on SQLite the statement
    takes the write lock before it reads, so it never works from a stale snapshot. The lease
    (`next_attempt_at` moved past the delivery's longest duration) keeps the messages the
    caller's after this transaction commits.
    """
    earlier = aliased(OutboxMessage)
    held_back = exists().where(
        earlier.partition_key == OutboxMessage.partition_key,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < OutboxMessage.id,
    )
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.topic.startswith(topic_prefix, autoescape=True),
            OutboxMessage.next_attempt_at <= now,
            (OutboxMessage.partition_key == "") | ~held_back,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + lease)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    messages = list(await session.scalars(statement))
    return sorted(messages, key=lambda message: message.id)


async def mark_delivered(session: AsyncSession, message_id: int, *, now: dt.datetime) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.DELIVERED, delivered_at=now, last_error=None)
    )
    changes.note(session, changes.Change(changes.Kind.OUTBOX, message_id))


async def mark_failed_attempt(
    session: AsyncSession,
    message_id: int,
    *,
    attempts: int,
    error: str,
    retryable: bool,
    now: dt.datetime,
    policy: RetryPolicy,
) -> tuple[OutboxStatus, dt.datetime]:
    """Records the `attempts`-th try as failed: schedules the next one, or gives up (FAILED)
    when retrying is pointless. Returns the message's status and next attempt time."""
    if not retryable or policy.gives_up(attempts):
        status, next_attempt = OutboxStatus.FAILED, now
    else:
        status, next_attempt = OutboxStatus.PENDING, now + policy.delay(attempts)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=status, next_attempt_at=next_attempt, last_error=error[:2000])
    )
    changes.note(session, changes.Change(changes.Kind.OUTBOX, message_id))
    return status, next_attempt


async def release(session: AsyncSession, ids: Sequence[int], *, now: dt.datetime) -> None:
    """Gives claimed messages back untried: due now, and the claim's attempt not counted."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == OutboxStatus.PENDING)
        .values(attempts=OutboxMessage.attempts - 1, next_attempt_at=now)
    )


async def pending_in_partition(
    session: AsyncSession, partition_key: str, *, excluding: int
) -> list[OutboxMessage]:
    """The other pending messages of a partition, oldest first."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.partition_key == partition_key,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.id != excluding,
        )
        .order_by(OutboxMessage.id)
    )
    return list(await session.scalars(statement))


async def retry_failed(
    session: AsyncSession, *, topic_prefix: str, now: dt.datetime, ids: Sequence[int] = ()
) -> int:
    """Puts given-up messages back in the queue (all of the topic, or only `ids`)."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.topic.startswith(topic_prefix, autoescape=True),
        )
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    if ids:
        statement = statement.where(OutboxMessage.id.in_(list(ids)))
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def counts(session: AsyncSession, *, topic_prefix: str) -> dict[str, int]:
    """How many messages of the topic are in each status."""
    statement = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.topic.startswith(topic_prefix, autoescape=True))
        .group_by(OutboxMessage.status)
    )
    found = {status.name: int(n) for status, n in (await session.execute(statement)).all()}
    return {status.name: found.get(status.name, 0) for status in OutboxStatus}
