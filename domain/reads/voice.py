"""Reads of the voice reseller's panel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m


def call_usage_statement(
    subscriber_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> Select[Any]:
    """(subscriber, termination, seconds) of the subscribers' lines' calls started in
    [start, end): one statement for many subscribers (`franchiseBalance` on a page of them)."""
    c, line = m.CallRecord, m.VoiceLine
    return (
        select(line.subscriber_id, c.termination, c.duration_seconds)
        .join(line, line.id == c.voice_line_id)
        .where(
            line.subscriber_id.in_(list(subscriber_ids)), c.started_at >= start, c.started_at < end
        )
        .order_by(line.subscriber_id, c.id)
    )


def franchises_statement(subscriber_ids: Sequence[int]) -> Select[Any]:
    """(subscriber, category, minutes, consumes_local) of the subscribers' franchises."""
    f = m.VoiceFranchise
    return (
        select(f.subscriber_id, f.category, f.minutes, f.consumes_local)
        .where(f.subscriber_id.in_(list(subscriber_ids)))
        .order_by(f.subscriber_id, f.id)
    )


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
