"""Reads of the outbox for monitoring: how much waits, and since when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.enums import OutboxStatus
from domain.models.outbox import OutboxMessage


async def backlog(session: AsyncSession) -> tuple[int, dt.datetime | None]:
    """Pending messages (every topic) and when the oldest of them was written."""
    statement = select(func.count(), func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status == OutboxStatus.PENDING
    )
    count, oldest = (await session.execute(statement)).one()
    if isinstance(oldest, str):  # SQLite's MIN() returns the stored text, not a datetime
        oldest = dt.datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return int(count or 0), oldest
