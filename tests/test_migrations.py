"""The models and the migrations describe the same schema, on the configured database."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.models import Base
from gateway.cli.migrate import alembic_config


async def test_models_and_migrations_do_not_drift(engine: AsyncEngine) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (the folded unique ones, ADR 0113), so
            # they are compared on PostgreSQL only; tests/domain/test_identifiers.py proves
            # they exist on both.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
            return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == [], f"run alembic revision --autogenerate: {differences}"


def test_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
