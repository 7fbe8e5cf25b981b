"""Trusted documents: automatic persisted queries (Apollo's APQ protocol) and registered documents.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}`; the gateway answers
PERSISTED_QUERY_NOT_FOUND for a hash it does not know, and the client retries with the full text,
which is stored under its hash: in Redis (with a time to live) when Redis is configured, else in
the database. Documents registered with `gateway documents register` live in the database and
never expire. In "registered" mode (GATEWAY_DOCUMENTS=registered) only registered documents run,
whether sent by hash or in full (ADR 0084).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actions.access import document_hash, save_document
from domain.reads import access as access_reads
from gateway.settings import Settings

log = logging.getLogger("gateway.http.documents")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentRefused(Exception):
    """The request's document cannot be had or may not run; a request error with a code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PersistedDocuments:
    """Resolves a request's `query` and `extensions.persistedQuery` to the text to run."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Any = None,
        cache_size: int = 1024,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.cache_size = cache_size
        # hash -> (text, registered); a hash names one text forever, so caching it is safe.
        self._known: OrderedDict[str, tuple[str, bool]] = OrderedDict()

    @property
    def registered_only(self) -> bool:
        return self.settings.documents_mode == "registered"

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str:
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                raise DocumentRefused("`query` must be a non-empty string.", "BAD_REQUEST")
            if self.registered_only:
                await self._require_registered(document_hash(query))
            return query
        sha = _persisted_hash(persisted)
        if query is not None:
            if document_hash(query) != sha:
                raise DocumentRefused("provided sha does not match query", "INVALID_SHA256")
            if self.registered_only:
                await self._require_registered(sha)
            else:
                await self._save(sha, query)
            return query
        known = await self._lookup(sha)
        if known is None or (self.registered_only and not known[1]):
            raise DocumentRefused("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return known[0]

    async def _require_registered(self, sha: str) -> None:
        known = await self._lookup(sha)
        if known is None or not known[1]:
            raise DocumentRefused(
                "Only registered documents may run on this gateway.", "DOCUMENT_NOT_REGISTERED"
            )

    async def _lookup(self, sha: str) -> tuple[str, bool] | None:
        known = self._known.get(sha)
        if known is not None:
            self._known.move_to_end(sha)
            return known
        async with self.sessions() as session:
            row = await access_reads.persisted_document(session, sha)
        if row is not None:
            known = (row.body, row.registered)
        elif self.redis is not None and not self.registered_only:
            try:
                raw = await self.redis.get(_redis_key(sha))
            except Exception as error:  # Redis down: the client resends the full text
                log.warning("APQ lookup failed (%s): %s", type(error).__name__, error)
                raw = None
            if raw is not None:
                known = (raw.decode() if isinstance(raw, bytes) else raw, False)
        # In "registered" mode a document may be registered later: remember only trusted ones.
        if known is not None and (known[1] or not self.registered_only):
            self._remember(sha, known)
        return known

    async def _save(self, sha: str, text: str) -> None:
        if sha in self._known:
            return
        stored = False
        if self.redis is not None:
            try:
                await self.redis.set(_redis_key(sha), text, ex=self.settings.apq_ttl_seconds)
                stored = True
            except Exception as error:
                log.warning("APQ store in Redis failed (%s): %s", type(error).__name__, error)
        if not stored:
            try:
                async with self.sessions() as session:
                    await save_document(session, body=text, registered=False)
                    await session.commit()
            except IntegrityError:
                pass  # a concurrent request stored the same text under the same hash

        self._remember(sha, (text, False))

    def _remember(self, sha: str, known: tuple[str, bool]) -> None:
        self._known[sha] = known
        if len(self._known) > self.cache_size:
            self._known.popitem(last=False)


def _persisted_hash(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise DocumentRefused(
            "`extensions.persistedQuery` must be {version: 1, sha256Hash}.", "BAD_REQUEST"
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise DocumentRefused("`sha256Hash` must be 64 lowercase hex digits.", "BAD_REQUEST")
    return sha


def _redis_key(sha: str) -> str:
    return f"gw:apq:{sha}"
