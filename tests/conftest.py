"""Test fixtures: one migrated database per run (SQLite by default, PostgreSQL when
GATEWAY_TEST_DATABASE_URL names one), a small seeded data set, and a session per test inside a
transaction that is rolled back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from domain.actions.tv_billing import BILLING_HORIZON
from domain.db import create_engine, writer_bind
from domain.models import SystemVariable
from domain.reads.batched import Reader
from domain.seed import seed_database
from tests.databases import fresh_database

# The data set every read test queries; tests that write roll back their transaction.
SEED_CUSTOMERS = 120
SEED = 7
FAR_HORIZON_DAYS = 36500


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        engine = create_engine(url)
        asyncio.run(_seed(engine))
        yield url


async def _seed(engine: AsyncEngine) -> None:
    await seed_database(engine, customers=SEED_CUSTOMERS, seed=SEED)
    async with writer_bind(engine).begin() as connection:
        # Tests bill due dates years ahead, clear of the seeded receivables; the horizon's own
        # tests run on databases of their own with the seed's value.
        await connection.execute(
            update(SystemVariable)
            .where(SystemVariable.key == BILLING_HORIZON)
            .values(value=str(FAR_HORIZON_DAYS))
        )
    await engine.dispose()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            if transaction.is_active:
                await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """An AsyncSession whose commits become savepoints of the test's rolled-back transaction."""
    session = AsyncSession(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )
    try:
        yield session
    finally:
        await session.close()


class StatementCounter:
    """Counts the SQL statements an engine runs while it is listening."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.statements: list[str] = []

    def fresh(self) -> StatementCounter:
        """A new counter on the same engine."""
        counter = StatementCounter.__new__(StatementCounter)
        counter.engine, counter.statements = self.engine, []
        return counter

    def _record(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    def _record_raw(self, statement: str) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        Reader.observers.append(self._record_raw)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
        Reader.observers.remove(self._record_raw)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(engine: AsyncEngine) -> StatementCounter:
    return StatementCounter(engine)


@pytest.fixture(scope="session")
def cep_url() -> Iterator[str]:
    """The CEP simulator, served for the whole run."""
    from simulators.cep import create_app
    from tests.simulators import serving

    with serving(create_app()) as url:
        yield url
