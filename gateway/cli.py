"""The `gateway` command: serve | migrate | seed | schema | simulate | worker | billing."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time

from gateway.settings import Settings

DEMO_CUSTOMERS = 300
DEMO_SEED = 42


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        help="database to use (default: GATEWAY_DATABASE_URL, else the embedded SQLite file)",
    )


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return Settings.from_env(**overrides)


async def _customer_count(url: str) -> int:
    from sqlalchemy import func, select

    from domain.db import create_engine
    from domain.models import Customer

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(Customer)) or 0)
    finally:
        await engine.dispose()


async def _seed(url: str, customers: int, seed: int) -> None:
    from domain.db import create_engine
    from domain.seed import seed_database

    engine = create_engine(url)
    try:
        report = await seed_database(engine, customers=customers, seed=seed)
    finally:
        await engine.dispose()
    print(f"seeded {customers} customers (seed {seed}) in {report.elapsed_seconds:.1f} s")


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print(f"database is at the latest revision: {_display(settings.database_url)}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from gateway.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    if asyncio.run(_customer_count(settings.database_url)) and not args.allow_existing:
        print(
            "the database already has customers; seed an empty database "
            "(or pass --allow-existing to add to it)",
            file=sys.stderr,
        )
        return 1
    started = time.perf_counter()
    asyncio.run(_seed(settings.database_url, args.customers, args.seed))
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


def cmd_schema(_args: argparse.Namespace) -> int:
    from gateway.schema.query import schema

    sys.stdout.write(schema.as_str() + "\n")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.migrate import upgrade

    settings = _settings(
        args, **{k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    )
    if args.demo:
        upgrade(settings.database_url)
        if asyncio.run(_customer_count(settings.database_url)) == 0:
            print(f"loading demo data: {DEMO_CUSTOMERS} customers ...", flush=True)
            asyncio.run(_seed(settings.database_url, DEMO_CUSTOMERS, DEMO_SEED))
    print(f"GraphiQL: http://{settings.host}:{settings.port}/graphql", flush=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        workers=1,
    )
    return 0


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the GraphQL API with uvicorn")
    _database_option(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--demo", action="store_true", help="migrate, and load demo data when the database is empty"
    )
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest revision")
    _database_option(migrate)
    migrate.set_defaults(run=cmd_migrate)

    seed = commands.add_parser("seed", help="load the catalog and N deterministic customers")
    _database_option(seed)
    seed.add_argument("--customers", type=int, default=1000)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--allow-existing", action="store_true")
    seed.set_defaults(run=cmd_seed)

    schema = commands.add_parser("schema", help="print the GraphQL SDL")
    schema.set_defaults(run=cmd_schema)

    from gateway import tv_cli

    tv_cli.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
