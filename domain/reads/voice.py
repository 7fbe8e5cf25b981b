"""Reads of the voice reseller's panel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.reads.batched import BatchSpec, CompiledBatch, TableRef

# A period's calls of many voice subscribers' lines at once: (subscriber, termination,
# seconds) rows for the subscribers' keys, `start` and `end` given at each fetch. One statement
# whatever the number of subscribers (`franchiseBalance` on a reseller's page of them).
CALL_USAGE = CompiledBatch(
    BatchSpec(
        tables=(TableRef(m.CallRecord),),
        columns=((0, "termination"), (0, "duration_seconds")),
        key=None,
        order=("id",),
        through=(m.VoiceLine, "subscriber_id", "id", "voice_line_id"),
        where=(("started_at", ">=", "start"), ("started_at", "<", "end")),
    )
)
# The franchises of many voice subscribers: (subscriber, category, minutes, consumes_local).
FRANCHISES = CompiledBatch(
    BatchSpec(
        tables=(TableRef(m.VoiceFranchise),),
        columns=((0, "category"), (0, "minutes"), (0, "consumes_local")),
        key="subscriber_id",
        order=("id",),
    )
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
