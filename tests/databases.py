"""Fresh, migrated test databases on SQLite or PostgreSQL, chosen by GATEWAY_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from gateway.cli.migrate import upgrade

TEST_DATABASE_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL", "sqlite://")


def backend() -> str:
    return make_url(TEST_DATABASE_URL).get_backend_name()


async def _admin(url: str, statement: str) -> None:
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def fresh_database(*, migrate: bool = True) -> Iterator[str]:
    """Yields the URL of a new, empty database (migrated unless told not to); drops it after.

    Must run outside a running event loop: Alembic drives its own.
    """
    if backend() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="gw-test-") as folder:
            url = f"sqlite:///{Path(folder) / 'test.sqlite3'}"
            if migrate:
                upgrade(url)
            yield url
        return
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    base = make_url(TEST_DATABASE_URL)
    url = base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
