"""Read replicas (ADR 0230): settings refused at start, a replica that is down or is no standby
skipped with reads on the primary, and read-your-writes against a real streaming replica whose
replay the test pauses (the multi-host version is tests/scale)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.db import create_engine
from gateway.http.replicas import Database
from gateway.http.runtime import Runtime
from gateway.settings import ConfigurationError, Settings, masked
from tests.databases import backend
from tests.gateway.helpers import http_client, test_settings
from tests.gateway.serving import GATEWAY
from tests.servers import _postgres_bin, free_port

REDIS = "redis://127.0.0.1:6379/0"
postgresql_only = pytest.mark.skipif(
    backend() != "postgresql", reason="replicas are PostgreSQL streaming replicas"
)


def test_replicas_need_a_postgresql_primary_postgresql_urls_and_redis() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(
            {
                "GATEWAY_DATABASE_URL": "sqlite:///var/x.sqlite3",
                "GATEWAY_DATABASE_REPLICA_URL": "postgresql://db2/gw, mysql://db3/gw",
            }
        )
    problems = "\n".join(refused.value.problems)
    assert "needs a PostgreSQL primary" in problems
    assert "URL number 2 must be postgresql://" in problems
    assert "needs GATEWAY_REDIS_URL" in problems
    settings = Settings.from_env(
        {
            "GATEWAY_DATABASE_URL": "postgresql://gw@db1/gw",
            "GATEWAY_DATABASE_REPLICA_URL": "postgresql://gw:secret@db2/gw,postgresql://db3/gw",
            "GATEWAY_REDIS_URL": REDIS,
            "GATEWAY_REPLICA_MAX_LAG": "2.5",
        }
    )
    assert settings.database_replica_urls == (
        "postgresql://gw:secret@db2/gw",
        "postgresql://db3/gw",
    )
    assert settings.replica_max_lag_seconds == 2.5
    with pytest.raises(ConfigurationError, match="GATEWAY_REPLICA_CHECK_SECONDS"):
        Settings.from_env({"GATEWAY_REPLICA_CHECK_SECONDS": "0"})
    shown = dict((name, value) for name, value, _ in masked(settings, {}))
    assert shown["GATEWAY_DATABASE_REPLICA_URL"] == "postgresql://gw:***@db2/gw,postgresql://db3/gw"


@postgresql_only
async def test_a_replica_that_is_down_or_no_standby_is_skipped_and_reads_go_to_the_primary(
    engine: AsyncEngine, database_url: str
) -> None:
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    settings = test_settings(
        database_url, redis_url=REDIS, database_replica_urls=(down, database_url)
    )
    async with http_client(engine, settings) as client:
        ready = await client.get("/readyz")
        read = await client.post("/graphql", json={"query": "{ banks { code } }"})
    assert ready.status_code == 200, ready.text  # reads go on without replicas
    replicas = ready.json()["replicas"]
    assert replicas["replica1"]["status"] == "down"
    assert replicas["replica2"]["status"] == "not a standby"  # the primary itself
    assert read.status_code == 200
    assert read.json()["data"]["banks"]
    assert read.headers["x-gateway-database"] == "primary; reason=no replica is well"


class _Pair:
    """A throwaway primary and its streaming replica (pg_basebackup), on free ports."""

    def __init__(self, folder: Path) -> None:
        from tests.scale.topology import Cluster

        self.primary = Cluster(folder / "primary", ["127.0.0.1"], "127.0.0.1/32")
        self.primary.init()
        self.primary.start()
        migrated = subprocess.run(
            [GATEWAY, "migrate", "--database-url", self.primary.url()], capture_output=True
        )
        assert migrated.returncode == 0, migrated.stderr
        self.replica = Cluster(folder / "replica", ["127.0.0.1"], "127.0.0.1/32")
        self.replica.base_backup(self.primary)
        self.replica.start("hot_standby=on")

    def close(self) -> None:
        self.replica.kill()
        self.primary.kill()


@pytest.fixture(scope="module")
def pair() -> Iterator[_Pair]:
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_basebackup").exists():
        pytest.skip("PostgreSQL's server binaries (initdb, pg_basebackup) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="gw-replica-"))
    folder.chmod(0o755)
    made = None
    try:
        made = _Pair(folder)
        yield made
    finally:
        if made is not None:
            made.close()
        shutil.rmtree(folder, ignore_errors=True)


async def _until(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not within the wait"
        await asyncio.sleep(0.05)


@postgresql_only
async def test_a_callers_reads_stay_on_the_primary_until_the_replica_replays_its_write(
    pair: _Pair,
) -> None:
    settings = Settings(
        database_url=pair.primary.url(),
        database_replica_urls=(pair.replica.url(),),
        redis_url=REDIS,
        replica_max_lag_seconds=3.0,
        replica_check_seconds=0.1,
    )
    runtime = Runtime.build(settings)
    replicas = runtime.replicas
    assert replicas is not None
    writer, reader = f"writer-{uuid.uuid4().hex}", f"reader-{uuid.uuid4().hex}"
    replica_engine = create_engine(pair.replica.url())
    try:
        await replicas.check()
        assert replicas.report()["replica1"] == {"status": "ok", "lag_seconds": 0.0}
        assert (await replicas.choose(writer)).database.name == "replica1"

        async with replica_engine.connect() as connection:
            await connection.execute(text("SELECT pg_wal_replay_pause()"))
        async with runtime.sessions() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS ryw (n int)"))
            await session.execute(text("INSERT INTO ryw VALUES (1)"))
            await session.commit()
            await replicas.wrote(writer, session)
        await replicas.check()
        # The replica has not replayed the writer's commit: the writer reads on the primary,
        # anyone else still on the replica (its lag is within the bound).
        assert (await replicas.choose(writer)).reason == "read-your-writes"
        other = await replicas.choose(reader)
        assert isinstance(other.database, Database) and other.database.name == "replica1"

        async def lagging() -> bool:
            await replicas.check()
            return replicas.report()["replica1"]["status"] == "lagging"

        await _until(lagging)  # past GATEWAY_REPLICA_MAX_LAG: nobody reads there
        assert (await replicas.choose(reader)).reason == "no replica is well"

        async with replica_engine.connect() as connection:
            await connection.execute(text("SELECT pg_wal_replay_resume()"))

        async def caught_up() -> bool:
            await replicas.check()
            return (await replicas.choose(writer)).database.name == "replica1"

        await _until(caught_up)
        assert replicas.report()["replica1"] == {"status": "ok", "lag_seconds": 0.0}
    finally:
        await replica_engine.dispose()
        await runtime.close(engine=True)


@postgresql_only
async def test_compiled_and_standard_reads_run_on_the_replica_and_mutations_on_the_primary(
    pair: _Pair,
) -> None:
    settings = test_settings(
        pair.primary.url(), redis_url=REDIS, database_replica_urls=(pair.replica.url(),)
    )
    query = {"query": "{ banks { code name } }"}
    pair.primary.sql(
        "INSERT INTO bank (code, name) VALUES ('999', 'Replicated') ON CONFLICT DO NOTHING"
    )
    for _ in range(600):  # until the replica has replayed it
        if pair.replica.sql("SELECT count(*) FROM bank WHERE code = '999'") == "1":
            break
        await asyncio.sleep(0.05)
    async with http_client(None, settings) as client:
        compiled = await client.post("/graphql", json=query)
        standard = await client.post(
            "/graphql", json=query, headers={"x-gateway-executor": "standard"}
        )
        mutation = await client.post(
            "/graphql",
            json={"query": "mutation { openTicket(input: {type: \"x\", description: \"y\"}) "
                  "{ __typename } }"},
        )  # fmt: skip
    assert compiled.headers["x-gateway-executor"] == "compiled"
    assert compiled.headers["x-gateway-database"] == "replica1"
    assert standard.headers["x-gateway-executor"].startswith("standard")
    assert standard.headers["x-gateway-database"] == "replica1"
    assert standard.json() == compiled.json() and compiled.json()["data"]["banks"]
    assert mutation.status_code == 200
    assert mutation.headers["x-gateway-database"] == "primary; reason=a mutation"
