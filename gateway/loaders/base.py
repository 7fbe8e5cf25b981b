"""Loader base classes: to-one by primary key, and to-many grouped by a foreign key."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access
from domain.identity import Identity
from domain.models import Base
from domain.reads import common
from domain.reads.batched import CompiledBatch, Reader

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=Base)


class RequestFinished(Exception):
    """A read or write arrived after its request's answer was sent."""


class RequestDb:
    """The request's one AsyncSession, used by one coroutine at a time, scoped to its caller.

    graphql-core resolves sibling fields concurrently and an AsyncSession refuses concurrent use,
    so every read takes the request's lock (ADR 0002). The session is bound to the caller's
    identity, so every statement it runs sees only the caller's rows (domain.access, ADR 0081).
    """

    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.session = session
        self.identity = identity
        access.bind(session, identity)
        self._lock = asyncio.Lock()
        self._finished = False

    async def run(self, read: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        async with self._lock:
            self._check_open()
            return await read(self.session, *args, **kwargs)

    async def finish(self) -> None:
        """Waits for the read in progress, then refuses any later one.

        When a root field fails with a non-null error, graphql-core answers at once and leaves
        sibling fields' loaders running; the session must not be closed under them (asyncpg
        would find "another operation in progress") nor be used by them after.
        """
        async with self._lock:
            self._finished = True

    def _check_open(self) -> None:
        if self._finished:
            raise RequestFinished("The request has already been answered.")

    async def write(self, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Runs `action` so that if it raises, everything it did is undone.

        The request's transaction is committed at the request boundary, after every
        mutation field has run. An action that runs first in the session (nothing read or
        written in it yet: the request's first mutation field, typically its only one) needs
        no savepoint: on failure the session's transaction, which holds only the action's
        work, is rolled back. Any later action runs in a savepoint (ADR 0252).
        """
        async with self._lock:
            self._check_open()
            with access.acting(self.session):
                if self.session.in_transaction():
                    async with self.session.begin_nested():
                        result = await action(self.session)
                        await self.session.flush()
                    return result
                try:
                    result = await action(self.session)
                    await self.session.flush()
                except BaseException:
                    await self.session.rollback()
                    raise
            return result


class RequestLoader(DataLoader, Generic[T]):  # type: ignore[misc]
    def __init__(self, db: RequestDb) -> None:
        super().__init__()
        self.db = db


class ByIdLoader(RequestLoader[ModelT | None]):
    """To-one: the row of `model` with each primary key, or None."""

    model: ClassVar[type[Base]]

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.db.run(common.by_ids, self.model, keys)
        index = {row.id: row for row in rows}  # type: ignore[attr-defined]
        return [index.get(key) for key in keys]


class ManyByKeyLoader(RequestLoader[list[ModelT]]):
    """To-many: the rows of `model` whose `column` equals each key, in a stable order."""

    model: ClassVar[type[Base]]
    column: ClassVar[str]

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[Any]]:
        rows = await self.db.run(common.by_keys, self.model, self.column, keys)
        return group_by_key(keys, rows, lambda row: getattr(row, self.column))


class OneByKeyLoader(RequestLoader[ModelT | None]):
    """To-one through a unique foreign key (e.g. a plan's contract)."""

    model: ClassVar[type[Base]]
    column: ClassVar[str]

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.db.run(common.by_keys, self.model, self.column, keys)
        index = {getattr(row, self.column): row for row in rows}
        return [index.get(key) for key in keys]


class DerivedLoader(RequestLoader[Any]):
    """A derived field's values (gateway.schema.relations.Derived), keyed by (parent key,
    arguments): one batch per distinct arguments."""

    derived: ClassVar[Any]

    def __init__(self, db: RequestDb) -> None:
        super().__init__(db)
        self._arguments: dict[Any, dict[str, Any]] = {}

    async def load_for(self, key: Any, arguments: dict[str, Any]) -> Any:
        frozen = repr(sorted(arguments.items()))  # input objects are dicts: not hashable
        self._arguments[frozen] = arguments
        return await self.load((key, frozen))

    async def batch_load_fn(self, keys: Sequence[tuple[Any, str]]) -> list[Any]:
        by_arguments: dict[str, list[Any]] = defaultdict(list)
        for key, frozen in keys:
            by_arguments[frozen].append(key)
        values: dict[tuple[Any, str], Any] = {}
        identity = self.db.identity

        async def fetch(
            batch: CompiledBatch, keys: list[Any], parameters: dict[str, Any] | None = None
        ) -> list[Any]:
            return await self.db.run(_fetch, batch, keys, identity, parameters)

        for frozen, parents in by_arguments.items():
            arguments = self._arguments[frozen]
            found = await self.derived.batch(fetch, list(dict.fromkeys(parents)), arguments)
            for parent in parents:
                values[(parent, frozen)] = found.get(parent)
        return [values[key] for key in keys]


async def _fetch(
    session: AsyncSession,
    batch: CompiledBatch,
    keys: list[Any],
    identity: Identity,
    parameters: dict[str, Any] | None,
) -> list[Any]:
    """A batched statement run on the session's own connection (in its transaction), with
    the caller's row filters compiled in and its read permissions checked, as the session
    would for an ORM statement."""
    refusal = access.read_refusal(batch.models, identity)
    if refusal is not None:
        raise refusal
    reader = await Reader.open(await session.connection())
    return await batch.fetch(reader, keys, identity, parameters)


def group_by_key(keys: Sequence[Any], rows: Sequence[T], key: Callable[[T], Any]) -> list[list[T]]:
    """Rows grouped per key, aligned with `keys`, keeping the rows' order within each group."""
    groups: dict[Any, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return [groups.get(k, []) for k in keys]
