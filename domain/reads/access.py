"""Reads of the gateway's access records: API keys, persisted documents, idempotency records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import ApiKey, IdempotencyRecord, PersistedDocument


async def api_key_by_secret_hash(session: AsyncSession, secret_sha256: str) -> ApiKey | None:
    """The key whose secret hashes to `secret_sha256` (revoked or not), or None."""
    return await session.scalar(select(ApiKey).where(ApiKey.secret_sha256 == secret_sha256))


async def api_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))


async def persisted_document(
    session: AsyncSession, sha256: str, *, unregistered_since: dt.datetime | None = None
) -> PersistedDocument | None:
    """The document with this hash; with `unregistered_since`, an APQ text stored before it
    has expired and is not found (registered documents never expire)."""
    row = await session.get(PersistedDocument, sha256)
    if row is None or row.registered or unregistered_since is None:
        return row
    return row if row.created_at >= unregistered_since else None


async def idempotency_record(
    session: AsyncSession, subject: str, key: str
) -> IdempotencyRecord | None:
    return await session.get(IdempotencyRecord, (subject, key))
