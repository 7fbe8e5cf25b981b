"""Idempotency keys on mutations: a retried request gets the first answer; nothing runs twice.

(caller, key) is claimed first (the caller is the whole identity, `Identity.caller_key`: role,
ids, subject, issuer or API key; never the token's `sub` alone, which an identity provider
may give two people), in a short transaction of its own: a pending record whose primary
key a twin cannot insert again, on any worker or host, since they share the database. The
mutation then completes the record with its answer in the mutation's own transaction, so the
answer exists exactly when the change was committed. A retry, or a twin sent at the same time,
finds the record and gets the same status and body back with `Idempotent-Replayed: true` (a
twin waits for the first to finish). A mutation that does not commit releases its claim; a
claim left by a crashed worker is taken over once it is older than twice the request time
limit (ADR 0085).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
import time
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from domain.actions import access as access_actions
from domain.i18n import _
from domain.models.base import utcnow
from domain.reads import access as access_reads
from gateway.settings import Settings

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
POLL_SECONDS = 0.05


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
            400,
            _(
                "Idempotency-Key must be 1 to {max_key_length} printable ASCII characters.",
                max_key_length=MAX_KEY_LENGTH,
            ),
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
        self.stale_after = dt.timedelta(seconds=2 * settings.request_timeout_seconds + 1)

    async def claim(self, caller: str, key: str, request_hash: str) -> Response | None:
        """None when this request may run the mutation; else the first answer to replay."""
        deadline = time.monotonic() + self.settings.request_timeout_seconds
        while True:
            try:
                async with self.sessions() as session:
                    await access_actions.claim_idempotency_key(
                        session, subject=caller, key=key, request_sha256=request_hash
                    )
                    await session.commit()
                return None
            except IntegrityError:
                pass
            answer = await self._existing(caller, key, request_hash)
            if answer is not None:
                return answer
            if time.monotonic() > deadline:
                raise IdempotencyError(
                    409, _("A request with this Idempotency-Key is still running; retry later.")
                )
            await asyncio.sleep(POLL_SECONDS)

    async def _existing(self, caller: str, key: str, request_hash: str) -> Response | None:
        """The completed answer; None while pending (or once an old record is dropped)."""
        async with self.sessions() as session:
            record = await access_reads.idempotency_record(session, caller, key)
            if record is None:
                return None
            if record.request_sha256 != request_hash:
                raise IdempotencyError(
                    422, _("This Idempotency-Key was already used with a different request.")
                )
            age = utcnow() - record.created_at
            expired = age > dt.timedelta(seconds=self.settings.idempotency_ttl_seconds)
            abandoned = record.status == access_actions.PENDING and age > self.stale_after
            if expired or abandoned:
                await session.delete(record)
                await session.commit()
                return None
            if record.status == access_actions.PENDING:
                return None
            return Response(
                record.body,
                status_code=record.status,
                media_type=record.media_type,
                headers={REPLAYED: "true"},
            )

    async def complete(
        self,
        session: AsyncSession,
        *,
        caller: str,
        key: str,
        status: int,
        media_type: str,
        body: bytes,
    ) -> None:
        """Records the answer in `session`'s transaction, to commit with the mutation."""
        if random.random() < 0.01:
            # Now and then, drop answers past their time to live, in the same transaction.
            cutoff = utcnow() - dt.timedelta(seconds=self.settings.idempotency_ttl_seconds)
            await access_actions.forget_idempotency_records(session, older_than=cutoff)
        await access_actions.complete_idempotency_record(
            session, subject=caller, key=key, status=status, media_type=media_type, body=body
        )

    async def release(self, caller: str, key: str) -> None:
        async with self.sessions() as session:
            await access_actions.release_idempotency_key(session, subject=caller, key=key)
            await session.commit()
