"""The TV and billing commands of the `gateway` CLI: simulate tv | worker | billing tv |
billing run | billing cycles."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gateway.settings import Settings

T = TypeVar("T")

# Who the audit log names for what the CLI does.
CLI_SUBJECT = "cli"


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "platform_url", None):
        overrides["tv_platform_url"] = args.platform_url
    return Settings.from_env(**overrides)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def cmd_simulate_tv(args: argparse.Namespace) -> int:
    import uvicorn

    from simulators.tv_platform import create_app

    print(
        f"TV platform simulator: http://{args.host}:{args.port}/api/v1 "
        f"(state: /_sim/state, faults: POST /_sim/faults)",
        flush=True,
    )
    uvicorn.run(create_app(api_key=args.api_key), host=args.host, port=args.port, log_level="info")
    return 0


async def _with_sessions(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from domain.db import create_engine, session_factory
    from gateway.realtime.brokers import publishing

    engine = create_engine(settings.database_url)
    try:
        # Its commits reach the subscribers of the serving processes (ADR 0220).
        async with publishing(settings):
            return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from domain.actions import outbox as outbox_actions
    from domain.actions.tv import TOPIC_PREFIX
    from domain.models.base import utcnow
    from gateway.worker.outbox import OutboxWorker, platform_from_settings

    async def work(sessions: Any) -> int:
        if args.retry_failed:
            async with sessions() as session, session.begin():
                count = await outbox_actions.retry_failed(
                    session, topic_prefix=TOPIC_PREFIX, now=utcnow()
                )
            print(f"{count} failed TV messages queued again", flush=True)
        async with platform_from_settings(settings) as platform:
            worker = OutboxWorker(sessions, platform, call_timeout=settings.tv_platform_timeout)
            if args.once:
                report = await worker.drain()
                print(
                    f"delivered {report.delivered}, retrying {report.retrying}, "
                    f"failed {report.failed}",
                    flush=True,
                )
                return 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            print(f"delivering TV changes to {settings.tv_platform_url} (Ctrl-C stops)", flush=True)
            await worker.run_forever(stop, poll_seconds=settings.outbox_poll_seconds)
            return 0

    return await _with_sessions(settings, work)


def cmd_worker(args: argparse.Namespace) -> int:
    from gateway.observability import tracing

    tracing.configure()  # each delivery a trace of its own, when OTEL_* asks for traces
    try:
        return asyncio.run(_worker(_settings(args), args))
    finally:
        tracing.shutdown()


async def _billing(settings: Settings, run: str, due_date: dt.date) -> int:
    from domain.actions.cycle_billing import run_cycle_billing
    from domain.actions.tv_billing import run_billing, run_tv_billing
    from domain.errors import DomainError
    from domain.identity import Identity, Permission

    actor = Identity.staff(CLI_SUBJECT, Permission.BILLING)

    async def work(sessions: Any) -> int:
        async with sessions() as session:
            try:
                async with session.begin():
                    if run == "tv":
                        tv_result = await run_tv_billing(session, due_date=due_date, actor=actor)
                        total = sum(event.amount for event in tv_result.created)
                        print(
                            f"TV billing {due_date}: {len(tv_result.created)} events created "
                            f"(total {total}), {tv_result.already_billed} already billed"
                        )
                    elif run == "cycles":
                        cycles = await run_cycle_billing(session, due_date=due_date, actor=actor)
                        print(
                            f"cycle billing {due_date}: {len(cycles.receivables)} receivables "
                            f"created, {len(cycles.applied)} due-date changes applied, "
                            f"{cycles.already_billed} plans already billed"
                        )
                    else:
                        result = await run_billing(session, due_date=due_date, actor=actor)
                        print(
                            f"billing {due_date}: {len(result.processed)} events processed into "
                            f"{len(result.receivables)} receivables"
                        )
            except DomainError as error:
                print(error.message, file=sys.stderr)
                return 1
        return 0

    return await _with_sessions(settings, work)


def cmd_billing(args: argparse.Namespace) -> int:
    return asyncio.run(_billing(_settings(args), args.billing_run, args.due_date))


def register(commands: Any, simulators: Any) -> None:
    """Adds the TV commands to the `gateway` parser's subcommands, and `simulate tv`."""
    tv = simulators.add_parser("tv", help="the TV platform (Beenius-style REST API)")
    tv.add_argument("--host", default="127.0.0.1", help="address to listen on")
    tv.add_argument("--port", type=int, default=8100, help="port to listen on")
    tv.add_argument("--api-key", help="require this bearer token")
    tv.set_defaults(run=cmd_simulate_tv)

    worker = commands.add_parser("worker", help="deliver TV changes to the platform (outbox)")
    worker.add_argument("--database-url", help="default: GATEWAY_DATABASE_URL")
    worker.add_argument("--platform-url", help="default: GATEWAY_TV_PLATFORM_URL")
    worker.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    worker.add_argument(
        "--retry-failed", action="store_true", help="queue given-up messages again first"
    )
    worker.set_defaults(run=cmd_worker)

    billing = commands.add_parser("billing", help="billing runs")
    runs = billing.add_subparsers(dest="billing_run", required=True)
    for name, text in (
        ("tv", "TV billing: PENDING events for charged extra packages of plans due that day"),
        ("run", "regular billing of events: PENDING events of the date become receivables"),
        ("cycles", "monthly fees: a cycle receivable per active plan due that day"),
    ):
        run = runs.add_parser(name, help=text)
        run.add_argument("--database-url", help="default: GATEWAY_DATABASE_URL")
        run.add_argument("--due-date", type=_date, required=True, help="YYYY-MM-DD")
        run.set_defaults(run=cmd_billing)
