"""The `gateway` command: serve | migrate | seed | schema | apikey | documents | simulate |
worker | billing | assets."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import GraphQLError

from domain.i18n import LANGUAGE
from domain.identity import Identity, Permission, Role
from gateway.settings import Settings

DEMO_CUSTOMERS = 300
DEMO_SEED = 42


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


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


async def _seed(url: str, customers: int, seed: int, today: dt.date) -> None:
    from tqdm import tqdm

    from domain.db import create_engine
    from domain.seed import SeedProgress, seed_database

    engine = create_engine(url)
    made = tqdm(total=customers, desc="customers", unit=" customers", unit_scale=True)
    written = tqdm(desc="rows", unit=" rows", unit_scale=True)

    def rows_to_write(total: int) -> None:
        made.close()
        written.reset(total=total)

    progress = SeedProgress(made.update, rows_to_write, written.update)
    try:
        report = await seed_database(
            engine, customers=customers, seed=seed, today=today, progress=progress
        )
    finally:
        made.close()
        written.close()
        await engine.dispose()
    print(
        f"seeded {customers} customers (seed {seed}, today {today}) "
        f"in {report.elapsed_seconds:.1f} s"
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.cli.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url)
    print(f"database is at the latest revision: {_display(settings.database_url)}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from gateway.cli.migrate import upgrade

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
    asyncio.run(_seed(settings.database_url, args.customers, args.seed, args.today))
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


def cmd_schema(_args: argparse.Namespace) -> int:
    from gateway.resolvers.root import schema

    sys.stdout.write(schema.as_str() + "\n")
    return 0


# What the serving processes build their app with: every worker reads the environment.
APP_FACTORY = "gateway.http.app:app_from_environment"


def cmd_serve(args: argparse.Namespace) -> int:
    """Serves with uvicorn: one process, or a supervisor and `--workers` processes (ADR 0171).

    SIGTERM (or Ctrl-C) stops accepting connections, lets the requests in flight finish for
    up to GATEWAY_SHUTDOWN_TIMEOUT seconds, then closes; every worker does the same.
    """
    import os

    import uvicorn

    from gateway.cli.migrate import upgrade

    overrides = {
        name: value
        for name, value in (("host", args.host), ("port", args.port), ("workers", args.workers))
        if value is not None
    }
    settings = _settings(args, **overrides)
    if args.demo and settings.development and not settings.dev_identity:
        # The demo answers GraphiQL without a token; never in production (Settings.check).
        settings = replace(settings, dev_identity="staff")
    # The serving processes read the environment: hand them what the command line changed.
    if args.database_url:
        os.environ["GATEWAY_DATABASE_URL"] = args.database_url
    if settings.dev_identity:
        os.environ["GATEWAY_DEV_IDENTITY"] = settings.dev_identity
        print(
            f"development identity: requests without a token act as {settings.dev_identity!r}",
            flush=True,
        )
    if args.demo:
        upgrade(settings.database_url)
        if asyncio.run(_customer_count(settings.database_url)) == 0:
            print(f"loading demo data: {DEMO_CUSTOMERS} customers ...", flush=True)
            asyncio.run(_seed(settings.database_url, DEMO_CUSTOMERS, DEMO_SEED, _today()))
    from gateway import observability

    observability.prepare_processes(settings)
    from gateway.observability.logs import get_logger

    get_logger("gateway.serve").info(
        f"GraphiQL: http://{settings.host}:{settings.port}/graphql"
        if settings.development
        else f"serving http://{settings.host}:{settings.port}/graphql",
        workers=settings.workers,
    )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
        # X-Forwarded-For from these addresses (the load balancers) names the client.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,  # the gateway's own logging (gateway.observability.logs)
        access_log=False,  # one access line per request comes from the gateway itself
    )
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Prints the effective configuration, secrets masked, and where each value came from."""
    from gateway.settings import masked

    settings = _settings(args)
    rows = masked(settings)
    width = max(len(name) for name, _value, _source in rows)
    for name, value, source in rows:
        print(f"{name.ljust(width)} = {value}".ljust(width + 50) + f"  # {source}")
    from gateway.observability.tracing import describe_environment

    for line in describe_environment():
        print(line)
    return 0


CLI_ACTOR = Identity.staff("cli")


async def _in_transaction(url: str, work: Any) -> Any:
    from domain.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from domain.actions.access import create_api_key
    from domain.errors import DomainError

    settings = _settings(args)
    try:
        role = Role(args.role.upper())
        permissions = [Permission[name.upper()] for name in args.permission or ()]
    except (ValueError, KeyError) as error:
        print(f"unknown role or permission: {error}", file=sys.stderr)
        return 2
    try:
        created = asyncio.run(
            _in_transaction(
                settings.database_url,
                lambda session: create_api_key(
                    session,
                    name=args.name,
                    role=role,
                    permissions=permissions,
                    customer_id=args.customer_id,
                    reseller_id=args.reseller_id,
                    actor=CLI_ACTOR,
                ),
            )
        )
    except DomainError as error:
        print(f"refused: {error.message}", file=sys.stderr)
        return 1
    print(f"created API key {created.key.prefix} ({created.key.name}); it is shown only now:")
    print(created.secret)
    return 0


def cmd_apikey_list(args: argparse.Namespace) -> int:
    from domain.reads.access import api_keys

    settings = _settings(args)
    keys = asyncio.run(_in_transaction(settings.database_url, api_keys))
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        owner = key.customer_id or key.reseller_id or ""
        permissions = ",".join(key.permissions or ()) or "-"
        print(
            f"{key.id}\t{key.prefix}\t{key.name}\t{key.role.name}\t{owner}\t{permissions}"
            f"\t{key.created_at:%Y-%m-%d}\t{state}"
        )
    return 0


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    from domain.actions.access import revoke_api_key
    from domain.errors import DomainError

    settings = _settings(args)
    try:
        key = asyncio.run(
            _in_transaction(
                settings.database_url,
                lambda session: revoke_api_key(session, key=args.key, actor=CLI_ACTOR),
            )
        )
    except DomainError as error:
        print(f"refused: {error.message}", file=sys.stderr)
        return 1
    print(f"revoked API key {key.prefix} ({key.name})")
    return 0


def cmd_documents_register(args: argparse.Namespace) -> int:
    """Registers each file's document (after checking it against the schema)."""
    from graphql import parse, validate

    from domain.actions.access import save_document
    from gateway.resolvers.root import schema

    settings = _settings(args)
    bodies = []
    for name in args.files:
        try:
            body = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"{name}: cannot read: {error}", file=sys.stderr)
            return 1
        try:
            errors = validate(schema._schema, parse(body))
        except GraphQLError as error:
            errors = [error]
        if errors:
            print(f"{name}: not a valid document: {errors[0].message}", file=sys.stderr)
            return 1
        bodies.append((name, body))

    async def register(session: Any) -> list[tuple[str, str]]:
        return [
            (name, await save_document(session, body=body, registered=True))
            for name, body in bodies
        ]

    for name, sha in asyncio.run(_in_transaction(settings.database_url, register)):
        print(f"{sha}  {name}")
    return 0


# name -> (the app's import string, whether it names a factory)
SIMULATORS = {
    "cep": ("simulators.cep:app", False),
    "registry": ("simulators.registry:create_app", True),
}


def cmd_simulate(args: argparse.Namespace) -> int:
    """Serves a stand-in for an external system (tests and demos), e.g. the CEP lookup."""
    import uvicorn

    app, factory = SIMULATORS[args.name]
    print(f"{args.name} simulator: http://{args.host}:{args.port}", flush=True)
    uvicorn.run(app, factory=factory, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_simulate_nas(args: argparse.Namespace) -> int:
    """Serves a NAS's RFC 5176 dynamic-authorization port (UDP) for the demo: it acknowledges
    every Disconnect-Request signed with the demo's shared secret."""
    from domain import seed_catalog
    from simulators.nas import NasSimulator

    simulator = NasSimulator(
        secret=args.secret or seed_catalog.NAS_SECRET,
        host=args.host,
        port=args.port,
        known_only=False,
    )
    print(f"NAS simulator: udp://{args.host}:{args.port}", flush=True)
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the GraphQL API with uvicorn")
    _database_option(serve)
    serve.add_argument("--host", help="address to listen on (else GATEWAY_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (else GATEWAY_PORT, 8000)")
    serve.add_argument(
        "--workers", type=int, help="processes to serve with (default: GATEWAY_WORKERS, else 1)"
    )
    serve.add_argument(
        "--demo", action="store_true", help="migrate, and load demo data when the database is empty"
    )
    serve.set_defaults(run=cmd_serve)

    config = commands.add_parser(
        "config", help="print the effective configuration (secrets masked) and exit"
    )
    _database_option(config)
    config.set_defaults(run=cmd_config)

    migrate = commands.add_parser("migrate", help="upgrade the database to the latest revision")
    _database_option(migrate)
    migrate.set_defaults(run=cmd_migrate)

    seed = commands.add_parser("seed", help="load the catalog and N deterministic customers")
    _database_option(seed)
    seed.add_argument("--customers", type=int, default=1000, help="how many customers to make")
    seed.add_argument(
        "--seed", type=int, default=42, help="the random seed: the same seed, the same data"
    )
    seed.add_argument(
        "--allow-existing", action="store_true", help="add to a database that has customers"
    )
    seed.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=_today(),
        help="the day the data takes for today (YYYY-MM-DD): the same day and seed, the same data",
    )
    seed.set_defaults(run=cmd_seed)

    schema = commands.add_parser("schema", help="print the GraphQL SDL")
    schema.set_defaults(run=cmd_schema)

    apikey = commands.add_parser("apikey", help="API keys of service accounts")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_commands.add_parser("create", help="create a key; prints it once")
    _database_option(create)
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--role", default="staff", help="staff, subscriber or reseller")
    create.add_argument(
        "--permission",
        action="append",
        help=f"a staff permission, repeatable: {', '.join(p.name for p in Permission)}",
    )
    create.add_argument("--customer-id", type=int, help="the customer of a subscriber key")
    create.add_argument("--reseller-id", type=int, help="the voice reseller of a reseller key")
    create.set_defaults(run=cmd_apikey_create)
    listing = apikey_commands.add_parser("list", help="list keys (never their secrets)")
    _database_option(listing)
    listing.set_defaults(run=cmd_apikey_list)
    revoke = apikey_commands.add_parser("revoke", help="revoke a key by id or prefix")
    _database_option(revoke)
    revoke.add_argument("key", help="the key's id or prefix (gk_...)")
    revoke.set_defaults(run=cmd_apikey_revoke)

    documents = commands.add_parser("documents", help="trusted (persisted) documents")
    documents_commands = documents.add_subparsers(dest="documents_command", required=True)
    register = documents_commands.add_parser(
        "register", help="register documents so that they may run by hash or in registered mode"
    )
    _database_option(register)
    register.add_argument("files", nargs="+", help="files holding one GraphQL document each")
    register.set_defaults(run=cmd_documents_register)
    simulate = commands.add_parser("simulate", help="serve a simulator of an external system")
    systems = simulate.add_subparsers(dest="system", required=True)
    cep = systems.add_parser("cep", help="the CEP lookup (ViaCEP-style; GATEWAY_CEP_URL)")
    cep.add_argument("--host", default="127.0.0.1", help="address to listen on")
    cep.add_argument("--port", type=int, default=8001, help="port to listen on")
    cep.set_defaults(run=cmd_simulate, name="cep")
    nas = systems.add_parser("nas", help="a NAS answering RFC 5176 Disconnect-Requests (UDP)")
    nas.add_argument("--host", default="127.0.0.1", help="address to listen on")
    nas.add_argument("--port", type=int, default=3799, help="UDP port to listen on")
    nas.add_argument("--secret", default=None, help="the shared secret (default: the demo seed's)")
    nas.set_defaults(run=cmd_simulate_nas)
    registry = systems.add_parser(
        "registry", help="the domain registry (GATEWAY_REGISTRY_URL), kept in memory"
    )
    registry.add_argument("--host", default="127.0.0.1", help="address to listen on")
    registry.add_argument("--port", type=int, default=8091, help="port to listen on")
    registry.set_defaults(run=cmd_simulate, name="registry")
    from gateway.cli import assets as assets_cli
    from gateway.cli import tv as tv_cli

    tv_cli.register(commands, systems)
    from gateway.cli import export as export_cli

    export_cli.register(commands, _database_option)
    assets_cli.register(commands)
    for _, each in _all_parsers(parser):
        each.formatter_class = _HelpWithDefaults
    return parser


class _HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, unless it has none (the help then says what
    happens without it)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def _all_parsers(
    parser: argparse.ArgumentParser, path: str = "gateway"
) -> list[tuple[str, argparse.ArgumentParser]]:
    """The parser and every subcommand's, with the command line that reaches each."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.extend(_all_parsers(child, f"{path} {name}"))
    return found


def main(argv: list[str] | None = None) -> int:
    from gateway.settings import ConfigurationError

    args = build_parser().parse_args(argv)
    try:
        from gateway.observability.logs import configure_logging

        settings = Settings.from_env()
        configure_logging(settings)
        # What a command prints from the domain (a refusal, a report) is in GATEWAY_LANGUAGE.
        language = LANGUAGE.set(settings.language)
        try:
            return int(args.run(args))
        finally:
            LANGUAGE.reset(language)
    except ConfigurationError as error:
        print("gateway: the configuration is not valid:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
