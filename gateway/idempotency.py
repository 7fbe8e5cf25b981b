"""Idempotency keys on mutations: a retried request gets the first answer; nothing runs twice.

The first answer is stored in the mutation's own transaction (domain.actions.access), keyed by
(caller, key): it exists exactly when the change was committed. A retry finds it and gets the
same status and body back with `Idempotent-Replayed: true`; a twin sent at the same time fails
on the record's primary key, is rolled back whole, and answers with the first one's record.
The database is shared by every worker and host, so this holds across them (ADR 0085).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from domain.actions import access as access_actions
from domain.models.base import utcnow
from domain.reads import access as access_reads
from gateway.settings import Settings

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


class IdempotencyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key, or None; refuses a key that cannot be one."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip().strip('"')
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise IdempotencyError(
            400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
        )
    return key


def fingerprint(query: str, operation_name: str | None, variables: Any) -> str:
    """What makes two requests the same request: document, operation and variables."""
    payload = orjson.dumps([query, operation_name, variables], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


class Idempotency:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions

    def _cutoff(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.settings.idempotency_ttl_seconds)

    async def replay(self, subject: str, key: str, request_hash: str) -> Response | None:
        """The stored first answer to this key, or None when there is none (yet)."""
        async with self.sessions() as session:
            record = await access_reads.idempotency_record(session, subject, key)
            if record is None:
                return None
            if record.created_at < self._cutoff():
                await session.delete(record)
                await session.commit()
                return None
        if record.request_sha256 != request_hash:
            raise IdempotencyError(
                422, "This Idempotency-Key was already used with a different request."
            )
        return Response(
            record.body,
            status_code=record.status,
            media_type=record.media_type,
            headers={REPLAYED: "true"},
        )

    async def store(
        self,
        session: AsyncSession,
        *,
        subject: str,
        key: str,
        request_hash: str,
        status: int,
        media_type: str,
        body: bytes,
    ) -> None:
        """Records the answer in `session`'s transaction, to commit with the mutation."""
        if random.random() < 0.01:
            # Now and then, drop answers past their time to live, in the same transaction.
            await access_actions.forget_idempotency_records(session, older_than=self._cutoff())
        await access_actions.store_idempotency_record(
            session,
            subject=subject,
            key=key,
            request_sha256=request_hash,
            status=status,
            media_type=media_type,
            body=body,
        )
