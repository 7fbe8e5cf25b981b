"""Reads of the voice reseller's panel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.models.enums import CallTermination


async def call_usage(
    session: AsyncSession, subscriber_id: int, start: dt.datetime, end: dt.datetime
) -> list[tuple[CallTermination, int]]:
    """(termination, seconds) of the subscriber's lines' calls started in [start, end)."""
    lines = select(m.VoiceLine.id).where(m.VoiceLine.subscriber_id == subscriber_id)
    c = m.CallRecord
    statement = select(c.termination, c.duration_seconds).where(
        c.voice_line_id.in_(lines), c.started_at >= start, c.started_at < end
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def username_taken(session: AsyncSession, username: str, but: int | None) -> bool:
    """Whether another voice subscriber the caller sees has this panel username.

    A reseller's session sees its own subscribers only; another reseller's username is caught
    by the unique constraint on insert (a Conflict), without this read revealing it.
    """
    s = m.VoiceSubscriber
    statement = select(s.id).where(s.panel_username == username)
    if but is not None:
        statement = statement.where(s.id != but)
    return (await session.scalar(statement.limit(1))) is not None


async def franchises(session: AsyncSession, subscriber_id: int) -> list[m.VoiceFranchise]:
    statement = select(m.VoiceFranchise).where(m.VoiceFranchise.subscriber_id == subscriber_id)
    return list(await session.scalars(statement))


async def permissions(
    session: AsyncSession, subscriber_id: int
) -> list[m.VoiceSubscriberPermission]:
    p = m.VoiceSubscriberPermission
    return list(await session.scalars(select(p).where(p.subscriber_id == subscriber_id)))
