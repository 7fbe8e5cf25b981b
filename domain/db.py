"""Engines and sessions for the two supported databases: SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Its session events note and announce what each committed transaction changed (ADR 0220).
from domain import changes  # noqa: F401
from domain.outages import DatabaseUnavailable


def async_url(url: str) -> str:
    """The async-driver form of a database URL: postgresql → asyncpg, sqlite → aiosqlite."""
    parsed = make_url(url)
    driver = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}
    backend = parsed.get_backend_name()
    if backend not in driver:
        raise ValueError(f"unsupported database {backend!r}: use postgresql:// or sqlite://")
    return parsed.set(drivername=driver[backend]).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 driver's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite leaves foreign keys off unless asked, on every connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A writer queues for the write lock longer than any request may last: the request's own
    # time limit (ADR 0083) answers first, with 503 and nothing changed, never "locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Execution option naming how a SQLite transaction begins ("IMMEDIATE" for writers).
SQLITE_BEGIN = "sqlite_begin"


def _sqlite_begin(connection: Any) -> None:
    # A deferred transaction that read first cannot take the write lock once another writer
    # has committed (SQLITE_BUSY, with no wait); writers begin IMMEDIATE and queue instead.
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    # A failed connect surfaces as the driver's or the OS's own error (ConnectionRefusedError,
    # TimeoutError, ...), which SQLAlchemy does not wrap: name it once, here.
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error


def _plain_savepoints(dialect: Any) -> None:
    """SAVEPOINT, RELEASE and ROLLBACK TO as the plain SQL they are.

    SQLAlchemy compiles a savepoint clause afresh for each one (they have no cache key): every
    mutation field runs in a savepoint (gateway.loaders.base.RequestDb.write), and its two
    compilations cost more than the action's own statements (ADR 0252). The names are
    SQLAlchemy's own (sa_savepoint_N); the statements still go through the connection, its
    events and its error handling.
    """
    quote = dialect.identifier_preparer.quote

    def savepoint(connection: Any, name: str) -> None:
        connection.exec_driver_sql(f"SAVEPOINT {quote(name)}")

    def release(connection: Any, name: str) -> None:
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {quote(name)}")

    def rollback_to(connection: Any, name: str) -> None:
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {quote(name)}")

    dialect.do_savepoint = savepoint
    dialect.do_release_savepoint = release
    dialect.do_rollback_to_savepoint = rollback_to


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for `url`, with SQLite's foreign keys switched on; a failed connect
    raises DatabaseUnavailable.

    Its errors never quote the statement's parameters: they reach logs, and parameters are
    customers' names, documents and password hashes.
    """
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(async_url(url), **kwargs)
    _plain_savepoints(engine.sync_engine.dialect)
    event.listen(engine.sync_engine, "do_connect", _connect)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def writer_bind(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for a session that will write: on SQLite its transactions begin IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


async def serialize(session: AsyncSession, name: str) -> None:
    """Makes the transactions that call this with the same `name` run one after another, from
    here to their end: a transaction-level advisory lock on PostgreSQL. SQLite's writers are
    serialized already (BEGIN IMMEDIATE, `writer_bind`)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(name.encode())
        await session.execute(select(func.pg_advisory_xact_lock(key)))
