"""For tests whose requests commit through the app: every row they add is deleted afterwards.

Remembers the highest id of every table keyed by an integer `id` before the test, and deletes
the rows above it after, children first. Rows keyed otherwise (a voice subscriber's
permissions...) go with their parents (ON DELETE CASCADE). Rows the test changes in place are
the test's own to put back.
"""

from __future__ import annotations

from sqlalchemy import Integer, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m


def _keyed() -> list[Table]:
    return [
        table
        for table in m.Base.metadata.sorted_tables
        if "id" in table.c and table.c.id.primary_key and isinstance(table.c.id.type, Integer)
    ]


class Committed:
    """`async with Committed(engine):` around the requests of a test."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.highest: dict[Table, int] = {}

    async def __aenter__(self) -> Committed:
        async with self.engine.connect() as connection:
            for table in _keyed():
                self.highest[table] = int(
                    await connection.scalar(select(func.max(table.c.id))) or 0
                )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        async with self.engine.begin() as connection:
            for table in reversed(list(self.highest)):
                await connection.execute(delete(table).where(table.c.id > self.highest[table]))
