"""Trusted documents: automatic persisted queries (Apollo's APQ protocol) and registered documents.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}`; the gateway answers
PERSISTED_QUERY_NOT_FOUND for a hash it does not know, and the client retries with the full text,
which is stored under its hash once the request has passed every check (size, parse, validation,
limits): in Redis when Redis is configured and answers, else in the database; either way for
GATEWAY_APQ_TTL seconds. Documents registered with `gateway documents register` live in the
database and never expire. In "registered" mode (GATEWAY_DOCUMENTS=registered) only registered
documents run, whether sent by hash or in full (ADR 0084).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.actions.access import document_hash, forget_documents, keep_apq_document
from domain.i18n import Message, _, text
from domain.models.base import utcnow
from domain.reads import access as access_reads
from gateway.execution.redis_guard import RedisBreaker, RedisUnavailable
from gateway.settings import Settings

log = logging.getLogger("gateway.http.documents")

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PURGE_CHANCE = 0.01  # of an APQ text stored in the database, purging the expired ones first


class DocumentRefused(Exception):
    """The request's document cannot be had or may not run; a request error with a code."""

    def __init__(self, message: Message | str, code: str) -> None:
        super().__init__(message)
        self.text = message
        self.code = code

    @property
    def message(self) -> str:
        return text(self.text)


@dataclass(frozen=True)
class Resolved:
    """The text a request runs, and the hash to keep it under once it is known to run."""

    text: str
    store_as: str | None = None  # APQ: the client sent hash and text, and it is not kept yet


class PersistedDocuments:
    """Resolves a request's `query` and `extensions.persistedQuery` to the text to run.

    A text sent with its hash is kept only after the request has passed every check (size,
    parse, validation, limits): the caller runs `store(resolved)` then. Kept APQ texts live
    `GATEWAY_APQ_TTL` seconds wherever they are, Redis or the database.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: RedisBreaker | None = None,
        cache_size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.cache_size = cache_size
        self.clock = clock
        # hash -> (text, registered, when this process learnt it); a hash names one text
        # forever, so caching it is safe; an APQ text is forgotten after its time to live.
        self._known: OrderedDict[str, tuple[str, bool, float]] = OrderedDict()

    @property
    def registered_only(self) -> bool:
        return self.settings.documents_mode == "registered"

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> Resolved:
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                raise DocumentRefused(_("`query` must be a non-empty string."), "BAD_REQUEST")
            if self.registered_only:
                await self._require_registered(document_hash(query))
            return Resolved(query)
        sha = _persisted_hash(persisted)
        if query is not None:
            if document_hash(query) != sha:
                raise DocumentRefused("provided sha does not match query", "INVALID_SHA256")
            if self.registered_only:
                await self._require_registered(sha)
                return Resolved(query)
            return Resolved(query, None if self._cached(sha) is not None else sha)
        known = await self._lookup(sha)
        if known is None or (self.registered_only and not known[1]):
            raise DocumentRefused("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return Resolved(known[0])

    async def store(self, resolved: Resolved) -> None:
        """Keeps an APQ text that passed every check; nothing to do for any other request."""
        if resolved.store_as is not None:
            await self._save(resolved.store_as, resolved.text)

    async def is_registered(self, sha: str) -> bool:
        """Whether the document of this hash was registered (`gateway documents register`)."""
        known = await self._lookup(sha)
        return known is not None and known[1]

    async def _require_registered(self, sha: str) -> None:
        known = await self._lookup(sha)
        if known is None or not known[1]:
            raise DocumentRefused(
                _("Only registered documents may run on this gateway."), "DOCUMENT_NOT_REGISTERED"
            )

    def _cached(self, sha: str) -> tuple[str, bool] | None:
        known = self._known.get(sha)
        if known is None:
            return None
        text, registered, learnt = known
        if not registered and self.clock() - learnt > self.settings.apq_ttl_seconds:
            del self._known[sha]
            return None
        self._known.move_to_end(sha)
        return text, registered

    async def _lookup(self, sha: str) -> tuple[str, bool] | None:
        known = self._cached(sha)
        if known is not None:
            return known
        async with self.sessions() as session:
            row = await access_reads.persisted_document(
                session, sha, unregistered_since=self._apq_cutoff()
            )
        if row is not None:
            known = (row.body, row.registered)
        elif self.redis is not None and not self.registered_only:
            try:
                raw = await self.redis.call(lambda redis: redis.get(_redis_key(sha)))
            except RedisUnavailable:  # the client resends the full text
                raw = None
            if raw is not None:
                known = (raw.decode() if isinstance(raw, bytes) else raw, False)
        # In "registered" mode a document may be registered later: remember only trusted ones.
        if known is not None and (known[1] or not self.registered_only):
            self._remember(sha, known)
        return known

    def _apq_cutoff(self) -> dt.datetime:
        return utcnow() - dt.timedelta(seconds=self.settings.apq_ttl_seconds)

    async def _save(self, sha: str, text: str) -> None:
        stored = False
        if self.redis is not None:
            ttl = self.settings.apq_ttl_seconds
            try:
                await self.redis.call(lambda redis: redis.set(_redis_key(sha), text, ex=ttl))
                stored = True
            except RedisUnavailable:
                pass  # the breaker logs it; the database keeps the text instead
        if not stored:
            async with self.sessions() as session:
                if random.random() < PURGE_CHANCE:
                    # Now and then, drop APQ texts past their time to live.
                    await forget_documents(session, older_than=self._apq_cutoff())
                await keep_apq_document(session, body=text)
                await session.commit()

        self._remember(sha, (text, False))

    def _remember(self, sha: str, known: tuple[str, bool]) -> None:
        self._known[sha] = (*known, self.clock())
        self._known.move_to_end(sha)
        if len(self._known) > self.cache_size:
            self._known.popitem(last=False)


def _persisted_hash(persisted: Any) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise DocumentRefused(
            _("`extensions.persistedQuery` must be {{version: 1, sha256Hash}}."), "BAD_REQUEST"
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or not _SHA256.match(sha):
        raise DocumentRefused(_("`sha256Hash` must be 64 lowercase hex digits."), "BAD_REQUEST")
    return sha


def _redis_key(sha: str) -> str:
    return f"gw:apq:{sha}"
