"""Reads of the voice reseller's panel."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access
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
    """Whether a voice subscriber other than `but`, of any reseller, has this panel username.

    Panel usernames are one namespace across resellers (a person signs in with it alone), so
    the question is asked of every row, unscoped; the answer is only yes or no (ADR 0115).
    """
    s = m.VoiceSubscriber
    statement = select(s.id).where(func.lower(s.panel_username) == username.lower())
    if but is not None:
        statement = statement.where(s.id != but)
    with access.unscoped(session):
        return (await session.scalar(statement.limit(1))) is not None


async def usernames_like(session: AsyncSession, base: str) -> set[str]:
    """Panel usernames equal to `base` or starting with `base.`, of any reseller (unscoped, as
    `username_taken`): those a suggestion may clash with."""
    s = m.VoiceSubscriber
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    statement = select(s.panel_username).where(
        (s.panel_username == base) | s.panel_username.like(f"{escaped}.%", escape="\\")
    )
    with access.unscoped(session):
        return set(await session.scalars(statement))


async def franchises(session: AsyncSession, subscriber_id: int) -> list[m.VoiceFranchise]:
    statement = select(m.VoiceFranchise).where(m.VoiceFranchise.subscriber_id == subscriber_id)
    return list(await session.scalars(statement))


async def permissions(
    session: AsyncSession, subscriber_id: int
) -> list[m.VoiceSubscriberPermission]:
    p = m.VoiceSubscriberPermission
    return list(await session.scalars(select(p).where(p.subscriber_id == subscriber_id)))


async def extension_taken(session: AsyncSession, subscriber_id: int, extension: str) -> bool:
    """Whether the subscriber already dials `extension`: one of its extensions or the extension
    of one of its lines."""
    e, line = m.VoiceExtension, m.VoiceLine
    own = exists().where(e.subscriber_id == subscriber_id, e.extension == extension)
    lines = exists().where(line.subscriber_id == subscriber_id, line.extension == extension)
    return bool(await session.scalar(select(own | lines)))
